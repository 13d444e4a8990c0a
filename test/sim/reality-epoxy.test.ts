/**
 * The simulator must not drift from real Epoxy either. Every exchange the Epoxy half of the
 * real-OpenStack tier recorded from real Keystone 27 / Nova 31 (OpenStack 2025.1,
 * test/fixtures/real/epoxy/*.json, written by test/openstack/epoxy/*.test.ts with
 * OSCONSOLE_RECORD_FIXTURES=1) is replayed against the simulator set up like that cloud
 * (compute API up to 2.100, Nova's fake virt driver, [vnc], [spice], [serial_console] and
 * [mks] enabled, the same console base URLs), and the answers are compared: status codes,
 * header names and the values that matter, body shapes (keys and value types), the exact
 * text of error messages, and console URLs (token aside). Known, deliberate differences
 * are listed in KNOWN_DIFFERENCES with their reason; anything else fails.
 * The Zed fixtures have their own replay (reality.test.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { issueToken } from '../helpers/sim.js';
import type { Simulator } from './index.js';
import {
  APP_CREDENTIAL,
  CREDENTIALS,
  PROJECT_IDS,
  ROLE_IDS,
  SERVER_IDS,
  Simulator as Sim,
  USER_IDS,
  totp,
} from './index.js';

interface Fixture {
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

const DIR = join(ROOT, 'test', 'fixtures', 'real', 'epoxy');
const FIXTURES: Fixture[] = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture)
  : [];

/**
 * The console base URLs of the Epoxy tier's nova.conf (test/realcloud-epoxy/stack-up.sh,
 * ports from config.sh), so that the simulator's URLs can be compared with the recorded ones
 * as text. Nothing listens on them, in the tier or here.
 */
const EPOXY_BASE_URLS = {
  novnc: 'http://127.0.0.1:16608/vnc_auto.html',
  'spice-html5': 'http://127.0.0.1:16609/spice_auto.html',
  serial: 'ws://127.0.0.1:16610/',
  webmks: 'http://127.0.0.1:16611/',
  'spice-direct': 'http://127.0.0.1:16613/nova',
};

/** Headers every HTTP server varies on, or that the tier's uwsgi/eventlet add or omit. */
const IGNORED_HEADERS = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'server']);

/** Keys the simulator may have that the recorded body lacks, and why. */
const ALLOWED_EXTRA_KEYS: Record<string, string> = {
  // The tier boots its server with "networks": "none", so Nova lists no security groups.
  security_groups: 'present whenever a server has ports (api-ref servers detail)',
};

/** Fixture name -> why the simulator may answer differently (checked: such a fixture must still exist). */
const KNOWN_DIFFERENCES: Record<string, string> = {};

/**
 * A value that differs on purpose, and why. The fake virt driver's internal_access_path:
 * real Nova 31 gives uuids.<protocol>_access_path, a uuidsentinel that is random per
 * nova-compute process (nova/virt/fake.py), recorded as <uuid-N>; Nova 26 (Zed) gave
 * "FAKE", which the simulator keeps for both: a per-process random value cannot be
 * compared, osconsole prints the field verbatim and nothing depends on its value.
 */
const FAKE_ACCESS_PATH = /^<uuid-\d+>$/;
function listedValueDifferences(real: Record<string, unknown>, simulated: Record<string, unknown>): void {
  if (typeof real.internal_access_path === 'string' && FAKE_ACCESS_PATH.test(real.internal_access_path))
    if (simulated.internal_access_path === 'FAKE') simulated.internal_access_path = real.internal_access_path;
}

let sim: Simulator;
let tokens: Record<string, string> = {};
/** The cloud as the tier runs it, and the same with [spice] enabled = false (spice-disabled fixtures). */
const clouds: Array<{ sim: Simulator; tokens: Record<string, string> }> = [];

beforeAll(async () => {
  for (const spice of [true, false]) {
    const s = await Sim.start({
      computeMaxVersion: '2.100',
      virtDriver: 'fake',
      consoleBaseUrls: EPOXY_BASE_URLS,
      consoleEnabled: { spice },
    });
    const t: Record<string, string> = {};
    for (const who of ['demo', 'admin', 'reader'] as const) t[who] = await issueToken(s, who);
    clouds.push({ sim: s, tokens: t });
  }
});

afterAll(async () => {
  for (const c of clouds) await c.sim.stop();
});

/** Placeholder -> simulator value for the ids the fixtures name. */
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
    '<admin_role_id>': ROLE_IDS.admin,
    '<member_role_id>': ROLE_IDS.member,
    '<reader_role_id>': ROLE_IDS.reader,
  };
}

/** The console type a console-auth-token fixture's token was made for, from its name. */
function consoleTypeOf(name: string): [string, string] | undefined {
  if (name.endsWith('-404')) return undefined;
  if (name.includes('novnc')) return ['vnc', 'novnc'];
  if (name.includes('spice-html5')) return ['spice', 'spice-html5'];
  return ['spice', 'spice-direct'];
}

async function newConsoleToken(protocol: string, type: string): Promise<string> {
  const res = await fetch(`${sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': tokens.demo!,
      'OpenStack-API-Version': 'compute 2.99',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol, type } }),
  });
  const url = new URL(((await res.json()) as { remote_console: { url: string } }).remote_console.url);
  return (
    url.searchParams.get('token') ?? new URLSearchParams((url.searchParams.get('path') ?? '').slice(1)).get('token')!
  );
}

async function mfaReceipt(): Promise<string> {
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
async function materialize(f: Fixture): Promise<{ url: string; init: RequestInit }> {
  const values: Record<string, string> = { ...idMap() };
  const text = JSON.stringify(f.request);
  if (text.includes('<console_token>')) {
    const kind = consoleTypeOf(f.name);
    values['<console_token>'] = kind ? await newConsoleToken(...kind) : 'a3cd1e1e-0000-4000-8000-00000000dead';
  }
  if (text.includes('<receipt>')) values['<receipt>'] = await mfaReceipt();
  values['<passcode>'] = totp(CREDENTIALS.mfa.totpSecret, sim.now());
  values['<secret>'] = APP_CREDENTIAL.secret;
  values['<token>'] = tokens[f.as && f.as in tokens ? f.as : 'demo']!;
  const fill = (v: unknown, parent?: Record<string, unknown>): unknown => {
    if (v === '<password>') {
      // the user is named in the same object (by name, or by an id placeholder)
      const id = typeof parent?.id === 'string' ? (values[parent.id] ?? parent.id) : undefined;
      const user = Object.values(CREDENTIALS).find(
        (c) => c.username === parent?.name || USER_IDS[c.username as keyof typeof USER_IDS] === id,
      );
      return f.name.includes('wrong-password') ? 'not-the-password' : (user?.password ?? 'whatever');
    }
    if (typeof v === 'string') return v.replace(/<[a-z_0-9-]+>/g, (m) => values[m] ?? m);
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

/** Simulator values -> the fixture's placeholders, so messages and URLs compare as text. */
function normalize(text: string): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(idMap())) out = out.split(value).join(placeholder);
  return out
    .replace(/gAAAAA[\w-]+/g, '<receipt>')
    .replace(/(token=|token%3D)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '$1<console_token>');
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
  const b = body as Record<string, any>;
  if (b.error?.message) return b.error.message;
  if (typeof b.message === 'string') return b.message;
  const [inner] = Object.values(b);
  return inner && typeof inner === 'object' && typeof inner.message === 'string' ? inner.message : undefined;
}

/** Origins differ between the tier and the simulator; compare what follows them. */
function urlTail(value: string): string {
  return value.replace(/https?:\/\/127\.0\.0\.1:\d+(\/identity|\/compute)?/g, '<origin>');
}

describe('the simulator answers like real Keystone 27 and Nova 31 (2025.1 Epoxy)', () => {
  it('has Epoxy fixtures to compare with, among them the spice-direct exchange', () => {
    expect(FIXTURES.length).toBeGreaterThan(20);
    expect(FIXTURES.map((f) => f.name)).toContain('epoxy/nova-remote-console-spice-direct');
  });

  it('every known difference names a fixture that exists', () => {
    const names = new Set(FIXTURES.map((f) => f.name));
    expect(Object.keys(KNOWN_DIFFERENCES).filter((n) => !names.has(n))).toEqual([]);
  });

  for (const f of FIXTURES) {
    const known = KNOWN_DIFFERENCES[f.name];
    (known ? it.fails : it)(known ? `${f.name} (known difference: ${known})` : f.name, async () => {
      ({ sim, tokens } = clouds[f.name.includes('spice-disabled') ? 1 : 0]!);
      const { url, init } = await materialize(f);
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
        return;
      }
      expect(shapeDiffs(f.response.body, body)).toEqual([]);
      const realMessage = messageOf(f.response.body);
      if (f.response.status >= 400 && realMessage !== undefined)
        expect(normalize(messageOf(body) ?? '')).toBe(realMessage);
      // console URLs: the same base and token form (the base URLs are the tier's, above)
      const realUrl = (f.response.body as { remote_console?: { url?: string } }).remote_console?.url;
      if (realUrl !== undefined)
        expect(normalize((body as { remote_console: { url: string } }).remote_console.url)).toBe(realUrl);
      // os-console-auth-tokens: the fake driver's values, field for field (tls_port only where real has it)
      const realConsole = (f.response.body as { console?: Record<string, unknown> }).console;
      if (realConsole && 'port' in realConsole) {
        const simConsole = JSON.parse(normalize(JSON.stringify((body as { console: unknown }).console)));
        listedValueDifferences(realConsole, simConsole);
        expect(JSON.stringify(simConsole)).toBe(JSON.stringify(realConsole));
      }
    });
  }
});
