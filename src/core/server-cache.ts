/**
 * Recently seen server names, per cloud, for shell completion (which must not
 * touch the network). Name lookups record what Nova listed; entries older than
 * a day are not offered. A cache, not a credential: written atomically
 * (writeFileAtomic, 0600) without a lock, since losing an update only loses a
 * completion. A write the disk refuses (full, read-only) is reported through
 * `writeRefused` (one warning per run) and never fails the command.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic-write.js';
import type { PathContext } from '../config/paths.js';
import { configDir } from '../config/paths.js';

const FILE = 'servers.json';
const MAX_PER_CLOUD = 500;
export const SERVER_CACHE_TTL_MS = 24 * 3600 * 1000;

interface CacheFile {
  schema_version: 1;
  clouds: Record<string, Array<{ id: string; name: string; seen_at: string }>>;
}

function read(dir: string): CacheFile {
  try {
    const data = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as CacheFile;
    // Keyed by cloud name: no prototype, so a cloud named `constructor` or `__proto__` is an ordinary key.
    if (data && typeof data.clouds === 'object' && data.clouds !== null)
      return { ...data, clouds: Object.assign(Object.create(null), data.clouds) };
  } catch {
    // missing or damaged: start afresh
  }
  return { schema_version: 1, clouds: Object.create(null) };
}

/** Records servers just listed for `cloud`; writes only when something new was seen. */
export function rememberServers(
  ctx: PathContext & { now: () => number },
  cloud: string,
  servers: Array<{ id: string; name: string }>,
  writeRefused: (err: unknown) => boolean = () => true,
): void {
  if (servers.length === 0) return;
  const dir = configDir(ctx);
  const file = read(dir);
  const now = ctx.now();
  const fresh = (file.clouds[cloud] ?? []).filter((s) => now - Date.parse(s.seen_at) < SERVER_CACHE_TTL_MS);
  const known = new Map(fresh.map((s) => [s.id, s]));
  let changed = fresh.length !== (file.clouds[cloud] ?? []).length;
  for (const s of servers) {
    const old = known.get(s.id);
    if (!old || old.name !== s.name) changed = true;
    known.set(s.id, {
      id: s.id,
      name: s.name,
      seen_at: old && old.name === s.name ? old.seen_at : new Date(now).toISOString(),
    });
  }
  if (!changed) return;
  file.clouds[cloud] = [...known.values()].slice(-MAX_PER_CLOUD);
  try {
    writeFileAtomic(join(dir, FILE), `${JSON.stringify(file)}\n`, 0o600);
  } catch (err) {
    // A completion cache must never fail a command.
    writeRefused(err);
  }
}

/** Names seen for `cloud` within the last day, sorted. */
export function recentServerNames(ctx: PathContext & { now: () => number }, cloud: string): string[] {
  const now = ctx.now();
  const names = (read(configDir(ctx)).clouds[cloud] ?? [])
    .filter((s) => now - Date.parse(s.seen_at) < SERVER_CACHE_TTL_MS)
    .map((s) => s.name);
  return [...new Set(names)].sort();
}
