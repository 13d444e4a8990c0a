/**
 * Sessions: turning a Keystone login into a cached session, choosing which
 * cached session a command uses, and renewing it silently when that needs no
 * person (the credentials are in flags, OS_* variables, clouds.yaml or
 * secure.yaml). A token with under 120 s left counts as expired
 * (keystoneauth MIN_TOKEN_LIFE_SECONDS).
 */
import type { Values } from '../config/cloud-config.js';
import type { CloudConfig, Selection } from '../config/resolve.js';
import { askedOfSession, envCloudName, renewalInput, resolveCloud, sessionCloud } from '../config/resolve.js';
import type { SessionFile, StoredSession } from '../config/session-store.js';
import { OsconsoleError } from '../errors.js';
import type { AuthResult } from './authenticate.js';
import { authenticate } from './authenticate.js';
import type { Runtime } from './runtime.js';

export const MIN_TOKEN_LIFE_MS = 120_000;

/** Unexpired by the clock and not refused by a service meanwhile (rejected_at). */
export function isLive(s: Pick<StoredSession, 'expires_at' | 'rejected_at'>, now: number): boolean {
  return !s.rejected_at && Date.parse(s.expires_at) - now > MIN_TOKEN_LIFE_MS;
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
    user: {
      id: b.user.id,
      name: b.user.name,
      domain: { id: b.user.domain?.id ?? '', name: b.user.domain?.name ?? '' },
    },
    project: b.project
      ? { id: b.project.id, name: b.project.name, domain: { id: b.project.domain.id, name: b.project.domain.name } }
      : null,
    domain: b.domain ? { id: b.domain.id, name: b.domain.name } : null,
    system: Boolean(b.system?.all),
    roles: (b.roles ?? []).map((r) => r.name),
    catalog: (b.catalog ?? []).map((svc) => ({
      type: svc.type,
      name: svc.name,
      endpoints: (svc.endpoints ?? []).map((e) => ({
        interface: e.interface,
        region: e.region ?? null,
        region_id: e.region_id ?? null,
        url: e.url,
      })),
    })),
    region_name: cfg.regionName ?? null,
    interface: cfg.interface,
    tls: { ...cfg.tls },
    compute_api_version: cfg.computeApiVersion ?? null,
    application_credential: b.application_credential
      ? { id: b.application_credential.id, name: b.application_credential.name }
      : null,
    rejected_at: null,
    // Version ranges belong to endpoints, not tokens: a silent renewal keeps what the last session
    // learnt; `login` passes no previous session, so a cloud upgrade is read anew.
    compute_versions: previous?.compute_versions ?? {},
  };
}

/**
 * Saves a session. A login makes it the current one; a silent renewal leaves
 * the current pointer where the user's last login put it (unless there is none).
 */
export async function saveSession(rt: Runtime, session: StoredSession, makeCurrent = true): Promise<void> {
  const store = await rt.sessions();
  const change = (file: SessionFile) => {
    file.sessions[session.cloud] = session;
    if (makeCurrent || !file.current || !(file.current in file.sessions)) file.current = session.cloud;
  };
  // A login exists to save its session; a silent renewal already has its token, and a full or
  // read-only disk only costs the next command another renewal.
  if (makeCurrent) await store.update(change);
  else await store.updateOptional(change);
}

/**
 * A live session for the chosen cloud: the cached one when it is live and is
 * for what this command asks (the same auth URL, user and scope, when flags or
 * OS_* variables say so), or a new one obtained without prompting. Fails with
 * exit 3 and "run: osconsole login" when that needs a person.
 */
export async function liveSession(rt: Runtime, sel: Selection, notify: Notify): Promise<StoredSession> {
  const store = await rt.sessions();
  const file = store.read();
  const name = await sessionCloud({ ...rt.deps, ...sel }, file.current);
  const cached = file.sessions[name];
  if (cached && isLive(cached, rt.now())) {
    const wanted = await askedOfSession({ ...rt.deps, ...sel }, name);
    const why = wanted && mismatch(cached, wanted);
    if (!why) return cached;
    rt.debug(`the cached session for ${name} is not what this command asks for (${why}); logging in again`);
  }
  return renewSession(rt, sel, name, notify, cached);
}

/** Warnings that cannot wait (TLS verification off before a silent login sends credentials). */
export type Notify = (warning: string) => void;

const trimSlash = (u: string) => u.replace(/\/+$/, '');
const authFamily = (t: string) => t.replace(/^v3(?=password$|token$)/, '');

/** Why a cached session does not match the asked-for settings, or undefined when it does. */
export function mismatch(s: StoredSession, v: Values): string | undefined {
  if (v.auth_url) {
    const asked = trimSlash(v.auth_url);
    const known = [s.auth_url, s.identity_url, s.identity_url.replace(/\/v3\/?$/, '')].map(trimSlash);
    if (!known.includes(asked)) return `auth URL ${asked}, not ${s.auth_url}`;
  }
  if (v.auth_type && authFamily(v.auth_type) !== authFamily(s.auth_type))
    return `auth type ${v.auth_type}, not ${s.auth_type}`;
  const differs = (asked: string | undefined, have: string | undefined) => asked !== undefined && asked !== have;
  if (v.application_credential_id || v.application_credential_name) {
    const ac = s.application_credential;
    if (
      !ac ||
      differs(v.application_credential_id, ac.id) ||
      (!v.application_credential_id && differs(v.application_credential_name, ac.name))
    ) {
      return 'another application credential';
    }
  } else {
    if (differs(v.user_id, s.user.id) || (!v.user_id && differs(v.username, s.user.name)))
      return `user ${v.user_id ?? v.username}, not ${s.user.name}`;
    if (!v.user_id && (differs(v.user_domain_id, s.user.domain.id) || differs(v.user_domain_name, s.user.domain.name)))
      return "another user's domain";
  }
  if (v.project_id || v.project_name) {
    const p = s.project;
    if (!p || differs(v.project_id, p.id) || (!v.project_id && differs(v.project_name, p.name)))
      return `project ${v.project_id ?? v.project_name}, not ${p?.name ?? 'none'}`;
    if (!v.project_id && (differs(v.project_domain_id, p.domain.id) || differs(v.project_domain_name, p.domain.name)))
      return "another project's domain";
  } else if (v.domain_id || v.domain_name) {
    if (!s.domain || differs(v.domain_id, s.domain.id) || (!v.domain_id && differs(v.domain_name, s.domain.name)))
      return 'another domain scope';
  } else if (v.system_scope && !s.system) {
    return 'system scope';
  }
  return undefined;
}

/** Logs in again without a prompt (a 401 from a service, an expired token, other credentials). */
export async function renewSession(
  rt: Runtime,
  sel: Selection,
  name: string,
  notify: Notify,
  previous?: StoredSession,
): Promise<StoredSession> {
  const notLoggedIn = (cause?: unknown) => cannotRenew(name, name === envCloudName(rt.deps.env), previous, cause);
  let cfg: CloudConfig;
  try {
    cfg = await resolveCloud(renewalInput({ ...rt.deps, ...sel, timeoutMs: rt.timeoutMs }, name));
  } catch (err) {
    // A bad clouds.yaml or an unknown cloud is the user's to fix (exit 2), unless a session by that
    // name exists (made from OS_* variables): then it has just expired.
    const unknownButCached = previous && err instanceof OsconsoleError && err.reason === 'unknown-cloud';
    if (err instanceof OsconsoleError && err.code !== 'E_AUTH' && !unknownButCached) throw err;
    throw notLoggedIn(err);
  }
  if (cfg.name !== name) throw notLoggedIn();
  let result: AuthResult;
  try {
    result = await authenticate(rt, cfg, { notify });
  } catch (err) {
    if (err instanceof OsconsoleError && err.code === 'E_AUTH') throw notLoggedIn(err);
    throw err;
  }
  const session = toStoredSession(cfg, result, previous);
  await saveSession(rt, session, false);
  rt.debug(`logged in to ${name} again without a prompt; token expires ${session.expires_at}`);
  return session;
}

/** "cannot be renewed without you", and the login command that would renew it (no --os-cloud for the OS_* cloud). */
function cannotRenew(
  name: string,
  fromEnv: boolean,
  previous: StoredSession | undefined,
  cause?: unknown,
): OsconsoleError {
  const why = !previous
    ? `not logged in to cloud "${name}"`
    : previous.rejected_at && Date.parse(previous.expires_at) > Date.parse(previous.rejected_at)
      ? `the token of cloud "${name}" was rejected by Keystone before its expiry (${previous.expires_at})`
      : `the session for cloud "${name}" has expired`;
  const detail = cause instanceof OsconsoleError ? ` (${cause.message})` : '';
  return new OsconsoleError('E_AUTH', `${why} and cannot be renewed without you${detail}`, {
    hint: `run: osconsole login${fromEnv ? '' : ` --os-cloud ${name}`}`,
    cause,
  });
}

/** The session fields scripts see (`login --json`, `status --json`), snake_case. */
export function summarize(s: StoredSession, current: boolean, now: number) {
  const rejected = Boolean(s.rejected_at);
  // A rejected token has no time left, whatever its expires_at (kept as Keystone issued it).
  const left = rejected ? 0 : Math.floor((Date.parse(s.expires_at) - now) / 1000);
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
    rejected,
  };
}

export type SessionSummary = ReturnType<typeof summarize>;
