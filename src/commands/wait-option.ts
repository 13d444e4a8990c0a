/** `--wait[=DURATION]`, shared by the commands that make or use a console of a server that may still be building. */
import { Option } from 'commander';
import { DEFAULT_WAIT, parseDuration } from '../cli/duration.js';
import type { WaitProgress } from '../core/wait.js';

/** A bare --wait is turned into --wait=10m before parsing (cli/duration.ts withWaitDefault). */
export function waitOption(): Option {
  return new Option(
    '--wait [duration]',
    `if the server is not ready (building, no host yet), poll it until ACTIVE for up to DURATION (default ${DEFAULT_WAIT})`,
  ).argParser((raw: string) => parseDuration(raw, '--wait'));
}

/** The core's wait request for --wait (in ms), or none. */
export function waitFor(ms: number | undefined, onProgress: (p: WaitProgress) => void) {
  return ms === undefined ? undefined : { timeoutMs: ms, onProgress };
}
