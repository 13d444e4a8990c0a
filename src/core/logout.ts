/**
 * The logout use case: revoke each chosen session's token at Keystone
 * (DELETE /v3/auth/tokens; an already invalid token is fine) and remove the
 * sessions from the cache. A token that cannot be revoked (network down) is
 * removed all the same, with a warning that it stays valid until it expires.
 */
import type { StoredSession } from '../config/session-store.js';
import type { Context } from '../context.js';
import { OsconsoleError } from '../errors.js';
import { revokeToken } from '../openstack/identity.js';
import { tlsOf } from './authenticate.js';
import type { Selection } from './sessions.js';
import { sessionName } from './sessions.js';

export type LogoutOutcome = { cloud: string; revoked: 'revoked' | 'already-invalid' | 'failed'; expiresAt: string; reason?: string };

/** The sessions `logout` means: all of them, or the one the selection names (none when there is nothing to log out of). */
export async function sessionsToLogOut(ctx: Context, sel: Selection, all: boolean): Promise<{ names: string[]; sessions: StoredSession[] }> {
  const file = (await ctx.sessions()).read();
  if (all) return { names: Object.keys(file.sessions), sessions: Object.values(file.sessions) };
  let name: string;
  try {
    name = sessionName(ctx, sel, file);
  } catch (err) {
    if (err instanceof OsconsoleError && err.code === 'E_AUTH') return { names: [], sessions: [] };
    throw err;
  }
  const session = file.sessions[name];
  return { names: [name], sessions: session ? [session] : [] };
}

export async function logout(ctx: Context, sessions: StoredSession[], purgeDamaged: boolean): Promise<LogoutOutcome[]> {
  const outcomes: LogoutOutcome[] = [];
  for (const s of sessions) outcomes.push(await revoke(ctx, s));
  const store = await ctx.sessions();
  await store.update((f) => {
    for (const s of sessions) delete f.sessions[s.cloud];
    if (f.current && !(f.current in f.sessions)) f.current = null;
  });
  // Copies of a damaged cache may hold tokens too: `logout --all` removes them.
  if (purgeDamaged) store.removeDamagedCopies();
  return outcomes;
}

async function revoke(ctx: Context, s: StoredSession): Promise<LogoutOutcome> {
  try {
    const tls = tlsOf({ tls: { verify: s.tls.verify, cacert: s.tls.cacert ?? undefined, cert: s.tls.cert ?? undefined, key: s.tls.key ?? undefined } });
    const revoked = await revokeToken(await ctx.http(tls), s.identity_url, s.token);
    return { cloud: s.cloud, revoked, expiresAt: s.expires_at };
  } catch (err) {
    return { cloud: s.cloud, revoked: 'failed', expiresAt: s.expires_at, reason: err instanceof OsconsoleError ? err.message : String(err) };
  }
}
