/** The package's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // Built code runs from dist/src/, sources (under vitest) from src/.
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'osconsole' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
export const USER_AGENT = `osconsole/${VERSION}`;
