/**
 * Helpers for the real-OpenStack tier: the injected facts, raw HTTP with fetch,
 * token helpers, and the fixture recorder (test/fixtures/real/, rewritten only
 * when OSCONSOLE_RECORD_FIXTURES=1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, inject, it } from 'vitest';
import type { RealcloudFacts } from './context.js';

const ctx = inject('realcloud');
/** null when the tier is skipped on this machine (the global setup said why). */
export const facts: RealcloudFacts | null = ctx.skipped === undefined ? ctx.facts : null;
export const skipReason: string | undefined = ctx.skipped;

/** describe() that is skipped (with the reason in its title) when the tier cannot run. */
export function describeReal(name: string, fn: (f: RealcloudFacts) => void): void {
  if (facts) {
    const f = facts;
    describe(name, () => fn(f));
  } else {
    describe(name, () => {
      it.skip(`skipped: ${skipReason ?? 'unknown reason'}`, () => undefined);
    });
  }
}

export const FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
export const RECORD = !!process.env.OSCONSOLE_RECORD_FIXTURES && process.env.OSCONSOLE_RECORD_FIXTURES !== '0';

export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body, or undefined when the body is empty or not JSON */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestSpec {
  method?: string;
  headers?: Record<string, string>;
  token?: string;
  /** `compute 2.6` style header value; sent as OpenStack-API-Version */
  microversion?: string;
  body?: unknown;
}

export interface RecordSpec {
  /** fixture file name without .json (Epoxy: `epoxy/<name>`) */
  name: string;
  /** one line saying what the exchange shows */
  description: string;
  /** whose token was sent, if any */
  as?: string;
  /** extra literal -> placeholder replacements (e.g. a console token) */
  replace?: Record<string, string>;
}

/** One HTTP exchange; recorded as a fixture when `rec` is given and recording is on. */
export async function call(url: string, spec: RequestSpec = {}, rec?: RecordSpec): Promise<Exchange> {
  const headers: Record<string, string> = { Accept: 'application/json', ...(spec.headers ?? {}) };
  if (spec.token) headers['X-Auth-Token'] = spec.token;
  if (spec.microversion) headers['OpenStack-API-Version'] = spec.microversion;
  let body: string | undefined;
  if (spec.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(spec.body);
  }
  const method = spec.method ?? (body === undefined ? 'GET' : 'POST');
  const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(90_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const ex: Exchange = { status: res.status, headers: res.headers, text, json };
  if (rec && RECORD && facts) writeFixture(facts, url, method, headers, spec.body, ex, rec);
  return ex;
}

// ------------------------------------------------------------------ tokens

export type UserName = 'admin' | 'demo' | 'reader' | 'mfa';

export function passwordIdentity(f: RealcloudFacts, user: UserName, password?: string): Record<string, unknown> {
  return {
    methods: ['password'],
    password: { user: { name: user, domain: { name: f.domain.name }, password: password ?? f.users[user].password } },
  };
}

export function projectScopeByName(f: RealcloudFacts, project: 'admin' | 'demo'): Record<string, unknown> {
  return { project: { name: project, domain: { name: f.domain.name } } };
}

/** Password token scoped to the user's project; returns [token, body]. */
export async function passwordToken(f: RealcloudFacts, user: Exclude<UserName, 'mfa'>): Promise<string> {
  const r = await call(`${f.auth_url}/auth/tokens`, {
    body: {
      auth: {
        identity: passwordIdentity(f, user),
        scope: projectScopeByName(f, f.users[user].project as 'admin' | 'demo'),
      },
    },
  });
  if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${r.text}`);
  const tok = r.headers.get('x-subject-token');
  if (!tok) throw new Error('no X-Subject-Token');
  return tok;
}

const tokenCache = new Map<string, string>();
/** A cached project-scoped token per user (one password auth per user per test file). */
export async function tokenFor(f: RealcloudFacts, user: Exclude<UserName, 'mfa'>): Promise<string> {
  let t = tokenCache.get(user);
  if (!t) {
    t = await passwordToken(f, user);
    tokenCache.set(user, t);
  }
  return t;
}

/** The nova root URL (no /v2.1), from the RegionOne compute endpoint. */
export function novaRoot(f: RealcloudFacts): string {
  return f.compute_url.replace(/\/v2(\.1)?\/?$/, '');
}
export function keystoneRoot(f: RealcloudFacts): string {
  return f.auth_url.replace(/\/v3\/?$/, '');
}

// ------------------------------------------------------------------ fixtures

/** Response headers whose values are recorded (names of all headers are recorded). */
const VALUE_HEADERS = [
  'openstack-api-version',
  'x-openstack-nova-api-version',
  'vary',
  'content-type',
  'www-authenticate',
  'location',
];
/** Secret headers: recorded with a placeholder value (presence matters). */
const SECRET_HEADERS: Record<string, string> = {
  'x-subject-token': '<token>',
  'openstack-auth-receipt': '<receipt>',
  'x-auth-token': '<token>',
};
/** Request headers recorded (others, like the user agent, are noise). */
const REQUEST_HEADERS = [
  'accept',
  'content-type',
  'openstack-api-version',
  'x-openstack-nova-api-version',
  'x-auth-token',
  'x-subject-token',
  'openstack-auth-receipt',
];

const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\b/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const HEX32 = /\b[0-9a-f]{32}\b/g;
const HEX56 = /\b[0-9a-f]{56}\b/g;
const FERNET = /gAAAAA[A-Za-z0-9_-]+=*/g;

/** Replace ids, tokens, secrets and recent timestamps by stable placeholders. */
export function sanitizer(f: RealcloudFacts, extra: Record<string, string> = {}): (s: string) => string {
  const known: Record<string, string> = {
    ...extra,
    [f.projects.admin]: '<admin_project_id>',
    [f.projects.demo]: '<demo_project_id>',
    [f.users.admin.id]: '<admin_user_id>',
    [f.users.demo.id]: '<demo_user_id>',
    [f.users.reader.id]: '<reader_user_id>',
    [f.users.mfa.id]: '<mfa_user_id>',
    [f.roles.admin]: '<admin_role_id>',
    [f.roles.member]: '<member_role_id>',
    [f.roles.reader]: '<reader_role_id>',
    [f.appcred.id]: '<appcred_id>',
    [f.compute_service_id]: '<compute_service_id>',
    [f.server.server_id]: '<server_id>',
    [f.server.image_id]: '<image_id>',
    [f.appcred.secret]: '<appcred_secret>',
  };
  // passwords are scrubbed by key (scrubJson): "secret" is too common a word to replace blindly
  if (f.users.mfa.totp_secret) known[f.users.mfa.totp_secret] = '<totp_secret>';
  const others = new Map<string, string>();
  const other = (v: string, kind: string): string => {
    let p = others.get(v);
    if (!p) {
      p = `<${kind}-${others.size + 1}>`;
      others.set(v, p);
    }
    return p;
  };
  const now = Date.now();
  return (s: string) => {
    let out = s;
    for (const [k, v] of Object.entries(known)) if (k) out = out.split(k).join(v);
    out = out.replace(FERNET, '<token>');
    // console tokens in console URLs (?token=<uuid>, or novnc's path=%3Ftoken%3D<uuid>)
    out = out.replace(
      /(token=|token%3D)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      '$1<console_token>',
    );
    out = out.replace(UUID, (m) => other(m, 'uuid'));
    out = out.replace(HEX56, '<host_id>');
    out = out.replace(HEX32, (m) => other(m, 'id'));
    // recent timestamps (issued/expires/created/updated) become a fixed one of the same
    // shape; old constants such as nova's "updated": "2013-07-23T11:33:21Z" stay
    out = out.replace(ISO, (m, frac: string | undefined, tz: string | undefined) => {
      const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(m) ? m : m + 'Z');
      if (Number.isNaN(t) || Math.abs(t - now) > 30 * 86400_000) return m;
      return '2000-01-01T00:00:00' + (frac ? '.' + '0'.repeat(frac.length - 1) : '') + (tz ?? '');
    });
    return out;
  };
}

function scrubJson(v: unknown, s: (x: string) => string): unknown {
  if (typeof v === 'string') return s(v);
  if (Array.isArray(v)) return v.map((x) => scrubJson(x, s));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'audit_ids' && Array.isArray(x)) o[k] = x.map(() => '<audit_id>');
      // unordered in reality (keystone builds them from Python sets: the order changes
      // from one keystone process to the next), sorted here so re-recording is stable
      else if (k === 'methods' && Array.isArray(x) && x.every((m) => typeof m === 'string')) o[k] = [...x].sort();
      else if (
        k === 'roles' &&
        Array.isArray(x) &&
        x.every((r) => r && typeof r === 'object' && typeof r.name === 'string')
      ) {
        o[k] = scrubJson(
          [...x].sort((a, b) => String(a.name).localeCompare(String(b.name))),
          s,
        );
      } else if (k === 'password' && typeof x === 'string') o[k] = '<password>';
      else if ((k === 'secret' || k === 'passcode') && typeof x === 'string') o[k] = `<${k}>`;
      else o[k] = scrubJson(x, s);
    }
    return o;
  }
  return v;
}

function writeFixture(
  f: RealcloudFacts,
  url: string,
  method: string,
  reqHeaders: Record<string, string>,
  reqBody: unknown,
  ex: Exchange,
  rec: RecordSpec,
): void {
  const s = sanitizer(f, rec.replace);
  const u = new URL(url);
  const service = u.port === new URL(f.auth_url).port ? 'keystone' : 'nova';
  const rh: Record<string, string> = {};
  for (const [k, v] of Object.entries(reqHeaders)) {
    const lk = k.toLowerCase();
    if (!REQUEST_HEADERS.includes(lk)) continue;
    // a receipt/token header holding a real fernet value is masked; a deliberately
    // malformed one (a test input) is kept so the recorded error message makes sense
    rh[k] = SECRET_HEADERS[lk] && (lk === 'x-auth-token' || /^gAAAAA/.test(v)) ? (SECRET_HEADERS[lk] as string) : v;
  }
  // hop-by-hop headers say how the connection is handled (the harness's uwsgi adds
  // Connection: close), not what the API answers: left out
  const names = [...ex.headers.keys()]
    .map((h) => h.toLowerCase())
    .filter((h) => !['connection', 'keep-alive', 'transfer-encoding'].includes(h))
    .sort();
  const values: Record<string, string> = {};
  for (const n of names) {
    if (SECRET_HEADERS[n]) values[n] = SECRET_HEADERS[n] as string;
    else if (VALUE_HEADERS.includes(n)) values[n] = s(ex.headers.get(n) ?? '');
  }
  const fixture = {
    name: rec.name,
    description: rec.description,
    service,
    as: rec.as ?? null,
    recorded_with: {
      keystone: f.versions['python3-keystone'] ?? null,
      nova: f.versions['python3-nova'] ?? null,
    },
    request: {
      method,
      path: s(decodeURIComponent(u.pathname) + u.search),
      headers: rh,
      body: reqBody === undefined ? null : scrubJson(reqBody, s),
    },
    response: {
      status: ex.status,
      header_names: names,
      headers: values,
      body: ex.json !== undefined ? scrubJson(ex.json, s) : null,
      ...(ex.json === undefined && ex.text ? { body_text: s(ex.text) } : {}),
    },
  };
  // a name may hold a folder: the Epoxy tier records into epoxy/ (test/fixtures/real/epoxy/)
  mkdirSync(dirname(`${FIXTURES}${rec.name}.json`), { recursive: true });
  writeFileSync(`${FIXTURES}${rec.name}.json`, JSON.stringify(fixture, null, 2) + '\n');
}
