/**
 * clouds.yaml parsing edge cases (issue 10): YAML merge keys as PyYAML's
 * safe_load reads them for openstacksdk, failsafe scalars, per-region values,
 * Object.prototype names, and the form of the auth URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { methodsOf } from '../../src/auth/credentials.js';
import { resolveCloud } from '../../src/config/resolve.js';
import { authKeyVerdict, topKeyVerdict } from '../../src/config/cloud-keys.js';
import { loadCloudsFile } from '../../src/config/clouds-yaml.js';
import { OsconsoleError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osconsole-cfg-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function files(clouds: string, secure?: string) {
  const env: Record<string, string> = { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') };
  writeFileSync(join(dir, 'clouds.yaml'), clouds);
  if (secure !== undefined) {
    writeFileSync(join(dir, 'secure.yaml'), secure);
    env.OS_CLIENT_SECURE_FILE = join(dir, 'secure.yaml');
  }
  return { env, cwd: dir, homedir: dir };
}

async function cloud(yaml: string, name: string, secure?: string) {
  const f = await loadCloudsFile(files(yaml, secure));
  return f?.get(name)?.values;
}

async function failure(p: Promise<unknown>): Promise<OsconsoleError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OsconsoleError);
  return err as OsconsoleError;
}

describe('merge keys', () => {
  const anchors = 'a: &a {x: a1, y: a2, n: {p: 1}}\nb: &b {x: b1, z: b3, n: {q: 2}}\n';

  it('explicit keys win over merged ones, whichever comes first', async () => {
    const yaml = `${anchors}clouds:\n  c1:\n    <<: *a\n    x: own\n  c2:\n    x: own\n    <<: *a\n`;
    expect(await cloud(yaml, 'c1')).toEqual({ x: 'own', y: 'a2', n: { p: '1' } });
    expect(await cloud(yaml, 'c2')).toEqual({ x: 'own', y: 'a2', n: { p: '1' } });
  });

  it('in a list, earlier mappings win over later ones', async () => {
    expect(await cloud(`${anchors}clouds:\n  c:\n    <<: [*a, *b]\n`, 'c')).toEqual({
      x: 'a1',
      y: 'a2',
      z: 'b3',
      n: { p: '1' },
    });
    expect(await cloud(`${anchors}clouds:\n  c:\n    <<: [*b, *a]\n`, 'c')).toEqual({
      x: 'b1',
      y: 'a2',
      z: 'b3',
      n: { q: '2' },
    });
  });

  it('shallow at that mapping: an explicit nested mapping replaces the merged one (PyYAML)', async () => {
    expect(await cloud(`${anchors}clouds:\n  c:\n    <<: *a\n    n: {r: 3}\n`, 'c')).toEqual({
      x: 'a1',
      y: 'a2',
      n: { r: '3' },
    });
  });

  it('scalars stay as written (failsafe): 2.10 is not 2.1, 012345 is not 12345', async () => {
    expect(
      await cloud('base: &base {compute_api_version: 2.10, password: 012345}\nclouds:\n  c:\n    <<: *base\n', 'c'),
    ).toEqual({ compute_api_version: '2.10', password: '012345' });
  });

  it('secure.yaml may use anchors and merge keys too, and still wins', async () => {
    const secure = 'common: &common {auth: {password: s3cret}}\nclouds:\n  c:\n    <<: *common\n';
    expect(await cloud('clouds:\n  c:\n    auth: {username: u, password: old}\n', 'c', secure)).toEqual({
      auth: { username: 'u', password: 's3cret' },
    });
  });

  it('an alias bomb in secure.yaml is a usage error naming that file', async () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [p, c] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
    ])
      rows.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(', ')}]`);
    const err = await failure(loadCloudsFile(files('clouds: {c: {}}\n', `${rows.join('\n')}\nclouds: {c: {x: *f}}\n`)));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(new RegExp(`^${join(dir, 'secure.yaml')}: `));
  });
});

describe('Object.prototype names', () => {
  it('are not clouds unless the file defines them, and never pollute a prototype', async () => {
    const f = await loadCloudsFile(
      files('clouds:\n  __proto__: {polluted: yes}\n  constructor: {auth: {username: u}}\n'),
    );
    expect(f?.names).toEqual(['__proto__', 'constructor']);
    expect(f?.get('toString')).toBeUndefined();
    expect(f?.get('hasOwnProperty')).toBeUndefined();
    expect(f?.get('__proto__')?.values).toEqual({ polluted: 'yes' });
    expect(f?.get('constructor')?.values).toEqual({ auth: { username: 'u' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('auth URL form', () => {
  const resolve = (env: Record<string, string>, flags = {}) => resolveCloud({ env, cwd: dir, homedir: dir, flags });

  it('accepts http and https URLs with a host', async () => {
    for (const url of ['http://127.0.0.1:5000/v3', 'https://keystone.example.com', 'https://[::1]:5000/identity/v3/']) {
      expect((await resolve({ OS_AUTH_URL: url, OS_USERNAME: 'u' })).values.auth_url).toBe(url);
    }
  });

  it('refuses a URL without a scheme, another scheme or no host, naming the variable or flag', async () => {
    for (const url of [
      'keystone.example.com:5000/v3',
      'keystone/v3',
      'localhost:5000',
      'file:///etc/passwd',
      'https://',
    ]) {
      const err = await failure(resolve({ OS_AUTH_URL: url }));
      expect(err.code).toBe('E_USAGE');
      expect(err.message).toMatch(/^OS_AUTH_URL ".*" is not an http:\/\/ or https:\/\/ URL/);
    }
    const flag = await failure(resolve({}, { auth_url: 'keystone:5000' }));
    expect(flag.message).toMatch(/^--os-auth-url "keystone:5000"/);
  });
});

describe('which cloud keys are read, ignored or refused', () => {
  it('reads its settings and legacy spellings, ignores what does not matter to consoles', () => {
    const fine = [
      'auth',
      'auth_type',
      'auth_plugin',
      'endpoint_type',
      'region_name',
      'regions',
      'interface',
      'verify',
      'insecure',
      'cacert',
      'compute_api_version',
      'identity_api_version',
      'username',
      'tenant_name',
    ];
    const ignored = [
      'image_api_version',
      'block_storage_api_version',
      'volume_endpoint_override',
      'network_service_type',
      'image_interface',
      'compute_status_code_retries',
      'networks',
      'api_timeout',
      'split_loggers',
      'operation_log',
    ];
    for (const key of [...fine, ...ignored]) expect(topKeyVerdict(key), key).toEqual({ ok: true });
  });

  it('refuses profiles, compute and identity endpoint choices, and unknown keys', () => {
    const refused = [
      'profile',
      'cloud',
      'compute_endpoint_override',
      'compute_interface',
      'compute_service_name',
      'identity_endpoint_override',
      'identity_interface',
      'auth_ulr',
      'region',
      '__proto__',
      'constructor',
    ];
    for (const key of refused) expect(topKeyVerdict(key).ok, key).toBe(false);
    expect(authKeyVerdict('auth_url').ok).toBe(true);
    expect(authKeyVerdict('tenant_name').ok).toBe(true);
    for (const key of ['trust_id', 'endpoint', 'identity_provider', 'toString'])
      expect(authKeyVerdict(key).ok, key).toBe(false);
  });
});

describe('regions', () => {
  const yaml = `clouds:
  c:
    auth: {auth_url: 'http://k/v3', username: u, project_name: p}
    regions:
      - name: R1
      - name: R2
        values: {interface: internal, auth: {project_name: q}, region_name: ignored}
`;
  const resolve = (env: Record<string, string>) =>
    resolveCloud({ ...files(yaml), env: { ...files(yaml).env, ...env }, flags: {} });

  it("the selected region's values apply, auth merged one level down; the region's name wins", async () => {
    const r2 = await resolve({ OS_REGION_NAME: 'R2' });
    expect(r2.values).toMatchObject({
      region_name: 'R2',
      interface: 'internal',
      username: 'u',
      project_name: 'q',
      auth_url: 'http://k/v3',
    });
    const r1 = await resolve({});
    expect(r1.values).toMatchObject({ region_name: 'R1', project_name: 'p' });
    expect(r1.values.interface).toBeUndefined();
  });
});

describe('auth_methods of v3multifactor read the one auth-type list', () => {
  it('auth type names and the bare totp give Keystone methods; anything else is exit 2 naming it', () => {
    expect(methodsOf('v3multifactor', { auth_methods: 'v3password, totp' })).toEqual(['password', 'totp']);
    expect(methodsOf('v3multifactor', { auth_methods: 'password,v3totp,v3applicationcredential,v3token' })).toEqual([
      'password',
      'totp',
      'application_credential',
      'token',
    ]);
    expect(methodsOf('v3applicationcredential', {})).toEqual(['application_credential']);
    for (const bad of ['v3multifactor', 'toString', 'kerberos']) {
      expect(() => methodsOf('v3multifactor', { auth_methods: `v3password,${bad}` })).toThrow(
        `auth method "${bad}" in auth_methods is not supported`,
      );
    }
  });
});
