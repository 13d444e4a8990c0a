/**
 * The login use case: resolve the cloud (flags > OS_* > clouds.yaml), get a
 * token (prompting only when a person is there), and cache the session as the
 * current one. Nothing is written until Keystone has said yes, so a refused
 * login or a Ctrl-C leaves the cache as it was.
 */
import type { CloudConfig, Selection } from '../config/resolve.js';
import { resolveForLogin } from '../config/resolve.js';
import type { StoredSession } from '../config/session-store.js';
import type { TokenBody } from '../openstack/identity.js';
import { authenticate } from './authenticate.js';
import type { Interaction, Runtime } from './runtime.js';
import { saveSession, toStoredSession } from './sessions.js';

export interface LoginResult {
  session: StoredSession;
  /** For the person after the login; the login stands. */
  warnings: string[];
}

export async function login(rt: Runtime, sel: Selection, talk: Interaction): Promise<LoginResult> {
  // The cache directory is checked first: a token Keystone issues must have somewhere to go.
  await rt.sessions();
  const input = { ...rt.deps, ...sel, timeoutMs: rt.timeoutMs };
  const cfg = await resolveForLogin(input, talk.prompter !== undefined);
  const result = await authenticate(rt, cfg, talk);
  // No previous session: a login reads the compute version range anew (the cloud may have been upgraded).
  const session = toStoredSession(cfg, result);
  await saveSession(rt, session);
  return { session, warnings: unknownRegion(cfg, result.body) };
}

/**
 * A region the catalog lacks would only fail at the first console command:
 * say so at login, with the regions of the compute endpoints (the ones
 * osconsole uses), matched as findEndpoint matches them.
 */
function unknownRegion(cfg: CloudConfig, body: TokenBody): string[] {
  const region = cfg.regionName;
  const endpoints = (body.catalog ?? []).filter((s) => s.type === 'compute').flatMap((s) => s.endpoints ?? []);
  if (!region || endpoints.length === 0) return [];
  if (endpoints.some((e) => e.region_id === region || e.region === region)) return [];
  const regions = [...new Set(endpoints.map((e) => e.region_id ?? e.region ?? '(no region)'))].sort();
  return [
    `region ${region} is not in the catalog of cloud ${cfg.name}; its compute endpoints are in ${regions.join(', ')}`,
  ];
}
