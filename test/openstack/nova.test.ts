/**
 * Real Nova 26 (Zed, max microversion 2.93, fake virt driver): version discovery,
 * microversion negotiation, server lookup and every console call osconsole makes,
 * with raw HTTP. Recorded as test/fixtures/real/nova-*.json when
 * OSCONSOLE_RECORD_FIXTURES=1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Exchange, RecordSpec } from './realcloud.js';
import { consoleOutputSuite } from './console-output-suite.js';
import { call, describeReal, novaRoot, tokenFor } from './realcloud.js';

type Json = any;

const JSON_CT = 'application/json';
const FAULT_CT = 'application/json; charset=UTF-8';
const UNAUTHENTICATED = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

/** The console token inside a console URL (novnc hides it in path=%3Ftoken%3D...). */
function consoleToken(url: string): string {
  const m = decodeURIComponent(url).match(/token=([0-9a-f-]{36})/);
  if (!m?.[1]) throw new Error(`no token in ${url}`);
  return m[1];
}

function expectVersionHeaders(r: Exchange, v: string): void {
  expect(r.headers.get('openstack-api-version')).toBe(`compute ${v}`);
  expect(r.headers.get('x-openstack-nova-api-version')).toBe(v);
  expect(r.headers.get('vary')).toBe('OpenStack-API-Version, X-OpenStack-Nova-API-Version');
}

function expectNoVersionHeaders(r: Exchange): void {
  expect(r.headers.get('openstack-api-version')).toBeNull();
  expect(r.headers.get('x-openstack-nova-api-version')).toBeNull();
  expect(r.headers.get('vary')).toBeNull();
}

describeReal('real Nova', (f) => {
  const root = novaRoot(f);
  const v21 = f.compute_url;
  const server = f.server.server_id;
  let demo = '';
  let admin = '';
  let reader = '';

  beforeAll(async () => {
    demo = await tokenFor(f, 'demo');
    admin = await tokenFor(f, 'admin');
    reader = await tokenFor(f, 'reader');
  });

  describe('version discovery and microversions', () => {
    it('GET / (no token): 200 versions list, v2.1 CURRENT with version 2.93, v2.0 SUPPORTED', async () => {
      const r = await call(
        `${root}/`,
        {},
        { name: 'nova-root', description: 'nova GET / without a token: 200 {versions}' },
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expectNoVersionHeaders(r);
      const byId = Object.fromEntries(r.json.versions.map((v: Json) => [v.id, v]));
      expect(byId['v2.1']).toEqual({
        id: 'v2.1',
        status: 'CURRENT',
        version: '2.93',
        min_version: '2.1',
        updated: '2013-07-23T11:33:21Z',
        links: [{ rel: 'self', href: `${root}/v2.1/` }],
      });
      expect(byId['v2.0']).toMatchObject({ status: 'SUPPORTED', version: '', min_version: '' });
    });

    it('GET /v2.1/ (no token): 200 single version document, with version headers at 2.1', async () => {
      const r = await call(
        `${v21}/`,
        {},
        { name: 'nova-v21', description: 'nova GET /v2.1/ without a token: 200 {version}' },
      );
      expect(r.status).toBe(200);
      expect(r.json.version).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1' });
      expect(r.json.version['media-types']).toEqual([
        { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
      ]);
      expectVersionHeaders(r, '2.1');
    });

    it('GET /v2.1 (no trailing slash) is the same document', async () => {
      const r = await call(v21);
      expect(r.status).toBe(200);
      expect(r.json.version.version).toBe('2.93');
    });

    it('microversion "latest" is echoed as the concrete maximum', async () => {
      const r = await call(`${v21}/servers`, { token: demo, microversion: 'compute latest' });
      expect(r.status).toBe(200);
      expectVersionHeaders(r, '2.93');
    });

    it('no microversion header means 2.1', async () => {
      const r = await call(`${v21}/servers`, { token: demo });
      expectVersionHeaders(r, '2.1');
    });

    it('the legacy X-OpenStack-Nova-API-Version request header is honoured', async () => {
      const r = await call(`${v21}/servers`, { token: demo, headers: { 'X-OpenStack-Nova-API-Version': '2.60' } });
      expectVersionHeaders(r, '2.60');
    });

    it('out-of-range microversion 2.200: 406 computeFault, version headers echo 2.200', async () => {
      const r = await call(
        `${v21}/servers`,
        { token: demo, microversion: 'compute 2.200' },
        {
          name: 'nova-microversion-406',
          description: 'OpenStack-API-Version: compute 2.200 (above max): 406',
          as: 'demo',
        },
      );
      expect(r.status).toBe(406);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expectVersionHeaders(r, '2.200');
      expect(r.json).toEqual({
        computeFault: {
          code: 406,
          message: 'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
        },
      });
    });

    it('below the minimum (2.0): 406 too', async () => {
      const r = await call(`${v21}/servers`, { token: demo, microversion: 'compute 2.0' });
      expect(r.status).toBe(406);
      expect(r.json.computeFault.message).toBe(
        'Version 2.0 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
      );
    });

    it('malformed microversion 2.06: 400 badRequest, no version headers', async () => {
      const r = await call(
        `${v21}/servers`,
        { token: demo, microversion: 'compute 2.06' },
        {
          name: 'nova-microversion-malformed-400',
          description: 'OpenStack-API-Version: compute 2.06 (leading zero): 400',
          as: 'demo',
        },
      );
      expect(r.status).toBe(400);
      expectNoVersionHeaders(r);
      expect(r.json).toEqual({
        badRequest: {
          code: 400,
          message: 'API Version String 2.06 is of invalid format. Must be of format MajorNum.MinorNum.',
        },
      });
    });

    it('"compute 2.latest" is malformed too: 400', async () => {
      const r = await call(`${v21}/servers`, { token: demo, microversion: 'compute 2.latest' });
      expect(r.status).toBe(400);
      expect(r.json.badRequest.message).toBe(
        'API Version String 2.latest is of invalid format. Must be of format MajorNum.MinorNum.',
      );
    });
  });

  describe('authentication and servers', () => {
    it('GET /servers without a token: 401 from keystonemiddleware (keystone-style body), WWW-Authenticate', async () => {
      const r = await call(
        `${v21}/servers`,
        {},
        {
          name: 'nova-servers-no-token-401',
          description: 'nova GET /v2.1/servers without X-Auth-Token: 401 (keystonemiddleware)',
        },
      );
      expect(r.status).toBe(401);
      expect(r.json).toEqual(UNAUTHENTICATED);
      expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${f.auth_url}"`);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expect(r.headers.get('x-openstack-request-id')).toMatch(/^req-/);
      expect(r.headers.get('x-compute-request-id')).toMatch(/^req-/);
      expectNoVersionHeaders(r);
    });

    it('GET /servers with a garbage token: the same 401', async () => {
      const r = await call(
        `${v21}/servers`,
        { token: 'gAAAAABnot-a-real-token' },
        {
          name: 'nova-servers-bad-token-401',
          description: 'nova GET /v2.1/servers with an invalid token: 401',
          as: 'garbage',
        },
      );
      expect(r.status).toBe(401);
      expect(r.json).toEqual(UNAUTHENTICATED);
    });

    for (const mv of ['2.1', '2.93']) {
      it(`GET /servers and /servers/detail at ${mv}`, async () => {
        const list = await call(
          `${v21}/servers`,
          { token: demo, microversion: `compute ${mv}` },
          { name: `nova-servers-list-${mv}`, description: `GET /v2.1/servers at ${mv}`, as: 'demo' },
        );
        expect(list.status).toBe(200);
        expect(list.headers.get('content-type')).toBe(JSON_CT);
        expectVersionHeaders(list, mv);
        expect(list.json.servers).toHaveLength(1);
        expect(list.json.servers[0]).toEqual({
          id: server,
          name: 'demo-vm',
          links: [
            { rel: 'self', href: `${v21}/servers/${server}` },
            { rel: 'bookmark', href: `${root}/servers/${server}` },
          ],
        });
        const detail = await call(
          `${v21}/servers/detail`,
          { token: demo, microversion: `compute ${mv}` },
          { name: `nova-servers-detail-${mv}`, description: `GET /v2.1/servers/detail at ${mv}`, as: 'demo' },
        );
        expect(detail.status).toBe(200);
        const s = detail.json.servers[0];
        expect(s).toMatchObject({
          id: server,
          name: 'demo-vm',
          status: 'ACTIVE',
          tenant_id: f.projects.demo,
          user_id: f.users.demo.id,
        });
        if (mv === '2.1') {
          expect(s.flavor).toEqual({ id: '1', links: [{ rel: 'bookmark', href: `${root}/flavors/1` }] });
        } else {
          expect(s.flavor).toMatchObject({ original_name: 'm1.tiny', vcpus: 1, ram: 64, disk: 1 });
          expect(s.locked).toBe(false);
        }
      });
    }

    it('GET /servers/{id} at 2.93', async () => {
      const r = await call(
        `${v21}/servers/${server}`,
        { token: demo, microversion: 'compute 2.93' },
        { name: 'nova-server-show-2.93', description: 'GET /v2.1/servers/{id} at 2.93', as: 'demo' },
      );
      expect(r.status).toBe(200);
      expect(r.json.server).toMatchObject({ id: server, name: 'demo-vm', status: 'ACTIVE' });
    });

    it('GET /servers?name=demo is an unanchored regex filter (matches demo-vm)', async () => {
      const r = await call(
        `${v21}/servers?name=demo`,
        { token: demo },
        {
          name: 'nova-servers-name-filter',
          description: 'GET /v2.1/servers?name=demo (regex, unanchored): matches demo-vm',
          as: 'demo',
        },
      );
      expect(r.status).toBe(200);
      expect(r.json.servers.map((s: Json) => s.name)).toEqual(['demo-vm']);
      const anchored = await call(`${v21}/servers?name=${encodeURIComponent('^demo$')}`, { token: demo });
      expect(anchored.json.servers).toEqual([]);
      const exact = await call(`${v21}/servers?name=${encodeURIComponent('^demo-vm$')}`, { token: demo });
      expect(exact.json.servers).toHaveLength(1);
      // case-insensitive on MySQL/MariaDB (REGEXP follows the column's _ci collation), as on
      // real clouds; sqlite's REGEXP (oslo.db's, Python's re) would not match. Either way,
      // osconsole compares names exactly after the list (src/core/servers.ts).
      const upper = await call(`${v21}/servers?name=DEMO`, { token: demo });
      expect(upper.json.servers.map((s: Json) => s.name)).toEqual(['demo-vm']);
    });

    it('GET /servers?name=[ (invalid regex): 400', async () => {
      const r = await call(
        `${v21}/servers?name=${encodeURIComponent('[')}`,
        { token: demo },
        { name: 'nova-servers-name-bad-regex', description: 'GET /v2.1/servers?name=[ : 400', as: 'demo' },
      );
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        badRequest: { code: 400, message: "Invalid input for query parameters name. Value: [. '[' is not a 'regex'" },
      });
    });

    it('GET /servers/{unknown uuid}: 404 itemNotFound; a server NAME in place of the id: 404 too', async () => {
      const bogus = '00000000-0000-4000-8000-000000000000';
      const r = await call(
        `${v21}/servers/${bogus}`,
        { token: demo },
        {
          name: 'nova-server-404',
          description: 'GET /v2.1/servers/{unknown id}: 404',
          as: 'demo',
          replace: { [bogus]: '<unknown_server_id>' },
        },
      );
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${bogus} could not be found.` } });
      const byName = await call(`${v21}/servers/demo-vm`, { token: demo });
      expect(byName.status).toBe(404);
      expect(byName.json.itemNotFound.message).toBe('Instance demo-vm could not be found.');
    });

    it("admin (project admin) does not see demo's server in its list, all_tenants is admin-only", async () => {
      const a = await call(`${v21}/servers`, { token: admin });
      expect(a.json.servers).toEqual([]);
      const all = await call(`${v21}/servers?all_tenants=1`, { token: admin });
      expect(all.json.servers.map((s: Json) => s.id)).toContain(server);
      const m = await call(
        `${v21}/servers?all_tenants=1`,
        { token: demo },
        {
          name: 'nova-servers-all-tenants-403',
          description: 'GET /v2.1/servers?all_tenants=1 as a member: 403',
          as: 'demo',
        },
      );
      expect(m.status).toBe(403);
      expect(m.json).toEqual({
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.",
        },
      });
    });

    it('a reader (role reader only) can list servers (Zed: legacy admin_or_owner rules still apply)', async () => {
      const r = await call(`${v21}/servers`, { token: reader });
      expect(r.status).toBe(200);
      expect(r.json.servers).toHaveLength(1);
    });

    it('RegionTwo: the catalog URL /v2.1/<project_id> works for that project', async () => {
      const r2 = `${v21}/${f.projects.demo}`;
      const r = await call(
        `${r2}/servers`,
        { token: demo },
        {
          name: 'nova-servers-project-url',
          description: 'GET /v2.1/{project_id}/servers (RegionTwo-style URL): 200, links keep the project id',
          as: 'demo',
        },
      );
      expect(r.status).toBe(200);
      expect(r.json.servers[0].links[0].href).toBe(`${r2}/servers/${server}`);
      const c = await call(`${r2}/servers/${server}/remote-consoles`, {
        token: demo,
        microversion: 'compute 2.6',
        body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
      });
      expect(c.status).toBe(200);
    });

    it('GET <RegionTwo catalog URL>/ (trailing slash, token): the v2.1 version document', async () => {
      const r = await call(
        `${v21}/${f.projects.demo}/`,
        { token: demo },
        {
          name: 'nova-project-url-version',
          description: 'GET /v2.1/{project_id}/ with a token: 200 {version}',
          as: 'demo',
        },
      );
      expect(r.status).toBe(200);
      expect(r.json.version).toMatchObject({ id: 'v2.1', version: '2.93', min_version: '2.1' });
      expectVersionHeaders(r, '2.1');
    });

    it('GET <RegionTwo catalog URL> exactly (no trailing slash): 404, a webob body (not the nova fault shape)', async () => {
      const r = await call(
        `${v21}/${f.projects.demo}`,
        { token: demo },
        {
          name: 'nova-project-url-no-slash-404',
          description: 'GET /v2.1/{project_id} (no slash) with a token, Accept: application/json: 404 webob JSON',
          as: 'demo',
        },
      );
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expectNoVersionHeaders(r);
      expect(r.json).toEqual({
        message: 'The resource could not be found.<br /><br />\n\n\n',
        code: '404 Not Found',
        title: 'Not Found',
      });
      // without Accept: application/json the same 404 is an HTML page
      const html = await call(`${v21}/${f.projects.demo}`, { token: demo, headers: { Accept: '*/*' } });
      expect(html.status).toBe(404);
      expect(html.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(html.text).toContain('<title>404 Not Found</title>');
    });

    it('GET /v3 on nova (an unknown version): 300 {choices}', async () => {
      const r = await call(
        `${root}/v3`,
        {},
        { name: 'nova-unknown-version-300', description: 'nova GET /v3 (no such version): 300 {choices}' },
      );
      expect(r.status).toBe(300);
      expect(r.json.choices.map((c: Json) => c.id)).toEqual(['v2.0', 'v2.1']);
    });

    it("a /v2.1/<project_id> URL with another project's id: 400 Malformed request URL", async () => {
      const r = await call(
        `${v21}/${f.projects.admin}/servers`,
        { token: demo },
        {
          name: 'nova-servers-project-url-mismatch',
          description: 'GET /v2.1/{other project id}/servers: 400',
          as: 'demo',
        },
      );
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        badRequest: {
          code: 400,
          message: `Malformed request URL: URL's project_id '${f.projects.admin}' doesn't match Context's project_id '${f.projects.demo}'`,
        },
      });
    });
  });

  describe('remote consoles (POST /servers/{id}/remote-consoles)', () => {
    const rc = (
      protocol: string,
      type: string,
      mv: string,
      rec?: Omit<RecordSpec, 'replace'>,
      token?: string,
    ): Promise<Exchange> =>
      call(
        `${v21}/servers/${server}/remote-consoles`,
        { token: token ?? demo, microversion: `compute ${mv}`, body: { remote_console: { protocol, type } } },
        rec,
      );

    const ok: Array<[string, string, string, RegExp]> = [
      ['vnc', 'novnc', '2.6', /^http:\/\/127\.0\.0\.1:15608\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]{36}$/],
      ['spice', 'spice-html5', '2.6', /^http:\/\/127\.0\.0\.1:15609\/spice_auto\.html\?token=[0-9a-f-]{36}$/],
      ['serial', 'serial', '2.6', /^ws:\/\/127\.0\.0\.1:15610\/\?token=[0-9a-f-]{36}$/],
      ['rdp', 'rdp-html5', '2.6', /^http:\/\/127\.0\.0\.1:15612\/\?token=[0-9a-f-]{36}$/],
      ['mks', 'webmks', '2.8', /^http:\/\/127\.0\.0\.1:15611\/\?token=[0-9a-f-]{36}$/],
    ];
    for (const [protocol, type, mv, urlRe] of ok) {
      it(`${protocol}/${type} at ${mv}: 200 {remote_console: {protocol, type, url}}`, async () => {
        const r = await consoleCall(
          protocol,
          type,
          mv,
          `nova-remote-console-${type}`,
          `POST remote-consoles ${protocol}/${type} at ${mv}: 200`,
        );
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe(JSON_CT);
        expectVersionHeaders(r, mv);
        expect(Object.keys(r.json)).toEqual(['remote_console']);
        expect(r.json.remote_console).toEqual({ protocol, type, url: expect.stringMatching(urlRe) });
      });
    }

    it('the same call at the maximum microversion 2.93 works', async () => {
      const r = await rc('vnc', 'novnc', '2.93');
      expect(r.status).toBe(200);
      expectVersionHeaders(r, '2.93');
    });

    it('mks/webmks below 2.8: 400 schema error (protocol enum)', async () => {
      const r = await consoleCall(
        'mks',
        'webmks',
        '2.6',
        'nova-remote-console-webmks-2.6-400',
        'POST remote-consoles mks/webmks at 2.6: 400',
      );
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        badRequest: {
          code: 400,
          message:
            "Invalid input for field/attribute protocol. Value: mks. 'mks' is not one of ['vnc', 'spice', 'rdp', 'serial']",
        },
      });
    });

    it('vnc/xvpvnc: 400 Invalid console type xvpvnc (from nova-compute)', async () => {
      const r = await consoleCall(
        'vnc',
        'xvpvnc',
        '2.6',
        'nova-remote-console-xvpvnc-400',
        'POST remote-consoles vnc/xvpvnc at 2.6: 400',
      );
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expectVersionHeaders(r, '2.6');
      expect(r.json).toEqual({ badRequest: { code: 400, message: 'Invalid console type xvpvnc' } });
    });

    it('vnc/spice-html5 (protocol/type mismatch): 400 Invalid console type spice-html5', async () => {
      const r = await consoleCall(
        'vnc',
        'spice-html5',
        '2.6',
        'nova-remote-console-mismatch-400',
        'POST remote-consoles vnc/spice-html5: 400',
      );
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message: 'Invalid console type spice-html5' } });
    });

    it('serial/novnc is NOT rejected: 200, and the URL takes the novnc token form', async () => {
      const r = await consoleCall(
        'serial',
        'novnc',
        '2.6',
        'nova-remote-console-serial-novnc-quirk',
        'POST remote-consoles serial/novnc: 200 (no type check for serial)',
      );
      expect(r.status).toBe(200);
      expect(r.json.remote_console).toEqual({
        protocol: 'serial',
        type: 'novnc',
        url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:15610\/\?path=%3Ftoken%3D/),
      });
    });

    it('spice/spice-direct in Zed (max 2.93): 400 schema error', async () => {
      const r = await rc('spice', 'spice-direct', '2.93');
      expect(r.status).toBe(400);
      expect(r.json.badRequest.message).toBe(
        "Invalid input for field/attribute type. Value: spice-direct. 'spice-direct' is not one of ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks']",
      );
    });

    it('at microversion 2.5 (before remote-consoles existed): 404 itemNotFound', async () => {
      const r = await consoleCall(
        'vnc',
        'novnc',
        '2.5',
        'nova-remote-console-2.5-404',
        'POST remote-consoles at 2.5: 404',
      );
      expect(r.status).toBe(404);
      expectVersionHeaders(r, '2.5');
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    });

    it('unknown server: 404 Instance ... could not be found.', async () => {
      const bogus = '00000000-0000-4000-8000-000000000000';
      const r = await call(
        `${v21}/servers/${bogus}/remote-consoles`,
        { token: demo, microversion: 'compute 2.6', body: { remote_console: { protocol: 'vnc', type: 'novnc' } } },
        {
          name: 'nova-remote-console-server-404',
          description: 'POST remote-consoles for an unknown server id: 404',
          as: 'demo',
          replace: { [bogus]: '<unknown_server_id>' },
        },
      );
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${bogus} could not be found.` } });
    });

    it('a reader gets a console too in Zed (legacy rule admin_or_owner, enforce_new_defaults=false)', async () => {
      const r = await consoleCall(
        'vnc',
        'novnc',
        '2.6',
        'nova-remote-console-reader',
        'POST remote-consoles as a reader-only user: 200 in Zed defaults',
        reader,
      );
      expect(r.status).toBe(200);
    });

    it("admin can get a console for another project's server by id", async () => {
      const r = await rc('vnc', 'novnc', '2.6', undefined, admin);
      expect(r.status).toBe(200);
    });

    it('no body key remote_console: 400 schema error', async () => {
      const r = await call(`${v21}/servers/${server}/remote-consoles`, {
        token: demo,
        microversion: 'compute 2.6',
        body: { console: { protocol: 'vnc', type: 'novnc' } },
      });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message: "'remote_console' is a required property" } });
    });

    /** POST remote-consoles once, recorded (the recorder masks the URL's console token). */
    function consoleCall(
      protocol: string,
      type: string,
      mv: string,
      name: string,
      description: string,
      token?: string,
    ): Promise<Exchange> {
      const as = token === reader ? 'reader' : token === admin ? 'admin' : 'demo';
      return rc(protocol, type, mv, { name, description, as }, token);
    }
  });

  describe('legacy console actions (POST /servers/{id}/action)', () => {
    const action = (body: unknown, mv?: string, rec?: RecordSpec): Promise<Exchange> =>
      call(
        `${v21}/servers/${server}/action`,
        { token: demo, ...(mv ? { microversion: `compute ${mv}` } : {}), body },
        rec,
      );

    it('os-getVNCConsole novnc at 2.1 (no header): 200 {console: {type, url}}', async () => {
      const r = await action({ 'os-getVNCConsole': { type: 'novnc' } }, undefined, {
        name: 'nova-action-getvncconsole',
        description: 'legacy os-getVNCConsole at 2.1: 200',
        as: 'demo',
      });
      expect(r.status).toBe(200);
      expectVersionHeaders(r, '2.1');
      expect(r.json).toEqual({
        console: {
          type: 'novnc',
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:15608\/vnc_auto\.html\?path=%3Ftoken%3D/),
        },
      });
    });

    it('os-getSerialConsole at 2.1: 200', async () => {
      const r = await action({ 'os-getSerialConsole': { type: 'serial' } }, '2.1', {
        name: 'nova-action-getserialconsole',
        description: 'legacy os-getSerialConsole at 2.1: 200',
        as: 'demo',
      });
      expect(r.status).toBe(200);
      expect(r.json.console).toEqual({
        type: 'serial',
        url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:15610\/\?token=/),
      });
    });

    it('os-getVNCConsole at 2.6: 404 (the legacy actions stop at 2.5)', async () => {
      const r = await action({ 'os-getVNCConsole': { type: 'novnc' } }, '2.6', {
        name: 'nova-action-getvncconsole-2.6-404',
        description: 'legacy os-getVNCConsole at 2.6: 404',
        as: 'demo',
      });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    });

    it('os-getVNCConsole xvpvnc at 2.1: 500 computeFault (ConsoleTypeInvalid is not caught)', async () => {
      const r = await action({ 'os-getVNCConsole': { type: 'xvpvnc' } }, '2.1', {
        name: 'nova-action-getvncconsole-xvpvnc-500',
        description: 'legacy os-getVNCConsole xvpvnc at 2.1: 500',
        as: 'demo',
      });
      expect(r.status).toBe(500);
      expect(r.json.computeFault.code).toBe(500);
      expect(r.json.computeFault.message).toMatch(
        /^Unexpected API Error\. Please report this at http:\/\/bugs\.launchpad\.net\/nova\/ and attach the Nova API log if possible\.\n<class 'nova\.exception_Remote\.ConsoleTypeInvalid_Remote'>$/,
      );
    });

    it('os-getMKSConsole never existed: 400 There is no such action', async () => {
      const r = await action({ 'os-getMKSConsole': { type: 'webmks' } }, '2.1');
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message: 'There is no such action: os-getMKSConsole' } });
    });
  });

  consoleOutputSuite({
    v21,
    server,
    tokens: () => ({ demo, reader, admin }),
    imageId: f.server.image_id,
    flavorId: f.server.flavor_id,
    prefix: '',
    readerStatus: 200,
  });

  describe('os-console-auth-tokens', () => {
    const tokenOf = async (protocol: string, type: string, mv = '2.8'): Promise<string> => {
      const r = await call(`${v21}/servers/${server}/remote-consoles`, {
        token: demo,
        microversion: `compute ${mv}`,
        body: { remote_console: { protocol, type } },
      });
      expect(r.status).toBe(200);
      return consoleToken(r.json.remote_console.url);
    };
    const lookup = (tok: string, as: string, mv: string, rec?: Omit<RecordSpec, 'replace'>): Promise<Exchange> =>
      call(
        `${v21}/os-console-auth-tokens/${tok}`,
        { token: as, microversion: `compute ${mv}` },
        rec ? { ...rec, replace: { [tok]: '<console_token>' } } : undefined,
      );

    it('admin at 2.31 for a novnc token: 200 {console: {instance_uuid, host, port, internal_access_path}}', async () => {
      const tok = await tokenOf('vnc', 'novnc');
      const r = await lookup(tok, admin, '2.31', {
        name: 'nova-console-auth-token-200',
        description: 'GET os-console-auth-tokens/{novnc token} as admin at 2.31: 200',
        as: 'admin',
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expectVersionHeaders(r, '2.31');
      // the tier's driver answers its Xvnc (test/realcloud/serial/osconsole_serial.py
      // get_vnc_console: [vnc] server_proxyclient_address, no internal_access_path)
      expect(r.json).toEqual({
        console: { instance_uuid: server, host: '127.0.0.1', port: f.vnc?.port, internal_access_path: null },
      });
    });

    // serial: the tier's driver (test/realcloud/serial/osconsole_serial.py) answers the serial
    // guest's address, like libvirt's TCP chardev, with no internal_access_path
    for (const [protocol, type, host, port, path] of [
      ['spice', 'spice-html5', 'fakespiceconsole.com', 6969, 'FAKE'],
      ['serial', 'serial', '127.0.0.1', 15620, null],
      ['mks', 'webmks', 'fakemksconsole.com', 6969, 'FAKE'],
      ['rdp', 'rdp-html5', 'fakerdpconsole.com', 6969, 'FAKE'],
    ] as const) {
      it(`admin at 2.31 for a ${type} token: 200 (driver host ${host}:${port})`, async () => {
        const tok = await tokenOf(protocol, type);
        const r = await lookup(tok, admin, '2.31', {
          name: `nova-console-auth-token-${type}-200`,
          description: `GET os-console-auth-tokens/{${type} token} as admin at 2.31: 200`,
          as: 'admin',
        });
        expect(r.status).toBe(200);
        expect(r.json.console).toEqual({ instance_uuid: server, host, port, internal_access_path: path });
      });
    }

    it('below 2.31 a novnc token: 401 unauthorized "not accessible" — with WWW-Authenticate added by keystonemiddleware', async () => {
      const tok = await tokenOf('vnc', 'novnc');
      const r = await lookup(tok, admin, '2.30', {
        name: 'nova-console-auth-token-2.30-401',
        description: 'GET os-console-auth-tokens/{novnc token} as admin at 2.30: 401',
        as: 'admin',
      });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${f.auth_url}"`);
      expectVersionHeaders(r, '2.30');
      expect(r.json).toEqual({
        unauthorized: { code: 401, message: 'The requested console type details are not accessible' },
      });
    });

    it('below 2.31 an rdp-html5 token: 200 (the only type allowed there in Zed)', async () => {
      const tok = await tokenOf('rdp', 'rdp-html5');
      const r = await lookup(tok, admin, '2.1', {
        name: 'nova-console-auth-token-rdp-2.1-200',
        description: 'GET os-console-auth-tokens/{rdp-html5 token} as admin at 2.1: 200',
        as: 'admin',
      });
      expect(r.status).toBe(200);
      expect(r.json.console.host).toBe('fakerdpconsole.com');
    });

    it('member: 403 forbidden (policy is checked before the token lookup)', async () => {
      const tok = await tokenOf('vnc', 'novnc');
      const r = await lookup(tok, demo, '2.31', {
        name: 'nova-console-auth-token-member-403',
        description: 'GET os-console-auth-tokens/{token} as a member at 2.31: 403',
        as: 'demo',
      });
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expectVersionHeaders(r, '2.31');
      expect(r.json).toEqual({
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.",
        },
      });
      const bogus = await lookup('bogus', demo, '2.31');
      expect(bogus.status).toBe(403);
      const rdr = await lookup(tok, reader, '2.31');
      expect(rdr.status).toBe(403);
    });

    it('admin, unknown token: 404 Token not found (any microversion)', async () => {
      const tok = '11111111-2222-4333-8444-555555555555';
      const r = await lookup(tok, admin, '2.31', {
        name: 'nova-console-auth-token-404',
        description: 'GET os-console-auth-tokens/{unknown token} as admin at 2.31: 404',
        as: 'admin',
      });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });
      const old = await lookup('not-a-uuid', admin, '2.1');
      expect(old.status).toBe(404);
    });

    it('the URL token stays valid: two lookups of the same token both answer 200', async () => {
      const tok = await tokenOf('serial', 'serial');
      expect((await lookup(tok, admin, '2.31')).status).toBe(200);
      expect((await lookup(tok, admin, '2.31')).status).toBe(200);
    });
  });
});
