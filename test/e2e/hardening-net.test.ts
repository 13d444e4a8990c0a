/**
 * Issue 10, network hardening, end to end through the built binary: an auth URL
 * that is not Keystone never receives credentials, credentials in an auth URL
 * are refused, proxy failures name the proxy, NO_PROXY takes CIDR blocks, and
 * a region the catalog lacks is reported at login.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startConnectProxy } from '../helpers/proxy.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';

const ctx = useSimulator();
const env = useTestEnv();

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** A one-off HTTP service on 127.0.0.1 that records every request and answers with `answer`. */
async function fakeService(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port that was bound and closed: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

// Glance api-ref (versions/samples/image-versions-response.json; 300 Multiple Choices): a plain `versions` list, ids v2.N, links under /v2/.
const glanceVersions = (host: string) => ({
  versions: [
    { id: 'v2.9', status: 'CURRENT', links: [{ rel: 'self', href: `${host}/v2/` }] },
    { id: 'v2.7', status: 'SUPPORTED', links: [{ rel: 'self', href: `${host}/v2/` }] },
    { id: 'v2.0', status: 'SUPPORTED', links: [{ rel: 'self', href: `${host}/v2/` }] },
  ],
});
// Nova api-ref (versions.inc, "List All Major Versions"): 200 with v2.0 and v2.1.
const novaVersions = (host: string) => ({
  versions: [
    {
      id: 'v2.0',
      status: 'SUPPORTED',
      version: '',
      min_version: '',
      updated: '2011-01-21T11:33:21Z',
      links: [{ rel: 'self', href: `${host}/v2/` }],
    },
    {
      id: 'v2.1',
      status: 'CURRENT',
      version: '2.96',
      min_version: '2.1',
      updated: '2013-07-23T11:33:21Z',
      links: [{ rel: 'self', href: `${host}/v2.1/` }],
    },
  ],
});

// Cinder api-ref (v3/samples/versions/versions-response.json; 300): a plain list whose v3.0 entry is the
// block-storage API (media type application/vnd.openstack.volume+json;version=3), not Keystone.
const cinderVersions = (host: string) => ({
  versions: [
    {
      id: 'v3.0',
      status: 'CURRENT',
      version: '3.70',
      min_version: '3.0',
      updated: '2023-08-31T00:00:00Z',
      links: [{ rel: 'self', href: `${host}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
    },
  ],
});

describe('an auth URL that is not Keystone (bullet: version discovery)', () => {
  const cases: Array<[string, (host: string) => (req: IncomingMessage, res: ServerResponse) => void]> = [
    ["Glance's 300 version document", (h) => json(300, glanceVersions(h))],
    ["Nova's 200 version document", (h) => json(200, novaVersions(h))],
    ["Cinder's 300 version document (it has a v3)", (h) => json(300, cinderVersions(h))],
    [
      'a 404 HTML page',
      () => (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        res.end('<html><body>Not Found</body></html>');
      },
    ],
    [
      'a 200 HTML page (a dashboard)',
      () => (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html><body>Log in</body></html>');
      },
    ],
  ];
  for (const [what, make] of cases) {
    it(`${what}: exit 2 naming OS_AUTH_URL, and no credentials are sent`, async () => {
      let host = '';
      const svc = await fakeService((req, res) => make(host)(req, res));
      host = svc.url;
      const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: svc.url });
      expect(r.stderr).toMatch(/^osconsole: OS_AUTH_URL http:\/\/127\.0\.0\.1:\d+ is not a Keystone endpoint/);
      expect(r.code, r.stderr).toBe(2);
      expect(svc.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /']);
      expect(svc.seen.some((s) => s.body.includes('demopass'))).toBe(false);
      expect(existsSync(env.t.sessionsPath)).toBe(false);
    });
  }

  it('names --os-auth-url, or the clouds.yaml key and file, as the source', async () => {
    const svc = await fakeService((req, res) => json(300, glanceVersions('http://x'))(req, res));
    const flag = await env.t.main(['login', '--os-auth-url', svc.url], ctx.sim.env('demo'));
    expect(flag.code, flag.stderr).toBe(2);
    expect(flag.stderr).toMatch(/^osconsole: --os-auth-url http:\/\/127\.0\.0\.1:\d+ is not a Keystone endpoint/);
    const file = env.t.write(
      '.config/openstack/clouds.yaml',
      `clouds:\n  glance:\n    auth:\n      auth_url: ${svc.url}\n      username: demo\n      password: demopass\n      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n`,
    );
    const yaml = await env.t.main(['login', '--os-cloud', 'glance']);
    expect(yaml.code, yaml.stderr).toBe(2);
    expect(yaml.stderr).toContain(`clouds.glance.auth.auth_url in ${file}`);
    expect(yaml.stderr).toContain('is not a Keystone endpoint');
    expect(svc.seen.filter((s) => s.method !== 'GET')).toEqual([]);
  });

  it('Keystone itself still works from its root, /v3, and with the version document at 200', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: ctx.sim.identityUrl });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('credentials in the auth URL (bullet: userinfo)', () => {
  it('are refused with exit 2 before any request; the password is never echoed or stored', async () => {
    const withUser = ctx.sim.authUrl.replace('http://', 'http://demo:Sup3rS3cret@');
    const r = await env.t.main(['login', '--debug'], { ...ctx.sim.env('demo'), OS_AUTH_URL: withUser });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/OS_AUTH_URL must not contain a user name or password; use OS_USERNAME and OS_PASSWORD/);
    expect(r.stderr + r.stdout).not.toContain('Sup3rS3cret');
    expect(ctx.sim.requests()).toEqual([]);
    expect(existsSync(env.t.sessionsPath) ? readFileSync(env.t.sessionsPath, 'utf8') : '').not.toContain('Sup3rS3cret');
  });

  it('a proxy URL with a password is shown redacted in --debug output', async () => {
    const proxy = await startConnectProxy();
    try {
      const proxyUrl = proxy.url.replace('http://', 'http://pxuser:Pr0xyPw@');
      const r = await env.t.main(['login', '--debug'], { ...ctx.sim.env('demo'), HTTP_PROXY: proxyUrl });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`via proxy http://<redacted>@127.0.0.1:${new URL(proxy.url).port} (HTTP_PROXY)`);
      expect(r.stderr + r.stdout).not.toContain('Pr0xyPw');
      expect(readFileSync(env.t.sessionsPath, 'utf8')).not.toContain('Pr0xyPw');
    } finally {
      await proxy.close();
    }
  });
});

describe('proxies (bullet: HTTP(S)_PROXY and NO_PROXY)', () => {
  it('a refused proxy is named (redacted), with the variable, not the target', async () => {
    const port = await closedPort();
    const r = await env.t.main(['login'], {
      ...ctx.sim.env('demo'),
      HTTP_PROXY: `http://pxuser:Pr0xyPw@127.0.0.1:${port}`,
    });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(
      new RegExp(
        `^osconsole: cannot connect to proxy http://<redacted>@127\\.0\\.0\\.1:${port} \\(set by HTTP_PROXY\\) for POST http://127\\.0\\.0\\.1:${ctx.sim.port}/identity/v3/auth/tokens: connection refused`,
      ),
    );
    expect(r.stderr).not.toContain('Pr0xyPw');
  });

  it('a proxy that refuses the tunnel is named with its answer', async () => {
    const proxy = await startConnectProxy();
    try {
      // The test proxy answers 403 to CONNECT for any host but 127.0.0.1.
      const r = await env.t.main(['login'], {
        ...ctx.sim.env('demo'),
        OS_AUTH_URL: `http://localhost:${ctx.sim.port}/identity/v3`,
        HTTP_PROXY: proxy.url,
      });
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toContain(
        `osconsole: proxy ${proxy.url} (set by HTTP_PROXY) answered 403 Forbidden to the tunnel request for POST http://localhost:${ctx.sim.port}/identity/v3/auth/tokens`,
      );
      expect(proxy.targets).toEqual([`localhost:${ctx.sim.port}`]);
    } finally {
      await proxy.close();
    }
  });

  for (const noProxy of [
    '127.0.0.0/8',
    '10.0.0.0/8, 127.0.0.1/32',
    '*',
    `localhost,127.0.0.1:${'PORT'}`,
    '.example.com,127.0.0.1',
  ]) {
    it(`NO_PROXY=${noProxy} bypasses the proxy`, async () => {
      const proxy = await startConnectProxy();
      try {
        const value = noProxy.replace('PORT', String(ctx.sim.port));
        const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), HTTP_PROXY: proxy.url, no_proxy: value });
        expect(r.code, r.stderr).toBe(0);
        expect(proxy.targets).toEqual([]);
      } finally {
        await proxy.close();
      }
    });
  }

  for (const noProxy of ['10.0.0.0/8', '127.0.0.1:1', 'localhost', '::1/128']) {
    it(`NO_PROXY=${noProxy} does not match 127.0.0.1:<port>: the proxy is used`, async () => {
      const proxy = await startConnectProxy();
      try {
        const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), HTTP_PROXY: proxy.url, NO_PROXY: noProxy });
        expect(r.code, r.stderr).toBe(0);
        expect(proxy.targets).toEqual([`127.0.0.1:${ctx.sim.port}`]);
      } finally {
        await proxy.close();
      }
    });
  }
});

describe('a region the catalog lacks (bullet: OS_REGION_NAME)', () => {
  it('login warns at once listing the compute regions, exits 0 and caches; console get lists them too', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_REGION_NAME: 'RegionX' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: region RegionX is not in the catalog of cloud envvars; its compute endpoints are in RegionOne, RegionTwo',
    );
    expect(env.t.sessions().sessions.envvars!.region_name).toBe('RegionX');
    const c = await env.t.main(['console', 'get', 'web-1'], { OS_REGION_NAME: 'RegionX' });
    expect(c.code, c.stderr).toBe(4);
    expect(c.stderr).toMatch(
      /no public compute endpoint in region RegionX; the catalog offers compute at: RegionOne public, .*RegionTwo public/,
    );
  });

  it('a region the catalog has: no warning', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_REGION_NAME: 'RegionTwo' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
  });
});
