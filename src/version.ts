/** The package's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';

/** The nearest package.json named osconsole above this file: src/, dist/src/, dist/bundle/ or its chunks/. */
function readVersion(): string {
  for (let rel = '../'; rel.length <= 12; rel += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${rel}package.json`, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'osconsole' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
export const USER_AGENT = `osconsole/${VERSION}`;
