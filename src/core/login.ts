/**
 * The login use case: resolve the cloud (flags > OS_* > clouds.yaml), get a
 * token (prompting only when a person is there), and cache the session as the
 * current one. Nothing is written until Keystone has said yes, so a refused
 * login or a Ctrl-C leaves the cache as it was.
 */
import type { CloudConfig } from '../config/cloud-config.js';
import { envCloudName, normalizeInterface, resolveCloud } from '../config/cloud-config.js';
import type { StoredSession } from '../config/session-store.js';
import type { Context } from '../context.js';
import { OsconsoleError } from '../errors.js';
import type { TokenBody } from '../openstack/identity.js';
import { authenticate } from './authenticate.js';
import type { Selection } from './sessions.js';
import { saveSession, toStoredSession } from './sessions.js';

export async function login(ctx: Context, sel: Selection): Promise<StoredSession> {
  // The cache directory is checked first: a token Keystone issues must have somewhere to go.
  await ctx.sessions();
  const prompter = await ctx.prompter();
  const cfg = await resolveOrStartFresh(ctx, sel, prompter !== undefined);
  const result = await authenticate(ctx, cfg, { prompter });
  warnUnknownRegion(ctx, cfg, result.body);
  // No previous session: a login reads the compute version range anew (the cloud may have been upgraded).
  const session = toStoredSession(cfg, result);
  await saveSession(ctx, session);
  return session;
}

/**
 * A region the catalog lacks would only fail at the first console command:
 * say so at login, with the regions of the compute endpoints (the ones
 * osconsole uses), matched as findEndpoint matches them. The login stands.
 */
function warnUnknownRegion(ctx: Context, cfg: CloudConfig, body: TokenBody): void {
  const region = cfg.regionName;
  const endpoints = (body.catalog ?? []).filter((s) => s.type === 'compute').flatMap((s) => s.endpoints ?? []);
  if (!region || endpoints.length === 0) return;
  if (endpoints.some((e) => e.region_id === region || e.region === region)) return;
  const regions = [...new Set(endpoints.map((e) => e.region_id ?? e.region ?? '(no region)'))].sort();
  ctx.output.warn(
    `region ${region} is not in the catalog of cloud ${cfg.name}; its compute endpoints are in ${regions.join(', ')}`,
  );
}

/** With nothing configured at all, a person at a terminal starts from an empty `envvars` cloud and is asked. */
async function resolveOrStartFresh(ctx: Context, sel: Selection, interactive: boolean): Promise<CloudConfig> {
  try {
    return await resolveCloud({ ...ctx.deps, flags: sel.flags, cloud: sel.cloud });
  } catch (err) {
    const nothing = err instanceof OsconsoleError && err.message.startsWith('no cloud configured');
    if (!nothing || !interactive) throw err;
    return {
      name: envCloudName(ctx.env),
      origin: 'prompt',
      authType: 'password',
      values: { ...sel.flags },
      sources: {},
      interface: normalizeInterface(sel.flags.interface),
      regionName: sel.flags.region_name,
      tls: { verify: true, cacert: sel.flags.cacert, cert: sel.flags.cert, key: sel.flags.key },
    };
  }
}
