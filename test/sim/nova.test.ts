/**
 * The simulator's Nova against the documented behaviour, over real HTTP:
 * version documents, microversion rules, auth, servers, remote consoles,
 * legacy actions and console auth tokens. Sources are named in test/sim/nova.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueToken, useSimulator } from '../helpers/sim.js';
import type { Simulator } from './index.js';
import { PROJECT_IDS, SERVER_IDS } from './index.js';

const ctx = useSimulator();
let demo: string;
let admin: string;
let reader: string;

beforeAll(async () => {
  demo = await issueToken(ctx.sim, 'demo');
  admin = await issueToken(ctx.sim, 'admin');
  reader = await issueToken(ctx.sim, 'reader');
});

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  sim: Simulator,
  method: string,
  path: string,
  opts: { token?: string; mv?: string; legacyMv?: string; body?: unknown; base?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.token) headers['X-Auth-Token'] = opts.token;
  if (opts.mv) headers['OpenStack-API-Version'] = `compute ${opts.mv}`;
  if (opts.legacyMv) headers['X-OpenStack-Nova-API-Version'] = opts.legacyMv;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${opts.base ?? `${sim.url}/compute`}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, headers: res.headers, body };
}

const console_ = (server: string, protocol: string, type: string, mv = '2.6', token?: string) =>
  call(ctx.sim, 'POST', `/v2.1/servers/${server}/remote-consoles`, {
    token: token ?? demo,
    mv,
    body: { remote_console: { protocol, type } },
  });

describe('version documents', () => {
  it('GET / lists v2.0 and v2.1 with the max and min microversion; no token, no version or request-id headers', async () => {
    const res = await call(ctx.sim, 'GET', '/');
    expect(res.status).toBe(200);
    const v21 = res.body.versions.find((v: any) => v.id === 'v2.1');
    expect(v21).toEqual({
      id: 'v2.1',
      links: [{ href: `${ctx.sim.url}/compute/v2.1/`, rel: 'self' }],
      status: 'CURRENT',
      version: '2.100',
      min_version: '2.1',
      updated: '2013-07-23T11:33:21Z',
    });
    // SUPPORTED until 2025.2 Flamingo deprecated v2.0 (max 2.100 is Epoxy).
    expect(res.body.versions.find((v: any) => v.id === 'v2.0')).toMatchObject({
      status: 'SUPPORTED',
      version: '',
      min_version: '',
    });
    expect(res.headers.get('openstack-api-version')).toBeNull();
    expect(res.headers.get('x-openstack-request-id')).toBeNull();
  });

  it('GET /v2 is the legacy v2.0 document; other unversioned paths are 300 with the choices', async () => {
    expect((await call(ctx.sim, 'GET', '/v2')).body.version).toMatchObject({ id: 'v2.0', version: '' });
    // The point of the test: the versions app's answer outside any route.
    ctx.sim.expectUnknown({ path: '/compute/v3' });
    const other = await call(ctx.sim, 'GET', '/v3');
    expect(other.status).toBe(300);
    expect(other.body.choices.map((c: any) => c.links[0].href)).toEqual([
      `${ctx.sim.url}/compute/v2/v3`,
      `${ctx.sim.url}/compute/v2.1/v3`,
    ]);
  });

  it('GET /v2.1 and /v2.1/ return the single version document with media-types', async () => {
    for (const p of ['/v2.1', '/v2.1/']) {
      const res = await call(ctx.sim, 'GET', p);
      expect(res.status).toBe(200);
      // VersionsV2 parses the microversion, so the echo headers are there.
      expect(res.headers.get('openstack-api-version')).toBe('compute 2.1');
      expect(res.body.version).toMatchObject({ id: 'v2.1', version: '2.100', min_version: '2.1' });
      expect(res.body.version['media-types'][0].type).toBe('application/vnd.openstack.compute+json;version=2.1');
    }
  });

  it('the maximum is configurable (Zed 2.93, legacy-only 2.5)', async () => {
    const { Simulator } = await import('./index.js');
    const zed = await Simulator.start({ computeMaxVersion: '2.93', regionTwoMaxVersion: '2.5' });
    try {
      expect((await call(zed, 'GET', '/v2.1/')).body.version.version).toBe('2.93');
      expect((await call(zed, 'GET', '/v2.1/', { base: `${zed.url}/r2/compute` })).body.version.version).toBe('2.5');
    } finally {
      await zed.stop();
    }
  });
});

describe('microversion headers', () => {
  it('both request forms are honoured and both are echoed, with Vary', async () => {
    const modern = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, mv: '2.47' });
    expect(modern.headers.get('openstack-api-version')).toBe('compute 2.47');
    expect(modern.headers.get('x-openstack-nova-api-version')).toBe('2.47');
    expect(modern.headers.get('vary')).toContain('OpenStack-API-Version');
    const legacy = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, legacyMv: '2.12' });
    expect(legacy.headers.get('openstack-api-version')).toBe('compute 2.12');
  });

  it('the new header wins over the legacy one; no header means 2.1; latest means the max', async () => {
    const both = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, mv: '2.30', legacyMv: '2.10' });
    expect(both.headers.get('x-openstack-nova-api-version')).toBe('2.30');
    const none = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo });
    expect(none.headers.get('x-openstack-nova-api-version')).toBe('2.1');
    const latest = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, mv: 'latest' });
    expect(latest.headers.get('openstack-api-version')).toBe('compute 2.100');
  });

  it('a comma-folded header is scanned for the compute entry, case-insensitively', async () => {
    const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers`, {
      headers: { 'X-Auth-Token': demo, 'OpenStack-API-Version': 'placement 1.2, COMPUTE 2.40' },
    });
    await res.arrayBuffer();
    expect(res.headers.get('x-openstack-nova-api-version')).toBe('2.40');
  });

  it('a malformed version is 400 badRequest without version headers', async () => {
    for (const bad of ['2.06', 'Latest', 'v2.6', '2']) {
      const res = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, mv: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.badRequest.message).toBe(
        `API Version String ${bad} is of invalid format. Must be of format MajorNum.MinorNum.`,
      );
      expect(res.headers.get('openstack-api-version')).toBeNull();
    }
  });

  it('out of range is 406 computeFault, echoing the requested version', async () => {
    for (const out of ['2.0', '2.101', '3.0']) {
      const res = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, mv: out });
      expect(res.status).toBe(406);
      expect(res.body.computeFault).toEqual({
        code: 406,
        message: `Version ${out} is not supported by the API. Minimum is 2.1 and maximum is 2.100.`,
      });
      expect(res.headers.get('openstack-api-version')).toBe(`compute ${out}`);
    }
  });
});

describe('authentication (keystonemiddleware)', () => {
  it('missing, invalid and expired tokens are 401 with the middleware body and WWW-Authenticate', async () => {
    const { Simulator } = await import('./index.js');
    const short = await Simulator.start({ tokenLifetimeSeconds: 60 });
    try {
      const expired = await issueToken(short, 'demo');
      short.advance(61);
      for (const token of [undefined, 'gAAAAAnotatoken', expired]) {
        const res = await call(short, 'GET', '/v2.1/servers', { token });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
        });
        expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${short.authUrl}"`);
      }
    } finally {
      await short.stop();
    }
  });

  it('responses carry both request id headers', async () => {
    const res = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo });
    expect(res.headers.get('x-compute-request-id')).toMatch(/^req-/);
    expect(res.headers.get('x-openstack-request-id')).toBe(res.headers.get('x-compute-request-id'));
  });

  it('the middleware 401 body is exactly what keystonemiddleware sends', async () => {
    const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers`);
    expect(await res.text()).toBe(
      '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
    );
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it("unrouted URLs get webob's plain 404 (not a Nova fault), formatted for Accept", async () => {
    // The point of the test: how an unrouted URL is answered.
    ctx.sim.expectUnknown({ path: '/compute/v2.1/nosuch' });
    const get = (accept?: string) =>
      fetch(`${ctx.sim.url}/compute/v2.1/nosuch`, {
        headers: { 'X-Auth-Token': demo, ...(accept ? { Accept: accept } : {}) },
      });
    const asJson = await get('application/json');
    expect(asJson.status).toBe(404);
    expect(await asJson.json()).toEqual({
      message: 'The resource could not be found.<br /><br />\n\n\n',
      code: '404 Not Found',
      title: 'Not Found',
    });
    expect(asJson.headers.get('openstack-api-version')).toBeNull();
    const asHtml = await get('*/*');
    expect(asHtml.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(await asHtml.text()).toContain('<title>404 Not Found</title>');
    const asText = await get('text/plain');
    expect(await asText.text()).toMatch(/^404 Not Found\n\nThe resource could not be found\./);
  });

  it('a body that is not JSON by Content-Type is 415', async () => {
    const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
      method: 'POST',
      headers: { 'X-Auth-Token': demo, 'OpenStack-API-Version': 'compute 2.6', 'Content-Type': 'application/xml' },
      body: '<remote_console/>',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
  });
});

describe('servers', () => {
  it('the name filter is an unanchored regex: web-1 also matches web-10', async () => {
    const res = await call(ctx.sim, 'GET', '/v2.1/servers?name=web-1', { token: demo });
    expect(res.body.servers.map((s: any) => s.name).sort()).toEqual(['web-1', 'web-10']);
    const anchored = await call(ctx.sim, 'GET', `/v2.1/servers?name=${encodeURIComponent('^web-1$')}`, { token: demo });
    expect(anchored.body.servers.map((s: any) => s.name)).toEqual(['web-1']);
  });

  it('the name filter ignores case, as MySQL-backed Nova does (REGEXP under a _ci collation)', async () => {
    const res = await call(ctx.sim, 'GET', `/v2.1/servers?name=${encodeURIComponent('^WEB-1$')}`, { token: demo });
    expect(res.body.servers.map((s: any) => s.name)).toEqual(['web-1']);
  });

  it('metacharacters are regex syntax: an escaped anchored pattern finds db(1).x, the raw name does not', async () => {
    const raw = await call(ctx.sim, 'GET', `/v2.1/servers?name=${encodeURIComponent('db(1).x')}`, { token: demo });
    expect(raw.body.servers).toEqual([]);
    const escaped = await call(ctx.sim, 'GET', `/v2.1/servers?name=${encodeURIComponent('^db\\(1\\)\\.x$')}`, {
      token: demo,
    });
    expect(escaped.body.servers.map((s: any) => s.id)).toEqual([SERVER_IDS.meta]);
  });

  it('an invalid regex is 400', async () => {
    const res = await call(ctx.sim, 'GET', `/v2.1/servers?name=${encodeURIComponent('web(')}`, { token: demo });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain('name');
  });

  it('two servers share the name dup', async () => {
    const res = await call(ctx.sim, 'GET', '/v2.1/servers/detail?name=%5Edup%24', { token: demo });
    expect(res.body.servers.map((s: any) => s.id).sort()).toEqual([SERVER_IDS.dupA, SERVER_IDS.dupB].sort());
    expect(res.body.servers[0]).toHaveProperty('status', 'ACTIVE');
    expect(res.body.servers[0]).toHaveProperty('created');
  });

  it("lists only the token's project; all_tenants is admin-only (403 for members)", async () => {
    const mine = await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo });
    expect(mine.body.servers.map((s: any) => s.name)).not.toContain('other-vm');
    const all = await call(ctx.sim, 'GET', '/v2.1/servers?all_tenants=1', { token: admin });
    expect(all.body.servers.map((s: any) => s.name)).toEqual(expect.arrayContaining(['other-vm', 'admin-vm', 'web-1']));
    const denied = await call(ctx.sim, 'GET', '/v2.1/servers?all_tenants=1', { token: demo });
    expect(denied.status).toBe(403);
    expect(denied.body.forbidden.message).toMatch(
      /^Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed\.$/,
    );
  });

  it('paginates with limit and marker, with a next link on full pages', async () => {
    const first = await call(ctx.sim, 'GET', '/v2.1/servers?limit=4', { token: demo });
    expect(first.body.servers).toHaveLength(4);
    const next = new URL(first.body.servers_links[0].href);
    expect(first.body.servers_links[0].rel).toBe('next');
    expect(next.searchParams.get('marker')).toBe(first.body.servers[3].id);
    const second = await call(ctx.sim, 'GET', `/v2.1/servers${next.search}`, { token: demo });
    const ids = [...first.body.servers, ...second.body.servers].map((s: any) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    const bad = await call(ctx.sim, 'GET', '/v2.1/servers?marker=nonexistent', { token: demo });
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toBe('marker [nonexistent] not found');
    expect((await call(ctx.sim, 'GET', '/v2.1/servers?limit=-1', { token: demo })).body.badRequest.message).toBe(
      "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
    );
    expect((await call(ctx.sim, 'GET', '/v2.1/servers?limit=abc', { token: demo })).status).toBe(400);
  });

  it("the next link keeps the request's parameters, sorted by name", async () => {
    const res = await call(ctx.sim, 'GET', '/v2.1/servers/detail?name=web&limit=1', { token: demo });
    const href = res.body.servers_links[0].href as string;
    expect(href).toBe(`${ctx.sim.url}/compute/v2.1/servers/detail?limit=1&marker=${res.body.servers[0].id}&name=web`);
  });

  it('from 2.75 an unknown query parameter is 400; before it is ignored', async () => {
    expect((await call(ctx.sim, 'GET', '/v2.1/servers?foo=1', { token: demo, mv: '2.74' })).status).toBe(200);
    const strict = await call(ctx.sim, 'GET', '/v2.1/servers?foo=1', { token: demo, mv: '2.75' });
    expect(strict.status).toBe(400);
    expect(strict.body.badRequest.message).toContain("'foo' does not match any of the regexes: '^_'");
  });

  it("GET /servers/{id}: found, 404 for unknown, non-UUID and other projects' servers", async () => {
    const ok = await call(ctx.sim, 'GET', `/v2.1/servers/${SERVER_IDS.web1}`, { token: demo });
    expect(ok.status).toBe(200);
    expect(ok.body.server).toMatchObject({ id: SERVER_IDS.web1, name: 'web-1', tenant_id: PROJECT_IDS.demo });
    expect(ok.body.server).not.toHaveProperty('OS-EXT-SRV-ATTR:host');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'web-1', SERVER_IDS.other]) {
      const res = await call(ctx.sim, 'GET', `/v2.1/servers/${id}`, { token: demo });
      expect(res.status).toBe(404);
      expect(res.body.itemNotFound).toEqual({ code: 404, message: `Instance ${id} could not be found.` });
    }
    const asAdmin = await call(ctx.sim, 'GET', `/v2.1/servers/${SERVER_IDS.other}`, { token: admin });
    expect(asAdmin.body.server['OS-EXT-SRV-ATTR:host']).toBe('compute-2');
  });

  it('detail fields follow the microversion', async () => {
    const v21 = await call(ctx.sim, 'GET', `/v2.1/servers/${SERVER_IDS.web1}`, { token: demo });
    expect(v21.body.server).not.toHaveProperty('locked');
    expect(v21.body.server.flavor).toHaveProperty('id');
    const v247 = await call(ctx.sim, 'GET', `/v2.1/servers/${SERVER_IDS.web1}`, { token: demo, mv: '2.47' });
    expect(v247.body.server.locked).toBe(false);
    expect(v247.body.server.flavor).toHaveProperty('original_name', 'm1.tiny');
  });
});

describe('POST /servers/{id}/remote-consoles', () => {
  it("novnc: 200 with the token inside noVNC's path parameter", async () => {
    const res = await console_(SERVER_IDS.web1, 'vnc', 'novnc');
    expect(res.status).toBe(200);
    expect(res.body.remote_console).toMatchObject({ protocol: 'vnc', type: 'novnc' });
    expect(res.body.remote_console.url).toMatch(/\/vnc_lite\.html\?path=%3Ftoken%3D[0-9a-f-]{36}$/);
  });

  it('spice-html5, serial (ws://) and webmks (2.8, on the VMware host) use ?token=', async () => {
    expect((await console_(SERVER_IDS.web1, 'spice', 'spice-html5')).body.remote_console.url).toMatch(
      /spice_auto\.html\?token=[0-9a-f-]{36}$/,
    );
    expect((await console_(SERVER_IDS.web1, 'serial', 'serial')).body.remote_console.url).toMatch(
      /^ws:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=/,
    );
    const mks = await console_(SERVER_IDS.vmware, 'mks', 'webmks', '2.8');
    expect(mks.status).toBe(200);
    expect(mks.body.remote_console.url).toMatch(/\/mks\/\?token=/);
  });

  it('spice-direct needs 2.99; below it the schema rejects the type', async () => {
    const ok = await console_(SERVER_IDS.web1, 'spice', 'spice-direct', '2.99');
    expect(ok.status).toBe(200);
    expect(ok.body.remote_console.url).toMatch(/\/spice-direct\/nova-console\.vv\?token=/);
    const low = await console_(SERVER_IDS.web1, 'spice', 'spice-direct', '2.98');
    expect(low.status).toBe(400);
    expect(low.body.badRequest.message).toMatch(
      /^Invalid input for field\/attribute type\. Value: spice-direct\. 'spice-direct' is not one of \[/,
    );
  });

  it('webmks below 2.8 fails the schema (protocol mks unknown)', async () => {
    const res = await console_(SERVER_IDS.vmware, 'mks', 'webmks', '2.7');
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain("'mks' is not one of");
  });

  it('below 2.6 the method does not exist at that version: a 404 fault, with the version echoed', async () => {
    const res = await console_(SERVER_IDS.web1, 'vnc', 'novnc', '2.5');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    expect(res.headers.get('openstack-api-version')).toBe('compute 2.5');
  });

  it("schema messages print values as Python does, with the enum in Nova's order (Zed lists rdp)", async () => {
    const { Simulator } = await import('./index.js');
    const zed = await Simulator.start({ computeMaxVersion: '2.93' });
    try {
      const token = await issueToken(zed, 'demo');
      const post = (body: unknown) =>
        call(zed, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, { token, mv: '2.8', body });
      expect((await post({ remote_console: { protocol: 'vnc', type: 'foo' } })).body.badRequest.message).toBe(
        "Invalid input for field/attribute type. Value: foo. 'foo' is not one of ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks']",
      );
      expect(
        (await post({ remote_console: { protocol: 'vnc', type: 'novnc', extra: 1 } })).body.badRequest.message,
      ).toBe(
        "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc', 'type': 'novnc', 'extra': 1}. Additional properties are not allowed ('extra' was unexpected)",
      );
      expect((await post({ remote_console: { protocol: 'vnc' } })).body.badRequest.message).toBe(
        "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property",
      );
      expect((await post({})).body.badRequest.message).toBe("'remote_console' is a required property");
    } finally {
      await zed.stop();
    }
  });

  it('schema: missing keys and extra properties are 400', async () => {
    for (const body of [
      {},
      { remote_console: { protocol: 'vnc' } },
      { remote_console: { protocol: 'vnc', type: 'novnc', x: 1 } },
      { remote_console: { protocol: 'vnc', type: 'novnc' }, y: 1 },
    ]) {
      const res = await call(ctx.sim, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
        token: demo,
        mv: '2.6',
        body,
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toHaveProperty('badRequest');
    }
    const malformed = await call(ctx.sim, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
      token: demo,
      mv: '2.6',
      body: '{"remote_console": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.badRequest.message).toBe('Malformed request body');
  });

  it('a mismatched pair is "Invalid console type"; xvpvnc is gone (400)', async () => {
    const mismatch = await console_(SERVER_IDS.web1, 'vnc', 'spice-html5');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.badRequest.message).toBe('Invalid console type spice-html5');
    const xvp = await console_(SERVER_IDS.web1, 'vnc', 'xvpvnc');
    expect(xvp.status).toBe(400);
    expect(xvp.body.badRequest.message).toBe('Invalid console type xvpvnc');
  });

  it('unknown server 404; a server with no host 409; mid-migration 500', async () => {
    const missing = await console_('00000000-0000-4000-8000-000000000000', 'vnc', 'novnc');
    expect(missing.status).toBe(404);
    expect(missing.body.itemNotFound.message).toBe('Instance 00000000-0000-4000-8000-000000000000 could not be found.');
    const building = await console_(SERVER_IDS.building, 'vnc', 'novnc');
    expect(building.status).toBe(409);
    expect(building.body.conflictingRequest).toEqual({
      code: 409,
      message: `Instance ${SERVER_IDS.building} is not ready`,
    });
    const migrating = await console_(SERVER_IDS.migrating, 'vnc', 'novnc');
    expect(migrating.status).toBe(500);
    expect(migrating.body.computeFault.message).toMatch(/^Unexpected API Error/);
    expect(migrating.headers.get('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('a host whose driver lacks the protocol is 501', async () => {
    const res = await console_(SERVER_IDS.vncOnly, 'spice', 'spice-html5');
    expect(res.status).toBe(501);
    expect(res.body.notImplemented).toEqual({ code: 501, message: 'The requested functionality is not supported.' });
    expect((await console_(SERVER_IDS.vncOnly, 'vnc', 'novnc')).status).toBe(200);
    expect((await console_(SERVER_IDS.web1, 'mks', 'webmks', '2.8')).status).toBe(501);
  });

  it('a disabled console type is 400 "Unavailable console type"', async () => {
    const { Simulator } = await import('./index.js');
    const sim = await Simulator.start({ consoleEnabled: { spice: false } });
    try {
      const token = await issueToken(sim, 'demo');
      const res = await call(sim, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
        token,
        mv: '2.6',
        body: { remote_console: { protocol: 'spice', type: 'spice-html5' } },
      });
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe('Unavailable console type spice-html5.');
    } finally {
      await sim.stop();
    }
  });

  it("policy: a reader gets 403 under the new defaults (2023.1+); an admin may use any project's server", async () => {
    const denied = await console_(SERVER_IDS.web1, 'vnc', 'novnc', '2.6', reader);
    expect(denied.status).toBe(403);
    expect(denied.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-remote-consoles to be performed.",
    );
    expect((await console_(SERVER_IDS.other, 'vnc', 'novnc', '2.6', admin)).status).toBe(200);
  });

  it('a reader may create consoles on a Zed-era cloud (old defaults)', async () => {
    const { Simulator } = await import('./index.js');
    const zed = await Simulator.start({ computeMaxVersion: '2.93' });
    try {
      const token = await issueToken(zed, 'reader');
      const res = await call(zed, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
        token,
        mv: '2.6',
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      });
      expect(res.status).toBe(200);
    } finally {
      await zed.stop();
    }
  });

  it('spice-html5 and noVNC pages, like websockify, are static files whatever the token; the websocket checks it', async () => {
    const { Simulator } = await import('./index.js');
    const sim = await Simulator.start({ consoleTokenTtlSeconds: 30 });
    try {
      const token = await issueToken(sim, 'demo');
      const make = async (protocol: string, type: string) =>
        (
          await call(sim, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
            token,
            mv: '2.6',
            body: { remote_console: { protocol, type } },
          })
        ).body.remote_console.url as string;
      const [spice, novnc] = [await make('spice', 'spice-html5'), await make('vnc', 'novnc')];
      sim.advance(31);
      // test/fixtures/real/vnc/*.json: the page is a static file; the websocket checks the token.
      const late = await fetch(spice);
      expect([late.status, await late.text()]).toEqual([200, expect.stringContaining('spice_auto.html')]);
      const vnc = await fetch(novnc);
      expect([vnc.status, await vnc.text()]).toEqual([200, expect.stringContaining('<title>noVNC</title>')]);
      const nospice = await fetch(new URL('/console/spice/spice_lite.html', spice));
      expect(nospice.status).toBe(404);
      await nospice.arrayBuffer();
      const missing = await fetch(new URL('/console/novnc/missing.html', novnc));
      expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'text/html;charset=utf-8']);
      await missing.arrayBuffer();
    } finally {
      await sim.stop();
    }
  });
});

describe('legacy console actions (2.1–2.5)', () => {
  const action = (body: unknown, mv?: string, server: string = SERVER_IDS.web1) =>
    call(ctx.sim, 'POST', `/v2.1/servers/${server}/action`, { token: demo, mv, body });

  it('os-getVNCConsole, os-getSPICEConsole, os-getSerialConsole return {"console": {type, url}} with no header (2.1)', async () => {
    const vnc = await action({ 'os-getVNCConsole': { type: 'novnc' } });
    expect(vnc.status).toBe(200);
    expect(vnc.body.console.type).toBe('novnc');
    expect(vnc.body.console.url).toContain('path=%3Ftoken%3D');
    expect((await action({ 'os-getSPICEConsole': { type: 'spice-html5' } }, '2.5')).body.console.type).toBe(
      'spice-html5',
    );
    expect((await action({ 'os-getSerialConsole': { type: 'serial' } })).body.console.url).toMatch(/^ws:/);
  });

  it('at 2.6 and above they are 404; an unknown action is 400', async () => {
    const gone = await action({ 'os-getVNCConsole': { type: 'novnc' } }, '2.6');
    expect(gone.status).toBe(404);
    const mks = await action({ 'os-getMKSConsole': { type: 'webmks' } });
    expect(mks.status).toBe(400);
    expect(mks.body.badRequest.message).toBe('There is no such action: os-getMKSConsole');
  });

  it('error mapping: 409 for no host, 409 for task_state on VNC, 500 for xvpvnc', async () => {
    expect((await action({ 'os-getVNCConsole': { type: 'novnc' } }, undefined, SERVER_IDS.building)).status).toBe(409);
    const busy = await action({ 'os-getVNCConsole': { type: 'novnc' } }, undefined, SERVER_IDS.migrating);
    expect(busy.status).toBe(409);
    expect(busy.body.conflictingRequest.message).toBe(
      `Cannot 'get_vnc_console' instance ${SERVER_IDS.migrating} while it is in task_state migrating`,
    );
    expect((await action({ 'os-getVNCConsole': { type: 'xvpvnc' } })).status).toBe(500);
  });
});

describe('GET /os-console-auth-tokens/{token}', () => {
  const newConsole = async (type: 'novnc' | 'spice-direct' | 'serial') => {
    const protocol = type === 'novnc' ? 'vnc' : type === 'serial' ? 'serial' : 'spice';
    const res = await console_(SERVER_IDS.web1, protocol, type, type === 'spice-direct' ? '2.99' : '2.6');
    const url = new URL(res.body.remote_console.url);
    return (
      url.searchParams.get('token') ?? new URLSearchParams((url.searchParams.get('path') ?? '').slice(1)).get('token')!
    );
  };

  it('admin at 2.31: 200 with instance_uuid, host, port, internal_access_path (no tls_port)', async () => {
    const token = await newConsole('novnc');
    const res = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${token}`, { token: admin, mv: '2.31' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.console).sort()).toEqual(['host', 'instance_uuid', 'internal_access_path', 'port']);
    expect(res.body.console.instance_uuid).toBe(SERVER_IDS.web1);
    expect(typeof res.body.console.port).toBe('number');
  });

  it('spice-direct at 2.99 adds tls_port; other types never have it', async () => {
    const direct = await newConsole('spice-direct');
    const res = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${direct}`, { token: admin, mv: '2.99' });
    expect(res.body.console.tls_port).toBe(res.body.console.port + 1);
    const at98 = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${direct}`, { token: admin, mv: '2.98' });
    expect(at98.body.console).not.toHaveProperty('tls_port');
    const serial = await newConsole('serial');
    expect(
      (await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${serial}`, { token: admin, mv: '2.99' })).body.console,
    ).not.toHaveProperty('tls_port');
  });

  it('members get 403; unknown and expired tokens 404', async () => {
    const token = await newConsole('novnc');
    const member = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${token}`, { token: demo, mv: '2.31' });
    expect(member.status).toBe(403);
    expect(member.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.",
    );
    const bogus = await call(ctx.sim, 'GET', '/v2.1/os-console-auth-tokens/not-a-token', { token: admin, mv: '2.31' });
    expect(bogus.status).toBe(404);
    expect(bogus.body.itemNotFound).toEqual({ code: 404, message: 'Token not found' });
    ctx.sim.advance(601);
    expect(
      (
        await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${token}`, {
          token: await issueToken(ctx.sim, 'admin'),
          mv: '2.31',
        })
      ).status,
    ).toBe(404);
    admin = await issueToken(ctx.sim, 'admin');
    demo = await issueToken(ctx.sim, 'demo');
  });

  it('below 2.31: a bare 400 from 2024.1; in Zed a 401 for non-RDP tokens', async () => {
    const token = await newConsole('novnc');
    const res = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${token}`, { token: admin, mv: '2.30' });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe(
      'The server could not comply with the request since it is either malformed or otherwise incorrect.',
    );
    const { Simulator } = await import('./index.js');
    const zed = await Simulator.start({ computeMaxVersion: '2.93' });
    try {
      const [d, a] = [await issueToken(zed, 'demo'), await issueToken(zed, 'admin')];
      const created = await call(zed, 'POST', `/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
        token: d,
        mv: '2.6',
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      });
      const tok = new URLSearchParams(new URL(created.body.remote_console.url).searchParams.get('path')!.slice(1)).get(
        'token',
      );
      const old = await call(zed, 'GET', `/v2.1/os-console-auth-tokens/${tok}`, { token: a, mv: '2.30' });
      expect(old.status).toBe(401);
      expect(old.body.unauthorized.message).toBe('The requested console type details are not accessible');
      // keystonemiddleware adds its challenge to Nova's own 401 on the way out.
      expect(old.headers.get('www-authenticate')).toBe(`Keystone uri="${zed.authUrl}"`);
    } finally {
      await zed.stop();
    }
  });

  it('from 2.99 a query string is 400', async () => {
    const token = await newConsole('novnc');
    const res = await call(ctx.sim, 'GET', `/v2.1/os-console-auth-tokens/${token}?x=1`, { token: admin, mv: '2.99' });
    expect(res.status).toBe(400);
  });
});

describe('RegionTwo: catalog URLs ending in /v2.1/<project_id>', () => {
  const r2 = () => `${ctx.sim.url}/r2/compute`;

  it("works with the token's project id and lists RegionTwo's own servers", async () => {
    const res = await call(ctx.sim, 'GET', `/v2.1/${PROJECT_IDS.demo}/servers`, { token: demo, base: r2() });
    expect(res.status).toBe(200);
    expect(res.body.servers.map((s: any) => s.name)).toEqual(['r2-vm']);
    expect(res.body.servers[0].links[0].href).toBe(`${r2()}/v2.1/${PROJECT_IDS.demo}/servers/${SERVER_IDS.r2}`);
    const rc = await call(ctx.sim, 'POST', `/v2.1/${PROJECT_IDS.demo}/servers/${SERVER_IDS.r2}/remote-consoles`, {
      token: demo,
      base: r2(),
      mv: '2.6',
      body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    expect(rc.status).toBe(200);
  });

  it('another project\'s id in the URL is 400 "Malformed request URL"', async () => {
    const res = await call(ctx.sim, 'GET', `/v2.1/${PROJECT_IDS.other}/servers`, { token: demo, base: r2() });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe(
      `Malformed request URL: URL's project_id '${PROJECT_IDS.other}' doesn't match Context's project_id '${PROJECT_IDS.demo}'`,
    );
  });

  it('the request log records region and interface', async () => {
    ctx.sim.clearLog();
    await call(ctx.sim, 'GET', `/v2.1/${PROJECT_IDS.demo}/servers`, { token: demo, base: r2() });
    await call(ctx.sim, 'GET', '/v2.1/servers', { token: demo, base: `${ctx.sim.url}/compute-internal` });
    expect(ctx.sim.requests('compute').map((e) => `${e.region}/${e.interface}`)).toEqual([
      'RegionTwo/public',
      'RegionOne/internal',
    ]);
  });
});
