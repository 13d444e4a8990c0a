/**
 * The --wait status line (console get, attach, view, log). Its own module so
 * that console get does not load the attach machinery (and node:crypto with
 * its websocket) to print it.
 */
import { describeServerState } from '../core/wait.js';
import type { WaitProgress } from '../core/wait.js';
import type { Output } from './output.js';

/** It rewrites itself on a terminal, one line per state otherwise. */
export function showWait(out: Output, p: WaitProgress): void {
  out.status(waitText(p), `${p.status}/${p.taskState ?? ''}`);
}

function waitText(p: WaitProgress): string {
  return `waiting for the server to become ACTIVE: ${describeServerState(p)}, ${Math.round(p.elapsedMs / 1000)} s`;
}
