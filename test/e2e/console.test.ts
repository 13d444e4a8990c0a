/**
 * `osconsole console get` and `console inspect` end to end: the built binary
 * against the simulator, counting round trips in the simulator's request log.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestEnv } from '../helpers/env.js';
import { expectExit } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import type { SimulatorOptions } from '../sim/index.js';
import { PROJECT_IDS, SERVER_IDS, Simulator } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

async function login(
  t: TestEnv,
  sim: Simulator,
  user: 'demo' | 'admin' | 'reader' = 'demo',
  extra: Record<string, string | undefined> = {},
) {
  const r = await t.main(['login'], { ...sim.env(user), ...extra });
  expect(r.code, r.stderr).toBe(0);
}

/** Runs with no OS_* variables: the command must use the cached (current) session. */
const get = (args: string[], extra: Record<string, string | undefined> = {}) =>
  env.t.main(['console', 'get', ...args], extra);

async function withSim<T>(opts: SimulatorOptions, fn: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await Simulator.start(opts);
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

const computeCalls = (sim: Simulator) =>
  sim.requests('compute').map((e) => `${e.method} ${e.path.replace(/^\/(r2\/)?compute(-\w+)?\/v2\.1/, '')}`);

describe('round trips with a cached session', () => {
  beforeEach(async () => login(env.t, ctx.sim));

  it('by UUID: the first call reads the version document once, later calls make exactly 1 request', async () => {
    ctx.sim.clearLog();
    const first = await get([SERVER_IDS.web1]);
    expect(first.code, first.stderr).toBe(0);
    expect(computeCalls(ctx.sim)).toEqual(['GET /', `POST /servers/${SERVER_IDS.web1}/remote-consoles`]);
    ctx.sim.clearLog();
    const second = await get([SERVER_IDS.web1]);
    expect(second.code, second.stderr).toBe(0);
    expect(ctx.sim.requests()).toHaveLength(1);
    expect(computeCalls(ctx.sim)).toEqual([`POST /servers/${SERVER_IDS.web1}/remote-consoles`]);
  });

  it('by name: exactly 2 requests, the list filtered by an anchored, escaped regex', async () => {
    await get([SERVER_IDS.web1]);
    ctx.sim.clearLog();
    const r = await get(['web-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.sim.requests()).toHaveLength(2);
    const [list, post] = ctx.sim.requests('compute');
    expect(list!.search).toBe(`?name=${encodeURIComponent('^web-1$')}`);
    expect(post!.path).toContain(SERVER_IDS.web1);
  });

  it('stdout is the URL and a newline; both microversion headers are sent; 2.99 is the ceiling on a 2.100 cloud', async () => {
    ctx.sim.clearLog();
    const r = await get(['web-1']);
    expect(r.stdout).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/console\/novnc\/vnc_lite\.html\?path=%3Ftoken%3D[0-9a-f-]{36}\n$/,
    );
    expect(r.stderr).toBe('');
    const post = ctx.sim.requests('compute').find((e) => e.method === 'POST')!;
    expect(post.headers['openstack-api-version']).toBe('compute 2.99');
    expect(post.headers['x-openstack-nova-api-version']).toBe('2.99');
    expect(post.body).toEqual({ remote_console: { protocol: 'vnc', type: 'novnc' } });
  });
});

describe('every console type', () => {
  beforeEach(async () => login(env.t, ctx.sim));

  it.each([
    ['novnc', 'web-1', 'vnc', /vnc_lite\.html\?path=%3Ftoken%3D/],
    ['spice-html5', 'web-1', 'spice', /spice_auto\.html\?token=/],
    ['serial', 'web-1', 'serial', /^ws:\/\/.*\/serial\/\?token=/],
    ['webmks', 'vmware-vm', 'mks', /\/mks\/\?token=/],
  ])('%s', async (type, server, protocol, pattern) => {
    const r = await get([server, '--type', type, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['server', 'protocol', 'type', 'url', 'microversion']);
    expect(j).toMatchObject({ server: { name: server }, protocol, type, microversion: '2.99' });
    expect(j.url).toMatch(pattern);
  });

  it('spice-direct as admin: the URL, then the host and ports behind the token (3 requests)', async () => {
    await login(env.t, ctx.sim, 'admin', { OS_PROJECT_NAME: 'demo' });
    await get([SERVER_IDS.web1]);
    ctx.sim.clearLog();
    const r = await get(['web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(0);
    const [url, tuple] = r.stdout.replace(/\n$/, '').split('\n');
    expect(url).toMatch(/\/spice-direct\/nova-console\.vv\?token=/);
    expect(tuple).toMatch(/^192\.0\.2\.11\t\d+\t\d+$/);
    expect(computeCalls(ctx.sim).map((c) => c.split(' ')[0])).toEqual(['GET', 'POST', 'GET']);
    const token = new URL(url!).searchParams.get('token');
    expect(computeCalls(ctx.sim)[2]).toBe(`GET /os-console-auth-tokens/${token}`);
    const j = JSON.parse((await get(['web-1', '--type', 'spice-direct', '--json'])).stdout);
    expect(j.connection).toEqual({
      instance_uuid: SERVER_IDS.web1,
      host: '192.0.2.11',
      port: expect.any(Number),
      tls_port: j.connection.port + 1,
      internal_access_path: null,
    });
  });

  it('spice-direct as a member: the URL, a note that the tuple needs admin, exit 0', async () => {
    const r = await get(['web-1', '--type', 'spice-direct']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /shown only to admins \(policy os_compute_api:os-console-auth-tokens\); printing the URL only/,
    );
    expect(JSON.parse((await get(['web-1', '--type', 'spice-direct', '--json'])).stdout).connection).toBeNull();
  });

  it('dead types and a mismatched --protocol are refused before any request', async () => {
    ctx.sim.clearLog();
    const xvp = await get(['web-1', '--type', 'xvpvnc']);
    expect(xvp.code, xvp.stderr).toBe(6);
    expect(xvp.stderr).toMatch(/xvpvnc consoles were removed from Nova in 21\.0\.0 \(Ussuri\)/);
    const rdp = await get(['web-1', '--type', 'rdp-html5']);
    expect(rdp.code, rdp.stderr).toBe(6);
    expect(rdp.stderr).toMatch(/Hyper-V driver, removed from Nova in 29\.0\.0 \(2024\.1 Caracal\)/);
    const mismatch = await get(['web-1', '--type', 'serial', '--protocol', 'vnc']);
    expect(mismatch.code, mismatch.stderr).toBe(2);
    expect(mismatch.stderr).toBe('osconsole: --protocol vnc does not match --type serial (its protocol is serial)\n');
    expectExit(await get(['web-1', '--type', 'serial', '--protocol', 'serial']), 0);
    const bogus = await get(['web-1', '--type', 'telnet']);
    expect(bogus.code, bogus.stderr).toBe(2);
    expect(ctx.sim.requests('compute').filter((e) => e.method === 'POST')).toHaveLength(1);
  });

  it('auto tries novnc, spice-html5, serial, webmks and returns the first the server offers', async () => {
    await withSim({ consoleEnabled: { vnc: false } }, async (sim) => {
      await login(env.t, sim);
      const r = await get(['web-1', '--type', 'auto', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).type).toBe('spice-html5');
      const none = await get(['vnc-only-vm', '--type', 'auto']);
      expect(none.code, none.stderr).toBe(6);
      expect(none.stderr).toMatch(/offers none of novnc, spice-html5, serial, webmks/);
    });
  });
});

describe('finding the server by name', () => {
  beforeEach(async () => login(env.t, ctx.sim));

  it('web-1 does not match web-10, and a name with regex metacharacters matches itself', async () => {
    const web1 = JSON.parse((await get(['web-1', '--json'])).stdout);
    expect(web1.server).toEqual({ id: SERVER_IDS.web1, name: 'web-1' });
    const meta = await get(['db(1).x', '--json']);
    expect(meta.code, meta.stderr).toBe(0);
    expect(JSON.parse(meta.stdout).server.id).toBe(SERVER_IDS.meta);
  });

  it('two servers with the name: off a TTY exit 2 listing the ids', async () => {
    const r = await get(['dup']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(SERVER_IDS.dupA);
    expect(r.stderr).toContain(SERVER_IDS.dupB);
    expect(r.stderr).toMatch(/pass the id of the one you mean/);
  });

  it('two servers with the name: on a TTY a select prompt', async () => {
    const r = await env.t.pty(['console', 'get', 'dup', '--json'], [{ expect: 'which one', send: '\r' }]);
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/"id": "(4e0a67ee|a900b96f)/);
  });

  it('no match: exit 4 suggesting close names', async () => {
    const r = await get(['web-2']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^osconsole: no server named "web-2" in project demo; did you mean "web-1", "web-10"\?/);
    const far = await get(['zzzzzzzz']);
    expect(far.stderr).not.toContain('did you mean');
  });

  it('a name that differs only in case: exit 4 (names are compared exactly), suggesting the real one from the same request', async () => {
    // Nova on MySQL (as the simulator and both real tiers) lists web-1 for ^WEB\-1$.
    ctx.sim.clearLog();
    const r = await get(['WEB-1']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^osconsole: no server named "WEB-1" in project demo; did you mean "web-1"\?/);
    expect(computeCalls(ctx.sim).filter((c) => c.startsWith('GET /servers'))).toEqual(['GET /servers/detail']);
  });

  it("--all-projects: admins find other projects' servers; members get exit 8", async () => {
    const member = await get(['other-vm', '--all-projects']);
    expect(member.code, member.stderr).toBe(8);
    expect(member.stderr).toMatch(/listing every project's servers needs the admin role/);
    await login(env.t, ctx.sim, 'admin');
    expectExit(await get(['other-vm']), 4);
    const admin = await get(['other-vm', '--all-projects', '--json']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(JSON.parse(admin.stdout).server.id).toBe(SERVER_IDS.other);
  });

  it('a UUID goes straight to the console call; an unknown one is exit 4', async () => {
    const r = await get(['00000000-0000-4000-8000-000000000000']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/no server 00000000-0000-4000-8000-000000000000 visible to this session/);
  });
});

describe('Nova errors, mapped to exit statuses with the next step', () => {
  beforeEach(async () => login(env.t, ctx.sim));

  it('409: a server with no host yet → exit 5', async () => {
    const r = await get(['building-vm']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(
      /server "building-vm" \(f4962c34-[^)]*\) is not ready for a console: .*not ready.*try again when it is ACTIVE/,
    );
  });

  it('501: a hypervisor without the console → exit 6', async () => {
    const r = await get(['vnc-only-vm', '--type', 'spice-html5']);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/has no spice-html5 console \(501 Not Implemented\)/);
  });

  it('400 Unavailable console type: the type is disabled → exit 6 naming the nova.conf section', async () => {
    await withSim({ consoleEnabled: { serial: false } }, async (sim) => {
      await login(env.t, sim);
      const r = await get(['web-1', '--type', 'serial']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/serial consoles are disabled on this cloud \(\[serial_console\] enabled = false\)/);
    });
  });

  it('403: a reader under the new policy defaults → exit 8', async () => {
    await login(env.t, ctx.sim, 'reader');
    const r = await get(['web-1']);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/policy forbids you a console on server "web-1".*member role/);
  });

  it('500 → exit 1 with the request id', async () => {
    const r = await get(['migrating-vm']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/\(request id req-[0-9a-f-]{36}\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('SHUTOFF servers get their URL with a warning', async () => {
    const r = await get(['stopped-vm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/server stopped-vm is SHUTOFF/);
  });
});

describe('microversions', () => {
  it("spice-direct on Zed is refused with the needed version and release and the cloud's range", async () => {
    await withSim({ computeMaxVersion: '2.93' }, async (sim) => {
      await login(env.t, sim);
      const r = await get(['web-1', '--type', 'spice-direct']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toBe(
        'osconsole: spice-direct needs compute API 2.99 (2025.1 Epoxy); this cloud offers 2.1–2.93 (Zed); try --type auto\n',
      );
      const ok = JSON.parse((await get(['web-1', '--json'])).stdout);
      expect(ok.microversion).toBe('2.93');
    });
  });

  it('below 2.6 the legacy actions are used; webmks there is refused', async () => {
    await withSim({ computeMaxVersion: '2.5' }, async (sim) => {
      await login(env.t, sim);
      sim.clearLog();
      const r = await get(['web-1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'vnc', type: 'novnc', microversion: '2.5' });
      const post = sim.requests('compute').find((e) => e.method === 'POST')!;
      expect(post.path).toBe(`/compute/v2.1/servers/${SERVER_IDS.web1}/action`);
      expect(post.body).toEqual({ 'os-getVNCConsole': { type: 'novnc' } });
      const serial = await get(['web-1', '--type', 'serial']);
      expect(serial.stdout).toMatch(/^ws:/);
      const mks = await get(['vmware-vm', '--type', 'webmks']);
      expect(mks.code, mks.stderr).toBe(6);
      expect(mks.stderr).toMatch(/webmks needs compute API 2\.8 \(Liberty\); this cloud offers 2\.1–2\.5/);
    });
  });

  it('a pinned version is sent as is, validated against the range, and can force the legacy path', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.clearLog();
    const pinned = await get(['web-1', '--json'], { OS_COMPUTE_API_VERSION: '2.6' });
    expect(JSON.parse(pinned.stdout).microversion).toBe('2.6');
    const legacy = await get(['web-1', '--json', '--os-compute-api-version', '2.5']);
    expect(JSON.parse(legacy.stdout).microversion).toBe('2.5');
    expect(ctx.sim.requests('compute').filter((e) => e.path.endsWith('/action'))).toHaveLength(1);
    const high = await get(['web-1'], { OS_COMPUTE_API_VERSION: '2.200' });
    expect(high.code, high.stderr).toBe(6);
    expect(high.stderr).toMatch(/the pinned compute API version 2\.200 is outside this cloud's range 2\.1–2\.100/);
    const low = await get(['vmware-vm', '--type', 'webmks'], { OS_COMPUTE_API_VERSION: '2.7' });
    expect(low.code, low.stderr).toBe(6);
    expect(low.stderr).toMatch(/webmks needs compute API 2\.8 \(Liberty\); the version is pinned to 2\.7/);
    const bad = await get(['web-1'], { OS_COMPUTE_API_VERSION: '2.x' });
    expect(bad.code, bad.stderr).toBe(2);
    const above = await get(['web-1', '--json'], { OS_COMPUTE_API_VERSION: '2.100' });
    expect(above.code, above.stderr).toBe(0);
    expect(JSON.parse(above.stdout).microversion).toBe('2.99');
    expect(above.stderr).toMatch(
      /the pinned compute API version 2\.100 is above 2\.99, the newest console API osconsole knows; using 2\.99/,
    );
  });

  it('compute_api_version in clouds.yaml keeps its text: 2.10 is not 2.1', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      `clouds:\n  pinned:\n    compute_api_version: 2.10\n    auth:\n      auth_url: ${ctx.sim.authUrl}\n      username: demo\n      password: demopass\n      project_name: demo\n`,
    );
    expectExit(await env.t.main(['login'], { OS_CLOUD: 'pinned' }), 0);
    const r = await get(['web-1', '--json'], { OS_CLOUD: 'pinned' });
    expect(JSON.parse(r.stdout).microversion).toBe('2.10');
  });

  it('a 406 clears the cached range and retries once', async () => {
    await login(env.t, ctx.sim);
    await get([SERVER_IDS.web1]);
    ctx.sim.clearLog();
    ctx.sim.addFault({
      match: { method: 'POST', path: /remote-consoles$/ },
      action: {
        kind: 'status',
        status: 406,
        contentType: 'application/json; charset=UTF-8',
        body: JSON.stringify({ computeFault: { code: 406, message: 'Version 2.99 is not supported by the API.' } }),
      },
    });
    const r = await get([SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(0);
    expect(computeCalls(ctx.sim).map((c) => c.split(' ')[0])).toEqual(['POST', 'GET', 'POST']);
  });
});

describe('sessions in use', () => {
  it('a 401 from Nova drops the token, logs in again silently, and retries once', async () => {
    await login(env.t, ctx.sim);
    const old = env.t.sessions().sessions.envvars!.token;
    ctx.sim.keystone.tokens.get(old)!.revoked = true;
    ctx.sim.clearLog();
    const r = await get([SERVER_IDS.web1], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(
      ctx.sim
        .requests()
        .map((e) => `${e.method} ${e.path.replace(/^.*\/(auth\/tokens|remote-consoles|v2\.1\/)$/, '$1')} ${e.status}`),
    ).toEqual(['GET v2.1/ 200', 'POST remote-consoles 401', 'POST auth/tokens 201', 'POST remote-consoles 200']);
    expect(env.t.sessions().sessions.envvars!.token).not.toBe(old);
  });

  it('when the credentials are not at hand, a dead token is exit 3 "run: osconsole login", with no loop', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.keystone.tokens.get(env.t.sessions().sessions.envvars!.token)!.revoked = true;
    ctx.sim.clearLog();
    const r = await get([SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/run: osconsole login/);
    expect(ctx.sim.requests('compute').filter((e) => e.method === 'POST')).toHaveLength(1);
  });

  it('an expired session is renewed silently from the environment before the call', async () => {
    // Tokens that live 110 s are already under the client's 120 s margin when they arrive.
    await withSim({ tokenLifetimeSeconds: 110 }, async (sim) => {
      await login(env.t, sim);
      sim.clearLog();
      const r = await get([SERVER_IDS.web1], sim.env('demo'));
      expect(r.code, r.stderr).toBe(0);
      expect(sim.requests()[0]!.path).toBe('/identity/v3/auth/tokens');
      expect(sim.requests().filter((e) => e.path === '/identity/v3/auth/tokens')).toHaveLength(1);
    });
  });

  it('a live session for other credentials is not reused: the command logs in as the environment says', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.clearLog();
    const same = await get(['web-1'], ctx.sim.env('demo'));
    expect(same.code, same.stderr).toBe(0);
    expect(ctx.sim.requests('identity')).toHaveLength(0);
    const admin = await get(['admin-vm', '--json'], ctx.sim.env('admin'));
    expect(admin.code, admin.stderr).toBe(0);
    expect(JSON.parse(admin.stdout).server.id).toBe(SERVER_IDS.adminVm);
    expect(ctx.sim.requests('identity').filter((e) => e.method === 'POST')).toHaveLength(1);
    const other = await get(['other-vm', '--os-project-name', 'other'], ctx.sim.env('demo'));
    expect(other.code, other.stderr).toBe(0);
    expect(env.t.sessions().sessions.envvars!.project!.name).toBe('other');
  });

  it('a different auth URL means a different cloud', async () => {
    await login(env.t, ctx.sim);
    await withSim({}, async (second) => {
      const r = await get(['web-1'], second.env('demo'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(second.url);
      expect(second.requests('identity').length).toBeGreaterThan(0);
    });
  });

  it('an unknown --os-cloud is a usage error (exit 2), not "run osconsole login"', async () => {
    await login(env.t, ctx.sim);
    const r = await get(['web-1', '--os-cloud', 'typo']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cloud "typo" is not defined/);
  });

  it('with no session, the only cloud in clouds.yaml is logged in to silently', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      `clouds:\n  only:\n    auth:\n      auth_url: ${ctx.sim.authUrl}\n      username: demo\n      password: demopass\n      project_name: demo\n`,
    );
    const r = await get(['web-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(env.t.sessions().current).toBe('only');
  });

  it('a silent renewal does not move the current session', async () => {
    await withSim({ tokenLifetimeSeconds: 110 }, async (short) => {
      await login(env.t, short, 'demo', { OS_CLOUD_NAME: 'short' });
      await login(env.t, ctx.sim, 'demo', { OS_CLOUD_NAME: 'main' });
      const r = await get(['web-1'], { ...short.env('demo'), OS_CLOUD_NAME: 'short' });
      expect(r.code, r.stderr).toBe(0);
      expect(env.t.sessions().current).toBe('main');
    });
  });

  it('not logged in: exit 3', async () => {
    const r = await get(['web-1']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe('osconsole: not logged in; run: osconsole login\n');
  });

  it('RegionTwo: its catalog URL ends in /v2.1/<project_id>; a missing region lists what exists', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.clearLog();
    const r = await get(['r2-vm', '--os-region-name', 'RegionTwo', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).server.id).toBe(SERVER_IDS.r2);
    expect(
      ctx.sim
        .requests('compute')
        .every(
          (e) =>
            (e.region === 'RegionTwo' && e.path.startsWith(`/r2/compute/v2.1/${PROJECT_IDS.demo}/`)) ||
            e.path === '/r2/compute/v2.1/',
        ),
    ).toBe(true);
    const nowhere = await get(['web-1'], { OS_REGION_NAME: 'RegionThree' });
    expect(nowhere.code, nowhere.stderr).toBe(4);
    expect(nowhere.stderr).toMatch(
      /no public compute endpoint in region RegionThree; the catalog offers compute at: RegionOne public, RegionOne internal, RegionOne admin, RegionTwo public/,
    );
  });

  it('OS_INTERFACE=internal uses the internal endpoint', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.clearLog();
    expectExit(await get([SERVER_IDS.web1], { OS_INTERFACE: 'internal' }), 0);
    expect(ctx.sim.requests('compute').every((e) => e.interface === 'internal')).toBe(true);
  });

  // In-process, so 20 interleaved runs share the cached session and its caches; the lock is never
  // contended here (updates are synchronous): that race, across processes, is in reliability.test.ts.
  it('20 concurrent console gets share one session and all succeed', async () => {
    await login(env.t, ctx.sim);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => get([i % 2 ? 'web-1' : SERVER_IDS.web10])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(env.t.sessions().sessions.envvars!.token).toBeTruthy();
  });
});

describe('--open and URL checks', () => {
  beforeEach(async () => login(env.t, ctx.sim));

  function fakeBrowser(): { cmd: string; opened: () => string[] } {
    const log = join(env.t.home, 'opened.txt');
    const cmd = join(env.t.home, 'fake-browser.sh');
    writeFileSync(cmd, `#!/bin/sh\necho "$1" >> '${log}'\n`);
    chmodSync(cmd, 0o755);
    return {
      cmd,
      opened: () => {
        try {
          return readFileSync(log, 'utf8').split('\n').filter(Boolean);
        } catch {
          return [];
        }
      },
    };
  }

  it('opens the URL with $BROWSER and still prints it', async () => {
    const b = fakeBrowser();
    const r = await get(['web-1', '--open'], { BROWSER: b.cmd });
    expect(r.code, r.stderr).toBe(0);
    await new Promise((res) => setTimeout(res, 200));
    expect(b.opened()).toEqual([r.stdout.trim()]);
    expect(r.stderr).toContain('Opened the console in your browser.');
  });

  it('serial URLs are websockets: not opened, printed with a hint', async () => {
    const b = fakeBrowser();
    const r = await get(['web-1', '--type', 'serial', '--open'], { BROWSER: b.cmd });
    expect(r.stdout).toMatch(/^ws:/);
    expect(r.stderr).toMatch(/Not opening a browser: serial URLs are websockets/);
    expect(b.opened()).toEqual([]);
  });

  it('spice-direct URLs are for a native SPICE client (the console-type list says so): not opened', async () => {
    const b = fakeBrowser();
    const r = await get(['web-1', '--type', 'spice-direct', '--open'], { BROWSER: b.cmd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^http/);
    expect(r.stderr).toMatch(/Not opening a browser: spice-direct URLs are for a native SPICE client/);
    await new Promise((res) => setTimeout(res, 200));
    expect(b.opened()).toEqual([]);
  });

  it('BROWSER=none, or no display, prints the URL instead (an empty BROWSER is unset)', async () => {
    expect((await get(['web-1', '--open'], { BROWSER: 'none' })).stderr).toMatch(/BROWSER=none: not opening a browser/);
    expect((await get(['web-1', '--open'])).stderr).toMatch(/No display to open a browser on/);
    expect((await get(['web-1', '--open'], { BROWSER: '' })).stderr).toMatch(/No display to open a browser on/);
  });

  it('warns about a loopback console host when the API is elsewhere, and about vnc_auto.html', async () => {
    await withSim({ consoleBaseUrls: { novnc: 'http://127.0.0.2:6080/vnc_auto.html' } }, async (sim) => {
      await login(env.t, sim);
      const r = await get(['web-1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/the console URL points at 127\.0\.0\.2:6080 \(loopback\)/);
      // The page-name hint is for someone about to open the page (a TTY, or --open), not for scripts.
      expect(r.stderr).not.toMatch(/vnc_auto/);
      const opening = await get(['web-1', '--open'], { BROWSER: 'none' });
      expect(opening.stderr).toMatch(/vnc_auto\.html, which noVNC 1\.0 renamed vnc_lite\.html/);
      expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.2:6080\/vnc_auto\.html\?path=%3Ftoken%3D/);
    });
  });

  it('on a TTY stderr says which server and type and how long the link lives', async () => {
    const r = await env.t.main(['console', 'get', 'web-1'], { TERM: 'xterm' }, { tty: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /novnc console of web-1 \(cdee62cc-4ad5-474b-a3c3-ccab7a2be0f9\); the link works for about 10 minutes/,
    );
  });
});

describe('console inspect', () => {
  async function consoleUrl(type = 'novnc'): Promise<string> {
    const r = await get(['web-1', '--type', type]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n')[0] as string;
  }

  it('as admin: accepts noVNC, ws:// and bare tokens; prints field<TAB>value lines off a TTY', async () => {
    await login(env.t, ctx.sim, 'admin', { OS_PROJECT_NAME: 'demo' });
    const novnc = await consoleUrl();
    const r = await env.t.main(['console', 'inspect', novnc]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^instance_uuid\\t${SERVER_IDS.web1}\\nhost\\t192\\.0\\.2\\.11\\nport\\t\\d+\\ninternal_access_path\\t\\n$`,
      ),
    );
    const serial = await consoleUrl('serial');
    expectExit(await env.t.main(['console', 'inspect', serial]), 0);
    const bare = new URL(serial).searchParams.get('token')!;
    const j = JSON.parse((await env.t.main(['console', 'inspect', bare, '--json'])).stdout);
    expect(Object.keys(j).sort()).toEqual(['host', 'instance_uuid', 'internal_access_path', 'port']);
  });

  it('spice-direct tokens show tls_port (2.99)', async () => {
    await login(env.t, ctx.sim, 'admin', { OS_PROJECT_NAME: 'demo' });
    const url = await consoleUrl('spice-direct');
    const j = JSON.parse((await env.t.main(['console', 'inspect', url, '--json'])).stdout);
    expect(j.tls_port).toBe(j.port + 1);
  });

  it('a member gets exit 8 explaining the admin-only default; an unknown token exit 4 explaining expiry', async () => {
    await login(env.t, ctx.sim);
    const url = await consoleUrl();
    const member = await env.t.main(['console', 'inspect', url]);
    expect(member.code, member.stderr).toBe(8);
    expect(member.stderr).toMatch(/only admins may inspect console tokens/);
    await login(env.t, ctx.sim, 'admin');
    const bogus = await env.t.main(['console', 'inspect', '7b8a7a6e-0000-4000-8000-000000000000']);
    expect(bogus.code, bogus.stderr).toBe(4);
    expect(bogus.stderr).toMatch(/unknown or has expired.*600 s by default/);
  });

  it('a 406 on the token lookup clears the cached range and retries once', async () => {
    await login(env.t, ctx.sim, 'admin', { OS_PROJECT_NAME: 'demo' });
    const url = await consoleUrl();
    ctx.sim.clearLog();
    ctx.sim.addFault({
      match: { method: 'GET', path: /os-console-auth-tokens\// },
      action: {
        kind: 'status',
        status: 406,
        contentType: 'application/json; charset=UTF-8',
        body: JSON.stringify({ computeFault: { code: 406, message: 'Version 2.99 is not supported by the API.' } }),
      },
    });
    const r = await env.t.main(['console', 'inspect', url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).instance_uuid).toBe(SERVER_IDS.web1);
    expect(
      computeCalls(ctx.sim).map((c) => c.replace(/\/os-console-auth-tokens\/.*/, '/os-console-auth-tokens/T')),
    ).toEqual(['GET /os-console-auth-tokens/T', 'GET /', 'GET /os-console-auth-tokens/T']);
  });

  it('a malformed argument is exit 2 before any request, and the message never repeats it', async () => {
    await login(env.t, ctx.sim, 'admin');
    ctx.sim.clearLog();
    for (const arg of [
      'not a token',
      'http://h/vnc_lite.html?path=novnc',
      'ftp://x/?token=a b',
      'http://h/?token=s3cr3t/x',
    ]) {
      const r = await env.t.main(['console', 'inspect', arg]);
      expect(r.code, arg).toBe(2);
      expect(r.stderr).not.toContain(arg);
      expect(r.stderr).not.toContain('s3cr3t');
    }
    expect(ctx.sim.requests()).toHaveLength(0);
  });

  it('a cloud below 2.31 cannot inspect tokens: exit 6 with why', async () => {
    await withSim({ computeMaxVersion: '2.25' }, async (sim) => {
      await login(env.t, sim, 'admin');
      const r = await env.t.main(['console', 'inspect', '7b8a7a6e-0000-4000-8000-000000000000']);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(
        /console token inspection needs compute API 2\.31 \(Newton\); this cloud offers 2\.1–2\.25 \(Mitaka\)/,
      );
    });
  });
});
