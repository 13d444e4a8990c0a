/**
 * `--wait`: polls GET /servers/{id} until the server can have a console
 * (ACTIVE with no task running), as openstacksdk's wait_for_server and
 * gophercloud's WaitForStatus do, every 2 s (openstacksdk's default interval).
 *
 * Statuses: nova/api/openstack/common.py _STATE_MAP (vm_state + task_state →
 * status). A server that is ERROR or gone ends the wait at once, and so does
 * one at rest in a state that never becomes ACTIVE by itself (SHUTOFF,
 * SHELVED_OFFLOADED, ...): waiting for those would only burn the deadline.
 */
import { OsconsoleError } from '../errors.js';
import { getServer } from '../openstack/compute.js';
import type { ServerState } from '../openstack/compute.js';
import type { ComputeSession } from './compute-session.js';
import type { ServerRef } from './servers.js';
import { serverGone, serverLabel } from './servers.js';

export const POLL_MS = 2000;

/** Statuses a server leaves by itself (a task is running): worth waiting for. */
const TRANSIENT = new Set([
  'BUILD',
  'REBUILD',
  'REBOOT',
  'HARD_REBOOT',
  'MIGRATING',
  'RESIZE',
  'VERIFY_RESIZE',
  'REVERT_RESIZE',
  'PASSWORD',
  'UNKNOWN',
]);

export interface WaitProgress {
  status: string;
  taskState: string | null;
  elapsedMs: number;
}

export interface WaitOptions {
  timeoutMs: number;
  onProgress?: (p: WaitProgress) => void;
  /** Ends the wait early (the user quit); the wait then returns false. */
  signal?: AbortSignal;
}

/** Resolves true when the server is ACTIVE with no task; false when `stopped()` turned true. */
export async function waitUntilActive(cs: ComputeSession, server: ServerRef, opts: WaitOptions): Promise<boolean> {
  const started = cs.rt.now();
  for (;;) {
    const s = await fetchState(cs, server);
    const elapsedMs = cs.rt.now() - started;
    if (s.status === 'ACTIVE' && (s.taskState === null || s.taskState === '')) return true;
    checkWorthWaiting(s, server);
    opts.onProgress?.({ status: s.status, taskState: s.taskState, elapsedMs });
    if (elapsedMs + POLL_MS > opts.timeoutMs) {
      throw new OsconsoleError(
        'E_CONFLICT',
        `server ${label(server, s)} is still ${describeServerState(s)} after ${Math.round(elapsedMs / 1000)} s of waiting`,
        { hint: 'wait longer with --wait=DURATION (e.g. --wait=30m)' },
      );
    }
    await cs.rt.sleep(POLL_MS, opts.signal);
    if (opts.signal?.aborted) return false;
  }
}

async function fetchState(cs: ComputeSession, server: ServerRef): Promise<ServerState> {
  try {
    return await cs.withAuth((token) => getServer(cs.http, { endpoint: cs.endpoint, token, serverId: server.id }));
  } catch (err) {
    if (err instanceof OsconsoleError && err.http?.status === 404) {
      throw serverGone(server, err);
    }
    throw err;
  }
}

function checkWorthWaiting(s: ServerState, server: ServerRef): void {
  if (s.status === 'ERROR') {
    throw new OsconsoleError('E_CONFLICT', `server ${label(server, s)} is in ERROR${s.fault ? `: ${s.fault}` : ''}`, {
      hint: 'see `openstack server show` for its fault; rebuild or delete it',
    });
  }
  if (s.status === 'DELETED' || s.status === 'SOFT_DELETED' || s.taskState === 'deleting') {
    throw new OsconsoleError('E_NOT_FOUND', `server ${label(server, s)} is being deleted`);
  }
  if (!TRANSIENT.has(s.status) && !s.taskState) {
    throw new OsconsoleError(
      'E_CONFLICT',
      `server ${label(server, s)} is ${s.status} and will not become ACTIVE by itself`,
      { hint: startHint(s.status, server.id) },
    );
  }
}

function startHint(status: string, id: string): string | undefined {
  const verb: Record<string, string> = {
    SHUTOFF: 'start',
    PAUSED: 'unpause',
    SUSPENDED: 'resume',
    SHELVED: 'unshelve',
    SHELVED_OFFLOADED: 'unshelve',
    RESCUE: 'unrescue',
  };
  return verb[status] ? `run: openstack server ${verb[status]} ${id}` : undefined;
}

/** `BUILD (spawning)`, or the status alone when no task runs. */
export function describeServerState(s: Pick<ServerState, 'status' | 'taskState'>): string {
  return s.taskState ? `${s.status} (${s.taskState})` : s.status;
}

/** The name from the server's own record when the user gave its id. */
function label(server: ServerRef, s?: ServerState): string {
  return serverLabel(server, server.name ?? s?.name ?? null);
}
