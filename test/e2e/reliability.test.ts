/**
 * Reliability and security end to end: faults injected in the simulator
 * (timeouts, retries, malformed answers, DNS), TLS with a CA made in the test,
 * the session cache's modes and damage handling, secrets in --debug output,
 * and concurrent processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, expectExit, runMain } from '../helpers/cli.js';
import { startConnectProxy } from '../helpers/proxy.js';
import type { TestEnv } from '../helpers/env.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import { APP_CREDENTIAL, CREDENTIALS, SERVER_IDS, Simulator, totp } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

async function login(t: TestEnv, sim: Simulator, extra: Record<string, string | undefined> = {}) {
  const r = await t.main(['login'], { ...sim.env('demo'), ...extra });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe('network faults', () => {
  it('a stuck compute API hits --timeout: exit 7 naming the host and phase, no hang', async () => {
    await login(env.t, ctx.sim);
    await env.t.main(['console', 'get', SERVER_IDS.web1]);
    ctx.sim.addFault({ match: { method: 'POST' }, action: { kind: 'hang' } });
    const started = Date.now();
    const r = await env.t.main(['--timeout', '0.3', 'console', 'get', SERVER_IDS.web1]);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(
      /^osconsole: timed out after 0\.3 s waiting for 127\.0\.0\.1:\d+ to answer POST http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers\/.*\/remote-consoles; /,
    );
  });

  it('the token request is retried after 503s with Retry-After; the console POST is not', async () => {
    ctx.sim.addFault({
      match: { path: '/identity/v3/auth/tokens' },
      times: 2,
      action: { kind: 'status', status: 503, retryAfter: 0 },
    });
    const first = await login(env.t, ctx.sim);
    expect(ctx.sim.requests('identity').map((e) => e.status)).toEqual([503, 503, 201]);
    // Retry-After: 0 is honoured as given: no backoff on top.
    expect(first.sleeps).toEqual([0, 0]);
    ctx.sim.clearLog();
    ctx.sim.addFault({ match: { method: 'POST' }, action: { kind: 'status', status: 503, retryAfter: 0 } });
    const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(1);
    expect(ctx.sim.requests('compute').filter((e) => e.method === 'POST')).toHaveLength(1);
    expect(r.sleeps).toEqual([]);
    expect(r.stderr).toMatch(/returned 503 Service Unavailable/);
  });

  it('a connection reset on the server list is retried', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({ match: { method: 'GET', path: /servers\/detail$/ }, action: { kind: 'drop' } });
    const r = await env.t.main(['console', 'get', 'web-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      ctx.sim
        .requests('compute')
        .filter((e) => e.path.endsWith('/servers/detail'))
        .map((e) => e.status),
    ).toEqual([0, 200]);
    // One backoff wait (~250 ms with jitter), recorded instead of slept.
    expect(r.sleeps).toHaveLength(1);
    expect(r.sleeps![0]).toBeGreaterThan(0);
  });

  it('a DNS failure names the host and the setting to check', async () => {
    const r = await env.t.main(['login'], {
      ...ctx.sim.env('demo'),
      OS_AUTH_URL: 'http://nonexistent.invalid:5000/v3',
    });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(
      /^osconsole: cannot resolve host nonexistent\.invalid .*; check the auth URL and region\n$/,
    );
  });
});

describe('malformed answers: exit 1 with the URL, the status and an excerpt, never a TypeError', () => {
  const cases: Array<[string, Parameters<Simulator['addFault']>[0], RegExp]> = [
    [
      'an HTML error page from a proxy',
      { match: { service: 'identity' }, times: 3, action: { kind: 'html', status: 502 } },
      /returned 502 Bad Gateway: 502 Bad Gateway/,
    ],
    [
      'a truncated JSON token body',
      { match: { service: 'identity' }, action: { kind: 'corrupt' } },
      /auth\/tokens returned 201 Created with an unexpected body: the body is not valid JSON \(\{/,
    ],
    [
      'a token body of the wrong shape',
      { match: { service: 'identity' }, action: { kind: 'replace', body: { token: 'nope' } } },
      /expected a JSON object with "token"/,
    ],
    [
      'no X-Subject-Token',
      { match: { service: 'identity' }, action: { kind: 'dropHeader', header: 'X-Subject-Token' } },
      /no X-Subject-Token header in the token response/,
    ],
  ];
  for (const [what, fault, message] of cases) {
    it(`login: ${what}`, async () => {
      ctx.sim.addFault(fault);
      const r = await env.t.main(['login'], ctx.sim.env('demo'));
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(new RegExp(`${ctx.sim.url.replace(/[.]/g, '\\.')}/identity/v3/auth/tokens`));
      expect(r.stderr).not.toMatch(/TypeError|Cannot read/);
    });
  }

  it('console get: a remote-console body of the wrong shape', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({ match: { method: 'POST' }, action: { kind: 'replace', body: { console: {} } } });
    const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /remote-consoles returned 200 OK with an unexpected body: expected a JSON object with "remote_console"/,
    );
  });

  it('a catalog without compute says what the catalog has (exit 4)', async () => {
    const sim = await Simulator.start({ catalogHook: (c) => c.filter((s) => s.type !== 'compute') });
    try {
      await login(env.t, sim);
      const r = await env.t.main(['console', 'get', 'web-1']);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toBe(
        'osconsole: no public compute endpoint in region RegionOne: the catalog has no compute service (it has: identity, placement)\n',
      );
    } finally {
      await sim.stop();
    }
  });
});

describe('TLS', () => {
  let dir: string;
  let sim: Simulator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'osconsole-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=osconsole test CA',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'client.key',
      '-out',
      'client.csr',
      '-subj',
      '/CN=osconsole-client',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.pem',
      '-days',
      '2',
    );
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    sim = await Simulator.start({
      tls: { key: read('server.key'), cert: read('server.pem'), clientCa: read('ca.pem') },
    });
  });

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies by default: an unknown CA is exit 7 naming --os-cacert and OS_CACERT', async () => {
    const r = await env.t.main(['login'], sim.env('demo'));
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(
      /^osconsole: TLS verification of 127\.0\.0\.1:\d+ failed: .*; pass the CA bundle with --os-cacert or OS_CACERT, or use --insecure\n$/,
    );
  });

  it('with the CA (OS_CACERT) it works, and the session keeps using it', async () => {
    const r = await env.t.main(['login'], { ...sim.env('demo'), OS_CACERT: join(dir, 'ca.pem') });
    expect(r.code, r.stderr).toBe(0);
    const c = await env.t.main(['console', 'get', 'web-1']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^https:\/\/127\.0\.0\.1/);
    expect(c.stderr).toBe('');
    expect(env.t.sessions().sessions.envvars!.tls.cacert).toBe(join(dir, 'ca.pem'));
    // --insecure on a later command overrides the session's verification, and says so.
    const insecure = await env.t.main(['console', 'get', 'web-1', '--insecure']);
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.stderr).toMatch(/warning: TLS certificate verification is disabled/);
  });

  it('--insecure works and warns every time', async () => {
    const r = await env.t.main(['login', '--insecure'], sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: TLS certificate verification is disabled/);
    const c = await env.t.main(['console', 'get', 'web-1']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/warning: TLS certificate verification is disabled/);
  });

  it('HTTPS_PROXY tunnels to the HTTPS endpoints; NO_PROXY bypasses it', async () => {
    const proxy = await startConnectProxy();
    try {
      const r = await env.t.main(['login'], {
        ...sim.env('demo'),
        OS_CACERT: join(dir, 'ca.pem'),
        HTTPS_PROXY: proxy.url,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.targets).toEqual([`127.0.0.1:${sim.port}`]);
      const c = await env.t.main(['console', 'get', 'web-1'], { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
      expect(c.code, c.stderr).toBe(0);
      expect(proxy.targets).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it('a relative CA path is kept absolute in the session: later commands work from anywhere', async () => {
    const r = await env.t.main(['login'], { ...sim.env('demo'), OS_CACERT: 'ca.pem' }, { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(env.t.sessions().sessions.envvars!.tls.cacert).toBe(join(dir, 'ca.pem'));
    const c = await env.t.main(['console', 'get', 'web-1'], {}, { cwd: env.t.home });
    expect(c.code, c.stderr).toBe(0);
  });

  it('client certificates (OS_CERT, OS_KEY) are presented', async () => {
    sim.clearLog();
    const r = await env.t.main(['login'], {
      ...sim.env('demo'),
      OS_CACERT: join(dir, 'ca.pem'),
      OS_CERT: join(dir, 'client.pem'),
      OS_KEY: join(dir, 'client.key'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(sim.requests('identity')[0]!.clientCert).toBe('osconsole-client');
  });
});

describe('the session cache', () => {
  it('is 0600 in a 0700 directory even under umask 000', async () => {
    // Asynchronously: the simulator answers from this process.
    const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${BIN}" login`], {
      env: env.t.env(ctx.sim.env('demo')),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    expect(await new Promise((resolve) => child.on('close', resolve)), stderr).toBe(0);
    expect(statSync(env.t.sessionsPath).mode & 0o777).toBe(0o600);
    expect(statSync(env.t.configDir).mode & 0o777).toBe(0o700);
  });

  it('is refused, with the reason, when other users can read it', async () => {
    await login(env.t, ctx.sim);
    chmodSync(env.t.sessionsPath, 0o644);
    const r = await env.t.main(['status']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe(
      `osconsole: refusing to use the session cache ${env.t.sessionsPath}: other users can access it (mode 0644); run: chmod 600 ${env.t.sessionsPath}\n`,
    );
  });

  it.runIf(process.getuid?.() === 0)('is refused when another user owns it', async () => {
    await login(env.t, ctx.sim);
    chownSync(env.t.sessionsPath, 65534, 65534);
    const r = await env.t.main(['status']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/belongs to another user \(uid 65534\)/);
  });

  it('an existing directory that others can enter is tightened to 0700, with a warning', async () => {
    mkdirSync(env.t.configDir, { mode: 0o755 });
    chmodSync(env.t.configDir, 0o755);
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: tightened the permissions of .* from 0755 to 0700/);
    expect(statSync(env.t.configDir).mode & 0o777).toBe(0o700);
  });

  it('an entry of the wrong shape is dropped, never a crash (on a terminal too)', async () => {
    await login(env.t, ctx.sim);
    const file = env.t.sessions() as unknown as { sessions: Record<string, Record<string, unknown>> };
    file.sessions.broken = { ...file.sessions.envvars, cloud: 'broken', user: {} };
    writeFileSync(env.t.sessionsPath, JSON.stringify(file), { mode: 0o600 });
    const r = await runMain(['status'], { tty: true, env: { OSCONSOLE_CONFIG_DIR: env.t.configDir } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('envvars');
    expect(r.stdout).not.toContain('broken');
  });

  it('a truncated or invalid file is moved aside with a warning, and the command carries on as logged out', async () => {
    await login(env.t, ctx.sim);
    const text = readFileSync(env.t.sessionsPath, 'utf8');
    writeFileSync(env.t.sessionsPath, text.slice(0, text.length / 2), { mode: 0o600 });
    const r = await env.t.main(['console', 'get', 'web-1'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: the session cache .* was damaged \(invalid JSON\); moved it to .*sessions\.json\.damaged-.* and continuing as logged out/,
    );
    const damaged = readdirSync(env.t.configDir).filter((n) => n.startsWith('sessions.json.damaged-'));
    expect(damaged).toHaveLength(1);
    expect(statSync(join(env.t.configDir, damaged[0]!)).mode & 0o777).toBe(0o600);
    expect(env.t.sessions().sessions.envvars).toBeDefined();
    // The moved copy may hold live tokens: logout --all removes it.
    expectExit(await env.t.main(['logout', '--all']), 0);
    expect(readdirSync(env.t.configDir).some((n) => n.startsWith('sessions.json.damaged-'))).toBe(false);
    await login(env.t, ctx.sim);
    writeFileSync(env.t.sessionsPath, '{"schema_version": 1, "sessions": []}', { mode: 0o600 });
    const s = await env.t.main(['status']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/damaged \(no sessions object\)/);
  });
});

describe('secrets never leak', () => {
  it('no password, passcode, secret or token in stdout, stderr (--debug) or any file but the cache', async () => {
    const passcode = totp(CREDENTIALS.mfa.totpSecret, ctx.sim.now());
    const outputs: string[] = [];
    const run = async (args: string[], extra: Record<string, string | undefined> = {}) => {
      const r = await env.t.main(['--debug', ...args], extra);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    await run(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'pw' });
    await run(['login'], { ...ctx.sim.appCredentialEnv(), OS_CLOUD_NAME: 'ac' });
    await run(['login'], { ...ctx.sim.env('mfa'), OS_PASSCODE: passcode, OS_CLOUD_NAME: 'mfa' });
    await run(['login', '--os-password', CREDENTIALS.admin.password], {
      ...ctx.sim.env('admin'),
      OS_PASSWORD: undefined,
      OS_PROJECT_NAME: 'demo',
      OS_CLOUD_NAME: 'adm',
    });
    await run(['status']);
    await run(['status', '--json']);
    const consoleUrl = (await run(['console', 'get', 'web-1', '--type', 'spice-direct'])).stdout.split('\n')[0]!;
    await run(['console', 'inspect', consoleUrl]);
    await run(['console', 'get', 'nope']);
    const tokens = Object.values(env.t.sessions().sessions).map((s) => s.token);
    expect(tokens).toHaveLength(4);
    await run(['logout', '--all']);
    const secrets = [
      CREDENTIALS.demo.password,
      CREDENTIALS.mfa.password,
      CREDENTIALS.admin.password,
      passcode,
      APP_CREDENTIAL.secret,
      ...tokens,
    ];
    const all = outputs.join('\n');
    expect(all).toMatch(/debug: → POST .*auth\/tokens/);
    expect(all).toMatch(/x-subject-token: <redacted sha256:[0-9a-f]{8}>/);
    const consoleToken = new URL(consoleUrl).searchParams.get('token')!;
    // The console URL is the result on stdout; in debug lines its token is redacted.
    expect(outputs.filter((o) => o.includes('debug:')).join('\n')).not.toContain(consoleToken);
    for (const secret of secrets) expect(all, 'a secret reached the output').not.toContain(secret);
    for (const name of readdirSync(env.t.configDir)) {
      const text = readFileSync(join(env.t.configDir, name), 'utf8');
      for (const secret of secrets.slice(0, 5)) expect(text).not.toContain(secret);
    }
  });
});

describe('concurrency', () => {
  // 23 processes start at once: on a loaded 2-core machine one may take longer than the usual 15 s.
  const SLOW_START = { timeoutMs: 40_000 };

  it('20 console gets sharing one session, with logins racing them, all succeed and leave a valid cache', async () => {
    await login(env.t, ctx.sim);
    // Pinned to the envvars session: the racing logins change which session is current.
    const gets = Array.from({ length: 20 }, (_, i) =>
      env.t.run(['console', 'get', i % 2 ? 'web-1' : SERVER_IDS.web10, '--os-cloud', 'envvars'], {}, SLOW_START),
    );
    const logins = [0, 1, 2].map((i) =>
      env.t.run(['login'], { ...ctx.sim.env(i === 1 ? 'admin' : 'demo'), OS_CLOUD_NAME: `race-${i}` }, SLOW_START),
    );
    const results = await Promise.all([...gets, ...logins]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const file = env.t.sessions();
    expect(Object.keys(file.sessions).sort()).toEqual(['envvars', 'race-0', 'race-1', 'race-2']);
    // No lock or temporary file left behind (servers.json is the completion cache).
    // cache/: the hot path's code cache (src/boot.ts).
    expect(readdirSync(env.t.configDir).sort()).toEqual(['cache', 'servers.json', 'sessions.json']);
  }, 60_000);

  it('a process killed mid-run leaves no lock behind that blocks the next one for long', async () => {
    await login(env.t, ctx.sim);
    writeFileSync(join(env.t.configDir, 'sessions.lock'), '99999\n');
    const stale = new Date(Date.now() - 60_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(env.t.configDir, 'sessions.lock'), stale, stale);
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
  });
});
