/**
 * Replaying recorded real exchanges (test/fixtures/real/, written by the
 * real-OpenStack tier with OSCONSOLE_RECORD_FIXTURES=1) against the simulator,
 * for the reality checks of each cloud the tier runs (reality.test.ts for Zed,
 * reality-epoxy.test.ts for Epoxy). A fixture's placeholders are filled from
 * the simulator, the request is sent, and the answer is compared with the
 * recorded one: status, header names and the values that matter, body shape
 * (keys and value types), and the exact text of error messages.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { issueToken } from '../helpers/sim.js';
import type { Simulator } from './index.js';
import { APP_CREDENTIAL, CREDENTIALS, PROJECT_IDS, ROLE_IDS, SERVER_IDS, USER_IDS, totp } from './index.js';

export interface Fixture {
  name: string;
  service: 'keystone' | 'nova';
  as: string | null;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: {
    status: number;
    header_names: string[];
    headers: Record<string, string>;
    body: unknown;
    body_text?: string;
  };
}

/** A simulator set up like one of the tier's clouds, and its users' tokens. */
export interface Cloud {
  sim: Simulator;
  tokens: Record<string, string>;
  /** The microversion console tokens are made at (one the cloud takes for every type it replays). */
  consoleVersion: string;
  /** The [protocol, type] a console-auth-token fixture's token was made for, from its name; undefined: an unknown token. */
  consoleTypeOf(name: string): [string, string] | undefined;
}

export function loadFixtures(dir: string): Fixture[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Fixture);
}

/** Tokens of the users the fixtures act as. */
export async function tokensOf(sim: Simulator): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const who of ['demo', 'admin', 'reader'] as const) out[who] = await issueToken(sim, who);
  return out;
}

/** Headers every HTTP server varies on, or that the tier's uwsgi/eventlet add or omit. */
const IGNORED_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'server']);

/** Keys the simulator may have that the recorded body lacks, and why. */
const ALLOWED_EXTRA_KEYS: Record<string, string> = {
  // The tier boots its server with "networks": "none", so Nova lists no security groups.
  security_groups: 'present whenever a server has ports (api-ref servers detail)',
};

const UNKNOWN_SERVER = '5b2d7c6e-7e0b-4c3b-9d57-0d9e5a1f0c11';

/** Placeholder → simulator value for the ids the fixtures name. */
function idMap(): Record<string, string> {
  return {
    '<admin_project_id>': PROJECT_IDS.admin,
    '<demo_project_id>': PROJECT_IDS.demo,
    '<admin_user_id>': USER_IDS.admin,
    '<demo_user_id>': USER_IDS.demo,
    '<reader_user_id>': USER_IDS.reader,
    '<mfa_user_id>': USER_IDS.mfa,
    '<appcred_id>': APP_CREDENTIAL.id,
    '<server_id>': SERVER_IDS.web1,
    '<unknown_server_id>': UNKNOWN_SERVER,
    // The tier's server that never got a host (ERROR after NoValidHost); the simulator's building-vm has none either.
    '<no_host_server_id>': SERVER_IDS.building,
    '<admin_role_id>': ROLE_IDS.admin,
    '<member_role_id>': ROLE_IDS.member,
    '<reader_role_id>': ROLE_IDS.reader,
  };
}

async function newConsoleToken(cloud: Cloud, protocol: string, type: string): Promise<string> {
  const res = await fetch(`${cloud.sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': cloud.tokens.demo!,
      'OpenStack-API-Version': `compute ${cloud.consoleVersion}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol, type } }),
  });
  const url = new URL(((await res.json()) as { remote_console: { url: string } }).remote_console.url);
  return (
    url.searchParams.get('token') ?? new URLSearchParams((url.searchParams.get('path') ?? '').slice(1)).get('token')!
  );
}

async function mfaReceipt(sim: Simulator): Promise<string> {
  const res = await fetch(`${sim.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { id: USER_IDS.mfa, password: CREDENTIALS.mfa.password } },
        },
      },
    }),
  });
  await res.arrayBuffer();
  return res.headers.get('openstack-auth-receipt')!;
}

/** The fixture's request with its placeholders filled from the simulator. */
async function materialize(f: Fixture, cloud: Cloud): Promise<{ url: string; init: RequestInit }> {
  const { sim, tokens } = cloud;
  const values: Record<string, string> = { ...idMap() };
  const text = JSON.stringify(f.request);
  if (text.includes('<console_token>')) {
    const kind = cloud.consoleTypeOf(f.name);
    values['<console_token>'] = kind ? await newConsoleToken(cloud, ...kind) : 'a3cd1e1e-0000-4000-8000-00000000dead';
  }
  if (text.includes('<receipt>')) values['<receipt>'] = await mfaReceipt(sim);
  const code = totp(CREDENTIALS.mfa.totpSecret, sim.now());
  values['<passcode>'] = f.name.includes('wrong-totp') ? (code === '000000' ? '111111' : '000000') : code;
  values['<secret>'] = f.name.includes('wrong-secret') ? 'not-the-secret' : APP_CREDENTIAL.secret;
  values['<appcred_secret>'] = values['<secret>'];
  if (f.as === 'garbage') values['<token>'] = 'gAAAAAgarbage';
  else if (f.name.endsWith('keystone-token-rescope')) values['<token>'] = await issueToken(sim, 'demo', 'unscoped');
  else values['<token>'] = tokens[f.as && f.as in tokens ? f.as : 'demo']!;

  const fill = (v: unknown, parent?: Record<string, unknown>): unknown => {
    if (typeof v === 'string') {
      if (v === '<password>') {
        // The user is named in the same object (by name, or by an id placeholder).
        const id = typeof parent?.id === 'string' ? (values[parent.id] ?? parent.id) : undefined;
        const user = Object.values(CREDENTIALS).find(
          (c) => c.username === parent?.name || USER_IDS[c.username as keyof typeof USER_IDS] === id,
        );
        return f.name.includes('wrong-password') ? 'not-the-password' : (user?.password ?? 'whatever');
      }
      return v.replace(/<[a-z_0-9-]+>/g, (m) => values[m] ?? m);
    }
    if (Array.isArray(v)) return v.map((x) => fill(x));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fill(x, o)]));
    }
    return v;
  };
  const base = f.service === 'keystone' ? sim.identityUrl : `${sim.url}/compute`;
  return {
    url: `${base}${fill(f.request.path) as string}`,
    init: {
      method: f.request.method,
      headers: fill(f.request.headers) as Record<string, string>,
      body: f.request.body === null ? undefined : JSON.stringify(fill(f.request.body)),
    },
  };
}

/** Simulator values → the fixture's placeholders, so messages and URLs compare as text. */
export function normalize(text: string): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(idMap())) out = out.split(value).join(placeholder);
  return out
    .replace(/(token=|token%3D)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '$1<console_token>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, '<console_token>')
    .replace(/gAAAAA[\w-]+/g, '<receipt>');
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Recursive shape comparison: every real key exists with a compatible type (null fits any, as the api-ref allows). */
function shapeDiffs(real: unknown, simulated: unknown, path = '$'): string[] {
  const rt = typeOf(real);
  const st = typeOf(simulated);
  if (rt !== st) return rt === 'null' || st === 'null' ? [] : [`${path}: ${rt} in reality, ${st} in the simulator`];
  if (rt === 'array') {
    const r = real as unknown[];
    // Element i against the recorded element i (lists like links mix shapes), else the first one.
    return r.length === 0
      ? []
      : (simulated as unknown[]).flatMap((s, i) => shapeDiffs(r[i] ?? r[0], s, `${path}[${i}]`));
  }
  if (rt !== 'object') return [];
  const r = real as Record<string, unknown>;
  const s = simulated as Record<string, unknown>;
  const out: string[] = [];
  for (const k of Object.keys(r)) {
    if (!(k in s)) out.push(`${path}.${k}: missing in the simulator`);
    else out.push(...shapeDiffs(r[k], s[k], `${path}.${k}`));
  }
  for (const k of Object.keys(s))
    if (!(k in r) && !(k in ALLOWED_EXTRA_KEYS)) out.push(`${path}.${k}: only in the simulator`);
  return out;
}

/** The human message of an error body, in any of the shapes the services use. */
function messageOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (b.error?.message) return b.error.message;
  if (typeof b.message === 'string') return b.message;
  const [inner] = Object.values(b);
  return inner && typeof inner === 'object' && typeof inner.message === 'string' ? inner.message : undefined;
}

/** Origins and prefixes differ between the tier and the simulator; compare what follows them. */
function urlTail(value: string): string {
  return value.replace(/https?:\/\/127\.0\.0\.1:\d+(\/identity|\/compute)?/g, '<origin>');
}

/**
 * Sends the fixture's request to the simulator and checks the answer against
 * the recorded one. Returns the simulator's body (undefined: not JSON) for
 * checks of a cloud's own.
 */
export async function replay(f: Fixture, cloud: Cloud): Promise<unknown> {
  const { url, init } = await materialize(f, cloud);
  // Some recordings probe URLs the real service has no route for; the answer is compared with theirs.
  if (f.response.status === 404 || f.response.status === 300)
    cloud.sim.expectUnknown({ method: f.request.method, path: new URL(url).pathname });
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  expect(res.status, `${f.name}: ${text.slice(0, 300)}`).toBe(f.response.status);

  const simNames = [...res.headers.keys()].filter((h) => !IGNORED_HEADERS.has(h)).sort();
  const realNames = f.response.header_names.filter((h) => !IGNORED_HEADERS.has(h)).sort();
  expect(simNames, 'header names').toEqual(realNames);
  for (const name of ['content-type', 'openstack-api-version', 'x-openstack-nova-api-version', 'vary']) {
    if (f.response.headers[name] !== undefined) expect(res.headers.get(name), name).toBe(f.response.headers[name]);
  }
  for (const name of ['location', 'www-authenticate']) {
    if (f.response.headers[name] !== undefined)
      expect(urlTail(res.headers.get(name) ?? ''), name).toBe(urlTail(f.response.headers[name]!));
  }

  if (f.response.body === null || f.response.body === undefined) {
    if (f.response.body_text !== undefined) expect(body === undefined, 'a non-JSON body').toBe(true);
    return body;
  }
  expect(shapeDiffs(f.response.body, body)).toEqual([]);
  const realMessage = messageOf(f.response.body);
  if (f.response.status >= 400 && realMessage !== undefined) expect(normalize(messageOf(body) ?? '')).toBe(realMessage);
  return body;
}
