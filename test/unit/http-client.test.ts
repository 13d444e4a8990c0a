/**
 * The HTTP core over real sockets on 127.0.0.1: headers sent, error mapping for
 * Nova, Keystone and HTML bodies, redaction in debug output, timeouts, transport
 * failures and proxies.
 */
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OsconsoleError } from '../../src/errors.js';
import { HttpClient } from '../../src/http/client.js';
import type { HttpClientOptions } from '../../src/http/client.js';
import { startConnectProxy } from '../helpers/proxy.js';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { SERVER_IDS } from '../sim/index.js';

const ctx = useSimulator();
const clients: HttpClient[] = [];
const servers: Array<{ close: () => void }> = [];
/** The waits between tries, recorded instead of slept. */
const waits: number[] = [];

afterEach(async () => {
  waits.length = 0;
  await Promise.all(clients.splice(0).map((c) => c.close()));
  servers.splice(0).forEach((s) => s.close());
});

function client(opts: HttpClientOptions = {}): HttpClient {
  const c = new HttpClient({ env: {}, sleep: async (ms) => void waits.push(ms), ...opts });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<OsconsoleError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OsconsoleError);
    return err as OsconsoleError;
  }
  throw new Error('expected the request to fail');
}

/** A plain HTTP server for cases the simulator does not cover; closed after each test. */
async function rawServer(handler: Parameters<typeof createHttpServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createHttpServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push({ close: () => (sockets.forEach((s) => s.destroy()), server.close()) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('requests', () => {
  it('sends User-Agent, X-Auth-Token, JSON and both compute microversion headers', async () => {
    const token = await issueToken(ctx.sim);
    ctx.sim.clearLog();
    const res = await client().request<{ remote_console: { url: string } }>({
      method: 'POST',
      url: `${ctx.sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`,
      token,
      microversion: { service: 'compute', version: '2.6' },
      json: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.remote_console.url).toContain('token');
    const [entry] = ctx.sim.requests('compute');
    expect(entry!.headers['user-agent']).toMatch(/^osconsole\/\d+\.\d+\.\d+/);
    expect(entry!.headers['x-auth-token']).toBe(token);
    expect(entry!.headers['openstack-api-version']).toBe('compute 2.6');
    expect(entry!.headers['x-openstack-nova-api-version']).toBe('2.6');
    expect(entry!.headers['content-type']).toBe('application/json');
    expect(entry!.headers.accept).toBe('application/json');
    expect(entry!.body).toEqual({ remote_console: { protocol: 'vnc', type: 'novnc' } });
  });

  it('lower-cases response headers and accepts listed non-2xx statuses', async () => {
    const res = await client().request({ method: 'GET', url: `${ctx.sim.identityUrl}/`, accept: [300] });
    expect(res.status).toBe(300);
    expect(res.headers.location).toBe(`${ctx.sim.identityUrl}/v3/`);
  });
});

describe('error mapping', () => {
  it('a Nova fault becomes a typed error with the message and request id', async () => {
    const token = await issueToken(ctx.sim);
    const url = `${ctx.sim.url}/compute/v2.1/servers/00000000-0000-4000-8000-000000000000`;
    const err = await failure(client().request({ method: 'GET', url, token }));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.exitCode).toBe(4);
    expect(err.http).toMatchObject({
      method: 'GET',
      url,
      status: 404,
      message: 'Instance 00000000-0000-4000-8000-000000000000 could not be found.',
    });
    expect(err.http!.requestId).toMatch(/^req-/);
    expect(err.message).toBe(
      `GET ${url} returned 404 Not Found: Instance 00000000-0000-4000-8000-000000000000 could not be found. (request id ${err.http!.requestId})`,
    );
  });

  it("a Keystone error becomes E_AUTH with Keystone's message", async () => {
    const err = await failure(
      client().request({
        method: 'POST',
        url: `${ctx.sim.authUrl}/auth/tokens`,
        json: { auth: { identity: { methods: ['password'], password: { user: { id: 'x', password: 'y' } } } } },
      }),
    );
    expect(err.code).toBe('E_AUTH');
    expect(err.http!.message).toBe('The request you have made requires authentication.');
  });

  it.each([
    [403, 'E_FORBIDDEN', 8],
    [409, 'E_CONFLICT', 5],
    [501, 'E_UNSUPPORTED', 6],
    [406, 'E_UNSUPPORTED', 6],
    [500, 'E_UNEXPECTED', 1],
    [400, 'E_UNEXPECTED', 1],
  ])('HTTP %i → %s (exit %i)', async (status, code, exit) => {
    ctx.sim.addFault({
      match: { path: '/compute/' },
      action: {
        kind: 'status',
        status,
        body: JSON.stringify({ x: { code: status, message: `m${status}` } }),
        contentType: 'application/json',
      },
    });
    const err = await failure(client().request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(exit);
    expect(err.http!.message).toBe(`m${status}`);
  });

  it('an HTML error page from a proxy gives a short excerpt, not the page', async () => {
    ctx.sim.addFault({ action: { kind: 'html', status: 502 }, times: 3 });
    const err = await failure(client().request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(err.code).toBe('E_UNEXPECTED');
    expect(err.http!.message).toBe('502 Bad Gateway');
    expect(err.message).not.toContain('<');
  });

  it('a plain-text body is excerpted to one short line', async () => {
    const { url } = await rawServer((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end(`Service Unavailable\n${'x'.repeat(500)}`);
    });
    const err = await failure(client().request({ method: 'GET', url }));
    expect(err.http!.message.length).toBeLessThanOrEqual(160);
    expect(err.http!.message).not.toContain('\n');
  });

  it('a 2xx with invalid JSON is an unexpected-body error, never a TypeError', async () => {
    ctx.sim.addFault({ action: { kind: 'corrupt' } });
    const err = await failure(client().request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(err.code).toBe('E_UNEXPECTED');
    expect(err.message).toMatch(/returned 200 OK with an unexpected body: the body is not valid JSON/);
  });
});

describe('transport failures (exit 7)', () => {
  it('connection refused names the host', async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(client().request({ method: 'GET', url: `http://127.0.0.1:${port}/v3` }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.line).toMatch(
      new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}.*check the auth URL and region`),
    );
  });

  it('a connection dropped on every try is a network error', async () => {
    ctx.sim.addFault({ action: { kind: 'drop' }, times: 3 });
    const err = await failure(client().request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/closed before a complete answer/);
  });

  it('a body cut short on every try is a network error', async () => {
    ctx.sim.addFault({ action: { kind: 'truncate' }, times: 3 });
    const err = await failure(client().request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(err.code).toBe('E_NETWORK');
  });

  it('no answer within the timeout: response phase named, no hang', async () => {
    ctx.sim.addFault({ action: { kind: 'hang' } });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 300 }).request({ method: 'GET', url: `${ctx.sim.url}/compute/` }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/^timed out after 0\.3 s waiting for 127\.0\.0\.1:\d+ to answer GET/);
  });

  it('a body that stops arriving: body phase named', async () => {
    const { url } = await rawServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"a":');
    });
    const err = await failure(client({ timeoutMs: 300 }).request({ method: 'GET', url }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/timed out after 0\.3 s reading the response body/);
  });

  it('a TLS handshake that never completes: connect phase named', async () => {
    const silent = createNetServer(() => undefined);
    const sockets: Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    servers.push({ close: () => (sockets.forEach((s) => s.destroy()), silent.close()) });
    const err = await failure(
      client({ timeoutMs: 300 }).request({
        method: 'GET',
        url: `https://127.0.0.1:${(silent.address() as AddressInfo).port}/`,
      }),
    );
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/timed out after 0\.3 s connecting to 127\.0\.0\.1/);
  });

  it('an unreadable CA file is a usage error naming the file', async () => {
    const err = await failure(
      client({ tls: { verify: true, cacert: '/nonexistent/ca.pem', cert: null, key: null } }).request({
        method: 'GET',
        url: `${ctx.sim.url}/compute/`,
      }),
    );
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toBe('cannot read the CA file /nonexistent/ca.pem: ENOENT');
  });
});

describe('retries', () => {
  const get = (c = client()) => c.request({ method: 'GET', url: `${ctx.sim.url}/compute/` });

  it('GET: 503s with Retry-After are retried, at most 3 tries in all', async () => {
    ctx.sim.addFault({ action: { kind: 'status', status: 503, retryAfter: 0 }, times: 2 });
    expect((await get()).status).toBe(200);
    expect(ctx.sim.requests()).toHaveLength(3);
    expect(waits).toEqual([0, 0]);
    ctx.sim.clearLog();
    ctx.sim.addFault({ action: { kind: 'status', status: 503, retryAfter: 0 }, times: 3 });
    const err = await failure(get());
    expect(err.http?.status).toBe(503);
    expect(ctx.sim.requests()).toHaveLength(3);
  });

  it('GET: a reset connection and 502/504 are retried with backoff', async () => {
    ctx.sim.addFault({ action: { kind: 'drop' } });
    ctx.sim.addFault({ action: { kind: 'status', status: 504 } });
    expect((await get()).status).toBe(200);
    expect(ctx.sim.requests().map((e) => e.status)).toEqual([0, 504, 200]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[1]).toBeGreaterThanOrEqual(500);
  });

  it('a Retry-After beyond the timeout is not waited for; the error says what the service asked', async () => {
    ctx.sim.addFault({ action: { kind: 'status', status: 503, retryAfter: 120 } });
    const err = await failure(get(client({ timeoutMs: 2000 })));
    expect(ctx.sim.requests()).toHaveLength(1);
    expect(err.line).toMatch(/returned 503 Service Unavailable: .*; the service asks to retry after 120 s$/);
  });

  it('POST: not retried once the request may have reached the service', async () => {
    ctx.sim.addFault({ action: { kind: 'drop' } });
    const post = client().request({
      method: 'POST',
      url: `${ctx.sim.url}/compute/v2.1/servers/x/remote-consoles`,
      json: {},
    });
    expect((await failure(post)).code).toBe('E_NETWORK');
    expect(ctx.sim.requests()).toHaveLength(1);
    ctx.sim.clearLog();
    ctx.sim.addFault({ action: { kind: 'status', status: 503 } });
    await failure(
      client().request({ method: 'POST', url: `${ctx.sim.url}/compute/v2.1/servers/x/remote-consoles`, json: {} }),
    );
    expect(ctx.sim.requests()).toHaveLength(1);
  });

  it('the token request is retried like a GET', async () => {
    ctx.sim.addFault({
      match: { path: '/identity/v3/auth/tokens' },
      action: { kind: 'status', status: 503, retryAfter: 0 },
    });
    const res = await client().request({
      method: 'POST',
      url: `${ctx.sim.authUrl}/auth/tokens`,
      json: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { id: 'default' }, password: 'demopass' } },
          },
        },
      },
      retry: 'safe',
    });
    expect(res.status).toBe(201);
    expect(ctx.sim.requests().map((e) => e.status)).toEqual([503, 201]);
  });
});

describe('--debug output', () => {
  it('logs method, URL, status, time and headers with tokens redacted to a fingerprint', async () => {
    const lines: string[] = [];
    const token = await issueToken(ctx.sim);
    const c = client({ debug: (l) => lines.push(l) });
    await c.request({
      method: 'GET',
      url: `${ctx.sim.authUrl}/auth/tokens`,
      token,
      headers: { 'X-Subject-Token': token },
    });
    const out = lines.join('\n');
    expect(out).toMatch(/→ GET http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens/);
    expect(out).toMatch(/← 200 OK GET .* \(\d+ ms\)/);
    expect(out).not.toContain(token);
    expect(out).toMatch(/x-auth-token: <redacted sha256:[0-9a-f]{8}>/i);
    expect(out).toMatch(/x-subject-token: <redacted sha256:[0-9a-f]{8}>/i);
  });

  it('redacts console tokens in URLs', async () => {
    const lines: string[] = [];
    const admin = await issueToken(ctx.sim, 'admin');
    const secret = '6f1c7f9e-1111-4222-8333-944455556666';
    await failure(
      client({ debug: (l) => lines.push(l) }).request({
        method: 'GET',
        url: `${ctx.sim.url}/compute/v2.1/os-console-auth-tokens/${secret}`,
        token: admin,
        microversion: { service: 'compute', version: '2.31' },
      }),
    );
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).toContain('/os-console-auth-tokens/<redacted sha256:');
  });
});

describe('proxies', () => {
  it('goes through HTTP_PROXY, and around it for NO_PROXY hosts', async () => {
    const proxy = await startConnectProxy();
    servers.push({ close: () => void proxy.close() });
    const via = client({ env: { HTTP_PROXY: proxy.url } });
    expect((await via.request({ method: 'GET', url: `${ctx.sim.url}/compute/` })).status).toBe(200);
    expect(proxy.targets).toEqual([`127.0.0.1:${ctx.sim.port}`]);
    const around = client({ env: { http_proxy: proxy.url, NO_PROXY: '127.0.0.1' } });
    expect((await around.request({ method: 'GET', url: `${ctx.sim.url}/compute/` })).status).toBe(200);
    expect(proxy.targets).toHaveLength(1);
  });
});
