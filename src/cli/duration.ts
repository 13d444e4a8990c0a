/**
 * Durations on the command line (`--for 5s`, `--wait 10m`): a number with a
 * unit, or several (`1m30s`), as Go's time.ParseDuration and kubectl's
 * `--timeout` take them; a bare number is seconds, as in `timeout(1)`.
 */
import { usageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Longest duration: one day (longer is a typo, and timers above 2^31-1 ms fire at once). */
export const MAX_DURATION_MS = 86_400_000;

/** `5s` → 5000; throws a usage error naming `flag` for anything else. */
export function parseDuration(raw: string, flag: string): number {
  const text = raw.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
      throw usageError(`${flag} takes a duration such as 30s, 5m, 1h or 1m30s; got ${JSON.stringify(raw)}`);
    }
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0);
  }
  if (!(ms > 0) || ms > MAX_DURATION_MS) {
    throw usageError(`${flag} must be more than 0 and at most 24h; got ${JSON.stringify(raw)}`);
  }
  return Math.round(ms);
}

/** 90000 → "1m30s", for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest || (!h && !m) ? `${rest}s` : ''}`;
}

/** What a bare `--wait` means. */
export const DEFAULT_WAIT = '10m';

export function isDuration(text: string): boolean {
  return /^(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h))+)$/.test(text);
}

/**
 * `--wait[=DURATION]`: commander would take the word after a bare `--wait` as
 * its value (`--wait web-1` → duration "web-1"), so a bare one not followed by
 * a duration becomes `--wait=10m` before parsing. Stops at `--`.
 */
export function withWaitDefault(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length && out[i] !== '--'; i++) {
    if (out[i] === '--wait' && !isDuration(out[i + 1] ?? '')) out[i] = `--wait=${DEFAULT_WAIT}`;
  }
  return out;
}
