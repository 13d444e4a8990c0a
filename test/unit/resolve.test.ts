/**
 * The one resolver (config/resolve.ts): flags > OS_* > clouds.yaml for a
 * login, flags > OS_* > the stored session for the commands that use one,
 * TLS in the one shape the session cache stores, and the typed reasons the
 * core branches on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCloud, resolveForLogin, sessionName, sessionSettings } from '../../src/config/resolve.js';
import type { StoredSession } from '../../src/config/session-store.js';
import { OsconsoleError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osconsole-resolve-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The fields sessionSettings reads; the rest of a session does not bear on settings. */
const stored = {
  cloud: 'c',
  region_name: 'R1',
  interface: 'public',
  tls: { verify: true, cacert: '/etc/ca.pem', cert: null, key: null },
  compute_api_version: '2.60',
} as StoredSession;

async function failure(p: Promise<unknown>): Promise<OsconsoleError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OsconsoleError);
  return err as OsconsoleError;
}

describe('settings of a session-using command', () => {
  const settings = (env: Record<string, string>, flags = {}) =>
    sessionSettings({ env, cwd: dir, flags, timeoutMs: 5000 }, stored);

  it('are the stored session when nothing overrides it', () => {
    expect(settings({})).toEqual({
      name: 'c',
      regionName: 'R1',
      interface: 'public',
      tls: { verify: true, cacert: '/etc/ca.pem', cert: null, key: null },
      computeApiVersion: '2.60',
      timeoutMs: 5000,
    });
  });

  it('take OS_* over the session and flags over OS_*, key by key', () => {
    const s = settings(
      { OS_REGION_NAME: 'R2', OS_INTERFACE: 'internalURL', OS_INSECURE: 'yes', OS_COMPUTE_API_VERSION: '2.79' },
      { region_name: 'R3', compute_api_version: 'latest' },
    );
    expect(s).toMatchObject({ regionName: 'R3', interface: 'internal', computeApiVersion: undefined });
    expect(s.tls).toEqual({ verify: false, cacert: '/etc/ca.pem', cert: null, key: null });
  });

  it('make a relative TLS file absolute where the command ran', () => {
    expect(settings({ OS_CACERT: 'ca.pem' }, { cert: 'me.pem' }).tls).toEqual({
      verify: true,
      cacert: join(dir, 'ca.pem'),
      cert: join(dir, 'me.pem'),
      key: null,
    });
  });
});

describe('which cloud', () => {
  it('--os-cloud, then OS_CLOUD, then envvars for an auth URL, then the current session', () => {
    expect(sessionName({ cloud: 'a', flags: {} }, { OS_CLOUD: 'b' }, 'c')).toBe('a');
    expect(sessionName({ flags: {} }, { OS_CLOUD: 'b', OS_AUTH_URL: 'http://k' }, 'c')).toBe('b');
    expect(sessionName({ flags: { auth_url: 'http://k' } }, { OS_CLOUD_NAME: 'mine' }, 'c')).toBe('mine');
    expect(sessionName({ flags: {} }, {}, 'c')).toBe('c');
    expect(() => sessionName({ flags: {} }, {}, null)).toThrow('not logged in');
  });
});

describe('a login', () => {
  const input = (env: Record<string, string>, flags = {}) => ({ env, cwd: dir, homedir: dir, flags, timeoutMs: 7000 });

  it('resolves TLS in the shape the session stores, and carries the timeout', async () => {
    const cfg = await resolveCloud(input({ OS_AUTH_URL: 'http://k/v3', OS_CACERT: 'ca.pem' }, { insecure: 'true' }));
    expect(cfg.tls).toEqual({ verify: false, cacert: join(dir, 'ca.pem'), cert: null, key: null });
    expect(cfg.timeoutMs).toBe(7000);
  });

  it('with nothing configured: an error with its reason off a terminal, an empty envvars cloud on one', async () => {
    const err = await failure(resolveForLogin(input({}), false));
    expect(err.reason).toBe('no-cloud-configured');
    const fresh = await resolveForLogin(input({}, { username: 'u', insecure: 'true' }), true);
    expect(fresh).toMatchObject({ name: 'envvars', origin: 'prompt', authType: 'password', values: { username: 'u' } });
    expect(fresh.tls.verify).toBe(false);
  });

  it('names an unknown cloud with its reason', async () => {
    writeFileSync(join(dir, 'clouds.yaml'), 'clouds:\n  a:\n    auth: {auth_url: "http://k/v3"}\n');
    expect((await resolveCloud(input({ OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') }))).name).toBe('a');
    const unknown = await failure(
      resolveCloud({ ...input({ OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') }), cloud: 'b' }),
    );
    expect(unknown.reason).toBe('unknown-cloud');
    expect(unknown.message).toMatch(/cloud "b" is not defined in/);
  });
});
