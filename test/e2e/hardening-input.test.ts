/**
 * Issue 10, "Bad input and limits": numbers (--timeout), server arguments
 * Nova cannot hold, JSON bodies of the wrong shape at every OpenStack call,
 * console URLs that are not URLs, and bounded suggestions with --all-projects.
 * End to end: the built binary against the simulator, requests counted in its log.
 */
import { describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import type { TestEnv } from '../helpers/env.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import { SERVER_IDS, Simulator } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

async function login(
  t: TestEnv,
  sim: Simulator,
  user: 'demo' | 'admin' = 'demo',
  extra: Record<string, string | undefined> = {},
) {
  const r = await t.main(['login'], { ...sim.env(user), ...extra });
  expect(r.code, r.stderr).toBe(0);
}

/** One line on stderr, no stack trace, no JavaScript error names. */
function oneLine(stderr: string): void {
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stderr).not.toMatch(/TypeError|RangeError|Cannot read|\n\s+at /);
}

describe('--timeout and OSCONSOLE_TIMEOUT', () => {
  it('accepts decimals (.3, 1.5): a stuck API times out after .3 s', async () => {
    await login(env.t, ctx.sim);
    await env.t.main(['console', 'get', SERVER_IDS.web1]);
    ctx.sim.addFault({ match: { method: 'POST' }, action: { kind: 'hang' } });
    const r = await env.t.main(['--timeout', '.3', 'console', 'get', SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/^osconsole: timed out after 0\.3 s waiting for /);
    const other = await env.t.main(['--timeout', '1.5', 'status']);
    expect(other.code, other.stderr).toBe(0);
  });

  for (const bad of ['0', '-1', '0.0001', '1e3', '0x10', 'Infinity', 'NaN', 'abc', '99999999999', '86401']) {
    it(`--timeout ${bad}: exit 2 naming the flag, before any request`, async () => {
      const r = await env.t.main(['--timeout', bad, 'login'], ctx.sim.env('demo'));
      expect(r.code, r.stderr).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/--timeout/);
      expect(r.stderr).toMatch(/expected a positive number of seconds, between 0\.001 and 86400 /);
      expect(ctx.sim.requests()).toHaveLength(0);
    });
  }

  it('OSCONSOLE_TIMEOUT=abc or 99999999999: exit 2 naming the variable, before any request', async () => {
    for (const bad of ['abc', '99999999999', '0']) {
      const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OSCONSOLE_TIMEOUT: bad });
      expect(r.code, r.stderr).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/^osconsole: invalid value for OSCONSOLE_TIMEOUT: /);
    }
    expect(ctx.sim.requests()).toHaveLength(0);
    const ok = await env.t.main(['login'], { ...ctx.sim.env('demo'), OSCONSOLE_TIMEOUT: '86400' });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('server arguments Nova cannot hold', () => {
  const long = `web-${'x'.repeat(5000)}`;

  it('longer than 255 characters: exit 2 before any request, the argument shortened', async () => {
    // No session at all: the check comes before login or session lookup.
    const r = await env.t.main(['console', 'get', long], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/5004 characters; Nova server names have at most 255/);
    expect(r.stderr.length).toBeLessThan(300);
    expect(ctx.sim.requests()).toHaveLength(0);
  });

  it('with a control character: exit 2 before any request (and login), escaped', async () => {
    for (const [arg, shown] of [
      ['web-1\n', 'web-1\\n'],
      ['\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ] as const) {
      const r = await env.t.main(['console', 'get', arg], ctx.sim.env('demo'));
      expect(r.code, arg).toBe(2);
      oneLine(r.stderr);
      expect(r.stderr).toContain(`"${shown}"`);
      expect(r.stderr).toMatch(/control character/);
      expect(r.stderr).not.toContain('\u001b');
    }
    expect(ctx.sim.requests()).toHaveLength(0);
  });

  it('with NUL (only possible in-process: argv cannot carry it): exit 2 before any request', async () => {
    const r = await runMain(['console', 'get', 'web\u00001'], { env: env.t.env(ctx.sim.env('demo')) });
    expect(r.code, r.stderr).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toContain('"web\\x001"');
    expect(ctx.sim.requests()).toHaveLength(0);
  });

  it('255 characters is still looked up (exit 4, not 2)', async () => {
    await login(env.t, ctx.sim);
    const r = await env.t.main(['console', 'get', 'y'.repeat(255)]);
    expect(r.code, r.stderr).toBe(4);
  });
});

describe('JSON bodies of the wrong shape: exit 1 with the URL and an excerpt', () => {
  function malformedAt(r: { code: number; stderr: string }, path: RegExp, what: RegExp): void {
    expect(r.code, r.stderr).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(path);
    expect(r.stderr).toMatch(/with an unexpected body: /);
    expect(r.stderr).toMatch(what);
  }

  it('token: project.domain missing is tolerated (keystoneauth reads it as None)', async () => {
    ctx.sim.addFault({
      match: { method: 'POST', path: '/identity/v3/auth/tokens' },
      action: { kind: 'json', edit: (b: any) => (delete b.token.project.domain, b) },
    });
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(env.t.sessions().sessions.envvars!.project).toMatchObject({ name: 'demo', domain: { id: '', name: '' } });
  });

  it('token: project.domain of the wrong type', async () => {
    ctx.sim.addFault({
      match: { method: 'POST', path: '/identity/v3/auth/tokens' },
      action: { kind: 'json', edit: (b: any) => ((b.token.project.domain = 'default'), b) },
    });
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    malformedAt(
      r,
      /POST http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens returned 201 Created/,
      /token\.project\.domain: expected an object/,
    );
  });

  it('token: a catalog endpoint without a url', async () => {
    ctx.sim.addFault({
      match: { method: 'POST', path: '/identity/v3/auth/tokens' },
      action: { kind: 'json', edit: (b: any) => ((b.token.catalog[0].endpoints[0].url = 42), b) },
    });
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    malformedAt(r, /auth\/tokens returned 201 Created/, /token\.catalog\[0\]\.endpoints\[0\]\.url: expected a string/);
  });

  it('token: a catalog entry whose endpoints is not a list', async () => {
    ctx.sim.addFault({
      match: { method: 'POST', path: '/identity/v3/auth/tokens' },
      action: { kind: 'json', edit: (b: any) => ((b.token.catalog[1].endpoints = {}), b) },
    });
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    malformedAt(r, /auth\/tokens returned 201 Created/, /token\.catalog\[1\]\.endpoints: expected a list/);
  });

  it('catalog: a compute endpoint that is not a URL (exit 1 naming the entry, not "Invalid URL")', async () => {
    const sim = await Simulator.start({
      catalogHook: (c) =>
        c.map((s) =>
          s.type === 'compute'
            ? { ...s, endpoints: s.endpoints.map((e) => ({ ...e, url: 'compute.example:8774/v2.1' })) }
            : s,
        ),
    });
    try {
      await login(env.t, sim);
      const r = await env.t.main(['console', 'get', 'web-1']);
      expect(r.code, r.stderr).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toBe(
        'osconsole: the catalog\'s public compute endpoint in region RegionOne is not an http or https URL: "compute.example:8774/v2.1"; the cloud operator should fix the endpoint in Keystone\n',
      );
    } finally {
      await sim.stop();
    }
  });

  it('MFA receipt: a user without a name', async () => {
    ctx.sim.addFault({
      match: { method: 'POST', path: '/identity/v3/auth/tokens' },
      action: { kind: 'json', edit: (b: any) => (delete b.receipt.user.name, b) },
    });
    const r = await env.t.main(['login'], ctx.sim.env('mfa'));
    malformedAt(
      r,
      /POST http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens returned 401 Unauthorized/,
      /receipt\.user\.name: expected a string/,
    );
  });

  it('projects list: an entry without a name', async () => {
    ctx.sim.addFault({
      match: { method: 'GET', path: '/identity/v3/auth/projects' },
      action: { kind: 'replace', body: { projects: [{ id: 'p1', domain_id: 'default' }] } },
    });
    const r = await env.t.main(['login'], { ...ctx.sim.env('noproj'), OS_PROJECT_NAME: undefined });
    malformedAt(
      r,
      /GET http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/projects returned 200 OK/,
      /projects\[0\]\.name: expected a string/,
    );
  });

  it('servers list: a server without a name', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'GET', path: /servers\/detail$/ },
      action: { kind: 'replace', body: { servers: [{ id: SERVER_IDS.web1, status: 'ACTIVE' }] } },
    });
    const r = await env.t.main(['console', 'get', 'web-1']);
    malformedAt(
      r,
      /GET http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers\/detail\?name=.* returned 200 OK/,
      /servers\[0\]\.name: expected a string/,
    );
  });

  it('servers list: a next link that is not a URL', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'GET', path: /servers\/detail$/ },
      action: { kind: 'json', edit: (b: any) => ({ ...b, servers_links: [{ rel: 'next', href: 'not a url' }] }) },
    });
    const r = await env.t.main(['console', 'get', 'web-1']);
    malformedAt(r, /servers\/detail\?name=.* returned 200 OK/, /servers_links\[0\]\.href: expected a URL/);
  });

  it('compute version document: a version that is not X.Y is exit 1, not a usage error', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'GET', path: '/compute/v2.1/' },
      action: { kind: 'replace', body: { version: { id: 'v2.1', version: 'latest', min_version: '2.1' } } },
    });
    const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
    malformedAt(
      r,
      /GET http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/ returned 200 OK/,
      /version\.version: expected a microversion X\.Y/,
    );
  });

  it('remote console: protocol of the wrong type', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'POST' },
      action: { kind: 'json', edit: (b: any) => ((b.remote_console.protocol = 7), b) },
    });
    const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
    malformedAt(
      r,
      /POST http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers\/.*\/remote-consoles returned 200 OK/,
      /remote_console\.protocol: expected a string/,
    );
    // The excerpt of the body shows the URL, but not the live console token in it.
    expect(r.stderr).toMatch(/token(=|%3D)<redacted>/);
    expect(r.stderr).not.toMatch(/token(=|%3D)[0-9a-f]{8}-/);
  });

  for (const [what, url, shown] of [
    ['an OSC title escape', 'http://h/vnc_lite.html?token=1\u001b]0;pwned\u0007', /\\x1b\]0;pwned\\x07/],
    ['a space', 'http://h/vnc lite.html?token=1', /"http:\/\/h\/vnc lite\.html\?token=<redacted>"/],
    ['a javascript: URL', 'javascript:alert(1)', /"javascript:alert\(1\)"/],
    ['no URL at all', 'see the dashboard', /"see the dashboard"/],
  ] as const) {
    it(`remote console: a console URL with ${what} is an error, not output`, async () => {
      await login(env.t, ctx.sim);
      ctx.sim.addFault({
        match: { method: 'POST' },
        action: { kind: 'json', edit: (b: any) => ((b.remote_console.url = url), b) },
      });
      const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
      malformedAt(r, /remote-consoles returned 200 OK/, /remote_console\.url: expected an http, https, ws or wss URL/);
      expect(r.stderr).toMatch(shown);
      expect(r.stderr).not.toContain('\u001b');
      expect(r.stdout).toBe('');
    });
  }

  it('legacy console action (2.1-2.5): a console URL that is not a URL', async () => {
    const sim = await Simulator.start({ computeMaxVersion: '2.5' });
    try {
      await login(env.t, sim);
      sim.addFault({
        match: { method: 'POST', path: /\/action$/ },
        action: { kind: 'json', edit: (b: any) => ((b.console.url = 'vnc://h:5900'), b) },
      });
      const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
      malformedAt(
        r,
        /POST http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers\/.*\/action returned 200 OK/,
        /console\.url: expected an http, https, ws or wss URL, got "vnc:\/\/h:5900"/,
      );
      expect(r.stdout).toBe('');
    } finally {
      await sim.stop();
    }
  });

  it('console auth token lookup: a port that is not a number', async () => {
    await login(env.t, ctx.sim, 'admin', { OS_PROJECT_NAME: 'demo' });
    const url = (await env.t.main(['console', 'get', 'web-1'])).stdout.split('\n')[0]!;
    ctx.sim.addFault({
      match: { method: 'GET', path: /os-console-auth-tokens/ },
      action: { kind: 'json', edit: (b: any) => ((b.console.port = 'vnc'), b) },
    });
    const r = await env.t.main(['console', 'inspect', url]);
    malformedAt(
      r,
      /GET http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/os-console-auth-tokens\/.* returned 200 OK/,
      /console\.port: expected a number or null/,
    );
    expect(r.stdout).toBe('');
  });
});

describe('console get <name> --all-projects that finds nothing', () => {
  it('makes one bounded request, not a listing of every project', async () => {
    await login(env.t, ctx.sim, 'admin');
    ctx.sim.clearLog();
    const r = await env.t.main(['console', 'get', 'no-such-vm', '--all-projects']);
    expect(r.code, r.stderr).toBe(4);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^osconsole: no server named "no-such-vm" in any project/);
    const lists = ctx.sim.requests('compute').filter((e) => /servers\/detail$/.test(e.path));
    expect(lists).toHaveLength(1);
    expect(new URLSearchParams(lists[0]!.search).get('name')).toBe('^no-such-vm$');
  });
});
