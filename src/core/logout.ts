/**
 * The logout use case: revoke each chosen session's token at Keystone
 * (DELETE /v3/auth/tokens; an already invalid token is fine) and remove the
 * sessions from the cache. A token that cannot be revoked (network down) is
 * removed all the same, with a warning that it stays valid until it expires.
 */
import type { Selection } from '../config/resolve.js';
import { sessionName, storedSettings } from '../config/resolve.js';
import type { StoredSession } from '../config/session-store.js';
import { OsconsoleError } from '../errors.js';
import { revokeToken } from '../openstack/identity.js';
import type { Runtime } from './runtime.js';
import { isLive } from './sessions.js';

export type LogoutOutcome = {
  cloud: string;
  revoked: 'revoked' | 'already-invalid' | 'failed';
  expiresAt: string;
  rejected: boolean;
  /** For the person, before the outcome: the token could not be revoked and still works. */
  warning?: string;
};

export interface LogoutTargets {
  names: string[];
  sessions: StoredSession[];
  /** With nothing selected and no current session: the live sessions of other clouds, to name them. */
  others: string[];
}

/** The sessions `logout` means: all of them, or the one the selection names (none when there is nothing to log out of). */
export async function sessionsToLogOut(rt: Runtime, sel: Selection, all: boolean): Promise<LogoutTargets> {
  const file = (await rt.sessions()).read();
  if (all) return { names: Object.keys(file.sessions), sessions: Object.values(file.sessions), others: [] };
  let name: string;
  try {
    name = sessionName(sel, rt.deps.env, file.current);
  } catch (err) {
    if (!(err instanceof OsconsoleError && err.code === 'E_AUTH')) throw err;
    const others = Object.values(file.sessions)
      .filter((s) => isLive(s, rt.now()))
      .map((s) => s.cloud)
      .sort();
    return { names: [], sessions: [], others };
  }
  const session = file.sessions[name];
  return { names: [name], sessions: session ? [session] : [], others: [] };
}

export async function logout(rt: Runtime, sessions: StoredSession[], purgeDamaged: boolean): Promise<LogoutOutcome[]> {
  const outcomes: LogoutOutcome[] = [];
  for (const s of sessions) outcomes.push(await revoke(rt, s));
  const store = await rt.sessions();
  await store.update((f) => {
    for (const s of sessions) delete f.sessions[s.cloud];
    if (f.current && !(f.current in f.sessions)) f.current = null;
  });
  // Copies of a damaged cache may hold tokens too: `logout --all` removes them.
  if (purgeDamaged) store.removeDamagedCopies();
  return outcomes;
}

async function revoke(rt: Runtime, s: StoredSession): Promise<LogoutOutcome> {
  try {
    const http = await rt.http(storedSettings(s, rt.timeoutMs));
    const revoked = await revokeToken(http, { identityUrl: s.identity_url, token: s.token });
    return { cloud: s.cloud, revoked, expiresAt: s.expires_at, rejected: Boolean(s.rejected_at) };
  } catch (err) {
    const reason = err instanceof OsconsoleError ? err.message : String(err);
    const after = s.rejected_at
      ? `Keystone had already rejected it (it would have expired at ${s.expires_at})`
      : `it stays valid until ${s.expires_at}`;
    const warning = `could not revoke the token of ${s.cloud} (${reason}); ${after}`;
    return { cloud: s.cloud, revoked: 'failed', expiresAt: s.expires_at, rejected: Boolean(s.rejected_at), warning };
  }
}
