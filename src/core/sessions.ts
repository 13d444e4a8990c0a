/**
 * Sessions: turning a Keystone login into a cached session, choosing which
 * cached session a command uses, and renewing it silently when that needs no
 * person (the credentials are in flags, OS_* variables, clouds.yaml or
 * secure.yaml). A token with under 120 s left counts as expired
 * (keystoneauth MIN_TOKEN_LIFE_SECONDS).
 */
import type { CloudConfig, Values } from '../config/cloud-config.js';
import { envCloudName, resolveCloud } from '../config/cloud-config.js';
import type { SessionFile, StoredSession } from '../config/session-store.js';
import type { Context } from '../context.js';
import { OsconsoleError } from '../errors.js';
import type { AuthResult } from './authenticate.js';
import { authenticate } from './authenticate.js';

export const MIN_TOKEN_LIFE_MS = 120_000;

/** What the user typed that bears on sessions: --os-cloud and the other --os-* flags. */
export interface Selection {
  cloud?: string;
  flags: Values;
}

export function isLive(s: Pick<StoredSession, 'expires_at'>, now: number): boolean {
  return Date.parse(s.expires_at) - now > MIN_TOKEN_LIFE_MS;
}

/** The cache entry for a fresh login. Holds the token but never the secret that got it. */
export function toStoredSession(cfg: CloudConfig, result: AuthResult, previous?: StoredSession): StoredSession {
  const b = result.body;
  return {
    cloud: cfg.name,
    auth_url: cfg.values.auth_url ?? result.identityUrl,
    identity_url: result.identityUrl,
    auth_type: cfg.authType,
    token: result.token,
    issued_at: b.issued_at,
    expires_at: b.expires_at,
    methods: [...b.methods],
    user: { id: b.user.id, name: b.user.name, domain: { id: b.user.domain?.id ?? '', name: b.user.domain?.name ?? '' } },
    project: b.project ? { id: b.project.id, name: b.project.name, domain: { id: b.project.domain.id, name: b.project.domain.name } } : null,
    domain: b.domain ? { id: b.domain.id, name: b.domain.name } : null,
    system: Boolean(b.system?.all),
    roles: (b.roles ?? []).map((r) => r.name),
    catalog: (b.catalog ?? []).map((svc) => ({
      type: svc.type,
      name: svc.name,
      endpoints: (svc.endpoints ?? []).map((e) => ({ interface: e.interface, region: e.region ?? null, region_id: e.region_id ?? null, url: e.url })),
    })),
    region_name: cfg.regionName ?? null,
    interface: cfg.interface,
    tls: { verify: cfg.tls.verify, cacert: cfg.tls.cacert ?? null, cert: cfg.tls.cert ?? null, key: cfg.tls.key ?? null },
    compute_api_version: cfg.computeApiVersion ?? null,
    // Version ranges belong to endpoints, not tokens: keep what the last session learnt.
    compute_versions: previous?.compute_versions ?? {},
  };
}

/** Saves a session and makes it the current one. */
export async function saveSession(ctx: Context, session: StoredSession): Promise<void> {
  const store = await ctx.sessions();
  await store.update((file) => {
    file.sessions[session.cloud] = session;
    file.current = session.cloud;
  });
}

/**
 * The cloud a session-using command means: --os-cloud/OS_CLOUD, else `envvars`
 * when OS_AUTH_URL is set, else the current session.
 */
export function sessionName(ctx: Context, sel: Selection, file: SessionFile): string {
  const named = sel.cloud ?? (ctx.env.OS_CLOUD || undefined);
  if (named) return named;
  if (sel.flags.auth_url || ctx.env.OS_AUTH_URL) return envCloudName(ctx.env);
  if (file.current) return file.current;
  throw new OsconsoleError('E_AUTH', 'not logged in', { hint: 'run: osconsole login' });
}

/**
 * A live session for the chosen cloud: the cached one, or a new one obtained
 * without prompting. Fails with exit 3 and "run: osconsole login" otherwise.
 */
export async function liveSession(ctx: Context, sel: Selection): Promise<StoredSession> {
  const store = await ctx.sessions();
  const file = store.read();
  const name = sessionName(ctx, sel, file);
  const cached = file.sessions[name];
  if (cached && isLive(cached, ctx.now())) return cached;
  return renewSession(ctx, sel, name, cached);
}

/** Logs in again without a prompt (a 401 from a service, or an expired token). */
export async function renewSession(ctx: Context, sel: Selection, name: string, previous?: StoredSession): Promise<StoredSession> {
  let cfg: CloudConfig;
  try {
    cfg = await resolveCloud({ ...ctx.deps, flags: sel.flags, cloud: name === envCloudName(ctx.env) && !sel.cloud && !ctx.env.OS_CLOUD ? undefined : name });
  } catch (err) {
    throw notLoggedIn(name, previous, err);
  }
  if (cfg.name !== name) throw notLoggedIn(name, previous);
  let result: AuthResult;
  try {
    result = await authenticate(ctx, cfg);
  } catch (err) {
    if (err instanceof OsconsoleError && err.code === 'E_AUTH') throw notLoggedIn(name, previous, err);
    throw err;
  }
  const session = toStoredSession(cfg, result, previous);
  await saveSession(ctx, session);
  ctx.output.debug(`logged in to ${name} again without a prompt; token expires ${session.expires_at}`);
  return session;
}

function notLoggedIn(name: string, previous: StoredSession | undefined, cause?: unknown): OsconsoleError {
  const why = previous ? `the session for cloud "${name}" has expired` : `not logged in to cloud "${name}"`;
  const detail = cause instanceof OsconsoleError ? ` (${cause.message})` : '';
  return new OsconsoleError('E_AUTH', `${why} and cannot be renewed without you${detail}`, { hint: `run: osconsole login${name === 'envvars' ? '' : ` --os-cloud ${name}`}`, cause });
}

/** The session fields scripts see (`login --json`, `status --json`), snake_case. */
export function summarize(s: StoredSession, current: boolean, now: number) {
  const left = Math.floor((Date.parse(s.expires_at) - now) / 1000);
  return {
    cloud: s.cloud,
    current,
    auth_url: s.auth_url,
    user: s.user,
    project: s.project,
    domain: s.domain,
    system: s.system,
    roles: s.roles,
    region_name: s.region_name,
    interface: s.interface,
    methods: s.methods,
    issued_at: s.issued_at,
    expires_at: s.expires_at,
    expires_in: Math.max(0, left),
    valid: left * 1000 > MIN_TOKEN_LIFE_MS,
  };
}

export type SessionSummary = ReturnType<typeof summarize>;
