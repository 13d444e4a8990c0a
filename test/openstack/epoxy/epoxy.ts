/** Helpers shared by the Epoxy tier's test files. */
import { readFileSync } from 'node:fs';

export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The console token inside a console URL (novnc hides it in path=%3Ftoken%3D...). */
export function consoleToken(url: string): string {
  const m = decodeURIComponent(url).match(/token=([0-9a-f-]{36})/);
  if (!m?.[1]) throw new Error(`no token in ${url}`);
  return m[1];
}

/** One option of the nova.conf the stack runs with (test/realcloud-epoxy/stack-up.sh writes it). */
export function novaConf(stateDir: string, section: string, key: string): string {
  const text = readFileSync(`${stateDir}/etc/nova.conf`, 'utf8');
  let current = '';
  for (const line of text.split('\n')) {
    const sec = line.match(/^\[(.+)\]\s*$/);
    if (sec) current = sec[1]!;
    const kv = line.match(/^([\w.]+)\s*=\s*(.*?)\s*$/);
    if (current === section && kv && kv[1] === key) return kv[2]!;
  }
  throw new Error(`no [${section}] ${key} in nova.conf`);
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
