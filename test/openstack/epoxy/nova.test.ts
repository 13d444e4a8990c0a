/**
 * Real Nova 31 (OpenStack 2025.1 Epoxy, compute API up to 2.100, fake virt driver) with raw
 * HTTP: what it answers for spice-direct (2.99) and the other consoles osconsole asks for,
 * and for os-console-auth-tokens at 2.98 / 2.99. Recorded as test/fixtures/real/epoxy/*.json
 * when OSCONSOLE_RECORD_FIXTURES=1 (replayed against the simulator by
 * test/sim/reality-epoxy.test.ts).
 *
 * Upstream facts pinned here (nova 31.0.0): the remote-consoles schema create_v299 adds
 * 'spice-direct' (nova/api/openstack/compute/schemas/remote_consoles.py); the URL is
 * [spice] spice_direct_proxy_base_url + '?token=' (nova/compute/manager.py
 * get_spice_console); os-console-auth-tokens adds tls_port from 2.99 for spice-direct
 * tokens (nova/api/openstack/compute/console_auth_tokens.py); release policy defaults
 * (enforce_new_defaults/enforce_scope true in 2025.1, nova/policies/).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Exchange, RecordSpec } from '../realcloud.js';
import { consoleOutputSuite } from '../console-output-suite.js';
import { call, describeReal, novaRoot, tokenFor } from '../realcloud.js';
import { UUID, consoleToken, escapeRe, novaConf } from './epoxy.js';

type Json = any;

const JSON_CT = 'application/json';
const FAULT_CT = 'application/json; charset=UTF-8';

function expectVersionHeaders(r: Exchange, v: string): void {
  expect(r.headers.get('openstack-api-version')).toBe(`compute ${v}`);
  expect(r.headers.get('x-openstack-nova-api-version')).toBe(v);
  expect(r.headers.get('vary')).toBe('OpenStack-API-Version, X-OpenStack-Nova-API-Version');
}

describeReal('real Nova 31 (Epoxy)', (f) => {
  const root = novaRoot(f);
  const v21 = f.compute_url;
  const server = f.server.server_id;
  const spiceDirectBase = novaConf(f.state_dir, 'spice', 'spice_direct_proxy_base_url');
  let demo = '';
  let admin = '';
  let reader = '';

  beforeAll(async () => {
    demo = await tokenFor(f, 'demo');
    admin = await tokenFor(f, 'admin');
    reader = await tokenFor(f, 'reader');
  });

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

  describe('version discovery', () => {
    it('GET /: v2.1 CURRENT, min 2.1, max 2.100 (above the 2.99 osconsole caps at)', async () => {
      const r = await call(`${root}/`, {}, { name: 'epoxy/nova-root', description: 'nova GET / without a token: 200' });
      expect(r.status).toBe(200);
      const v = r.json.versions.find((x: Json) => x.id === 'v2.1');
      expect(v).toMatchObject({ status: 'CURRENT', version: '2.100', min_version: '2.1' });
    });

    it('"compute latest" is echoed as 2.100', async () => {
      const r = await call(`${v21}/servers`, { token: demo, microversion: 'compute latest' });
      expect(r.status).toBe(200);
      expectVersionHeaders(r, '2.100');
    });

    it('2.101: 406 with the range in the message', async () => {
      const r = await call(
        `${v21}/servers`,
        { token: demo, microversion: 'compute 2.101' },
        { name: 'epoxy/nova-microversion-406', description: 'compute 2.101 (above max): 406', as: 'demo' },
      );
      expect(r.status).toBe(406);
      expect(r.json).toEqual({
        computeFault: {
          code: 406,
          message: 'Version 2.101 is not supported by the API. Minimum is 2.1 and maximum is 2.100.',
        },
      });
    });

    it('GET /servers/{id} at 2.99 (the version osconsole sends)', async () => {
      const r = await call(
        `${v21}/servers/${server}`,
        { token: demo, microversion: 'compute 2.99' },
        { name: 'epoxy/nova-server-show-2.99', description: 'GET /servers/{id} at 2.99: 200', as: 'demo' },
      );
      expect(r.status).toBe(200);
      expect(r.json.server).toMatchObject({ id: server, name: f.server.server_name, status: 'ACTIVE' });
    });

    it('GET /servers?name= at 2.99 (the name lookup osconsole makes)', async () => {
      const r = await call(
        `${v21}/servers?name=${encodeURIComponent(f.server.server_name)}`,
        { token: demo, microversion: 'compute 2.99' },
        { name: 'epoxy/nova-servers-name-filter', description: 'GET /servers?name=<name> at 2.99: 200', as: 'demo' },
      );
      expect(r.status).toBe(200);
      expect(r.json.servers.map((s: Json) => s.id)).toEqual([server]);
    });
  });

  describe('spice-direct (POST remote-consoles, 2.99)', () => {
    it('spice/spice-direct at 2.99: 200, URL = [spice] spice_direct_proxy_base_url + ?token=<uuid>', async () => {
      const r = await rc('spice', 'spice-direct', '2.99', {
        name: 'epoxy/nova-remote-console-spice-direct',
        description: 'POST remote-consoles spice/spice-direct at 2.99 as demo (member): 200',
        as: 'demo',
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expectVersionHeaders(r, '2.99');
      expect(r.json).toEqual({
        remote_console: {
          protocol: 'spice',
          type: 'spice-direct',
          url: expect.stringMatching(new RegExp(`^${escapeRe(spiceDirectBase)}\\?token=${UUID}$`)),
        },
      });
    });

    it('at 2.100 too', async () => {
      const r = await rc('spice', 'spice-direct', '2.100');
      expect(r.status).toBe(200);
      expectVersionHeaders(r, '2.100');
      expect(r.json.remote_console.type).toBe('spice-direct');
    });

    it('at 2.98: 400, the 2.8 schema does not know the type', async () => {
      const r = await rc('spice', 'spice-direct', '2.98', {
        name: 'epoxy/nova-remote-console-spice-direct-2.98-400',
        description: 'POST remote-consoles spice/spice-direct at 2.98: 400 schema',
        as: 'demo',
      });
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expectVersionHeaders(r, '2.98');
      expect(r.json.badRequest.message).toMatch(
        /^Invalid input for field\/attribute type\. Value: spice-direct\. 'spice-direct' is not one of \[/,
      );
    });

    it('vnc/spice-direct (protocol mismatch) at 2.99: 400 Invalid console type', async () => {
      const r = await rc('vnc', 'spice-direct', '2.99', {
        name: 'epoxy/nova-remote-console-mismatch-400',
        description: 'POST remote-consoles vnc/spice-direct at 2.99: 400',
        as: 'demo',
      });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message: 'Invalid console type spice-direct' } });
    });

    it('quirk: serial/spice-direct at 2.99 answers 200 with a serial URL (the serial path never checks the type)', async () => {
      const r = await rc('serial', 'spice-direct', '2.99', {
        name: 'epoxy/nova-remote-console-serial-spice-direct-quirk',
        description: 'POST remote-consoles serial/spice-direct at 2.99: 200, a ws:// serial URL',
        as: 'demo',
      });
      expect(r.status).toBe(200);
      expect(r.json.remote_console).toMatchObject({ protocol: 'serial', type: 'spice-direct' });
      expect(r.json.remote_console.url).toMatch(/^ws:\/\//);
    });
  });

  describe('the other consoles at 2.99', () => {
    const ok: Array<[string, string, string, string]> = [
      ['vnc', 'novnc', 'vnc', 'novncproxy_base_url'],
      ['spice', 'spice-html5', 'spice', 'html5proxy_base_url'],
      ['serial', 'serial', 'serial_console', 'base_url'],
      ['mks', 'webmks', 'mks', 'mksproxy_base_url'],
    ];
    for (const [protocol, type, section, key] of ok) {
      it(`${protocol}/${type}: 200, URL from [${section}] ${key}`, async () => {
        const r = await rc(protocol, type, '2.99', {
          name: `epoxy/nova-remote-console-${type}`,
          description: `POST remote-consoles ${protocol}/${type} at 2.99: 200`,
          as: 'demo',
        });
        expect(r.status).toBe(200);
        expectVersionHeaders(r, '2.99');
        const base = novaConf(f.state_dir, section, key);
        const tail = type === 'novnc' ? `\\?path=%3Ftoken%3D${UUID}` : `\\?token=${UUID}`;
        expect(r.json.remote_console).toEqual({
          protocol,
          type,
          url: expect.stringMatching(new RegExp(`^${escapeRe(base)}${tail}$`)),
        });
      });
    }

    it('vnc/xvpvnc: 400 Invalid console type xvpvnc', async () => {
      const r = await rc('vnc', 'xvpvnc', '2.99', {
        name: 'epoxy/nova-remote-console-xvpvnc-400',
        description: 'POST remote-consoles vnc/xvpvnc at 2.99: 400',
        as: 'demo',
      });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ badRequest: { code: 400, message: 'Invalid console type xvpvnc' } });
    });

    it('rdp/rdp-html5: 400 from the 2.99 schema (rdp-html5 is gone)', async () => {
      const r = await rc('rdp', 'rdp-html5', '2.99', {
        name: 'epoxy/nova-remote-console-rdp-html5-400',
        description: 'POST remote-consoles rdp/rdp-html5 at 2.99: 400 schema',
        as: 'demo',
      });
      expect(r.status).toBe(400);
      expect(r.json.badRequest.message).toMatch(/^Invalid input for field\/attribute type\. Value: rdp-html5\./);
    });

    it('quirk: protocol rdp with a valid type at 2.99 is a 500 (the schema lists rdp, nothing handles it)', async () => {
      const r = await rc('rdp', 'novnc', '2.99', {
        name: 'epoxy/nova-remote-console-rdp-novnc-500',
        description: 'POST remote-consoles rdp/novnc at 2.99: 500 (TypeError in nova-api)',
        as: 'demo',
      });
      expect(r.status).toBe(500);
      expect(r.json.computeFault.code).toBe(500);
      expect(r.json.computeFault.message).toMatch(/Unexpected API Error/);
    });

    it('at 2.5 (before remote-consoles): 404', async () => {
      const r = await rc('vnc', 'novnc', '2.5', {
        name: 'epoxy/nova-remote-console-2.5-404',
        description: 'POST remote-consoles at 2.5: 404',
        as: 'demo',
      });
      expect(r.status).toBe(404);
    });

    it('a reader may NOT create consoles in Epoxy (release policy defaults): 403', async () => {
      const r = await rc(
        'vnc',
        'novnc',
        '2.99',
        { name: 'epoxy/nova-remote-console-reader-403', description: 'remote-consoles as a reader: 403', as: 'reader' },
        reader,
      );
      expect(r.status).toBe(403);
      expect(r.json.forbidden.message).toMatch(/^Policy doesn't allow os_compute_api:os-remote-consoles/);
    });
  });

  consoleOutputSuite({
    v21,
    server,
    tokens: () => ({ demo, reader, admin }),
    imageId: f.server.image_id,
    flavorId: f.server.flavor_id,
    prefix: 'epoxy/',
    readerStatus: 403,
  });

  describe('os-console-auth-tokens', () => {
    const tokenOf = async (protocol: string, type: string): Promise<string> => {
      const r = await rc(protocol, type, '2.99');
      expect(r.status).toBe(200);
      return consoleToken(r.json.remote_console.url);
    };
    const lookup = (tok: string, as: string, mv: string, rec?: Omit<RecordSpec, 'replace'>): Promise<Exchange> =>
      call(
        `${v21}/os-console-auth-tokens/${tok}`,
        { token: as, microversion: `compute ${mv}` },
        rec ? { ...rec, replace: { [tok]: '<console_token>' } } : undefined,
      );

    it('a spice-direct token at 2.99 as admin: host, port AND tls_port; internal_access_path null', async () => {
      const tok = await tokenOf('spice', 'spice-direct');
      const r = await lookup(tok, admin, '2.99', {
        name: 'epoxy/nova-console-auth-token-spice-direct-2.99',
        description: 'GET os-console-auth-tokens/{spice-direct token} as admin at 2.99: 200 with tls_port',
        as: 'admin',
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(JSON_CT);
      expectVersionHeaders(r, '2.99');
      // the fake driver's spice console (nova/virt/fake.py get_spice_console)
      expect(r.json).toEqual({
        console: {
          instance_uuid: server,
          host: 'fakespiceconsole.com',
          port: 6969,
          internal_access_path: null,
          tls_port: 6970,
        },
      });
    });

    it('the same token at 2.98 and at 2.31: no tls_port', async () => {
      const tok = await tokenOf('spice', 'spice-direct');
      const r = await lookup(tok, admin, '2.98', {
        name: 'epoxy/nova-console-auth-token-spice-direct-2.98',
        description: 'GET os-console-auth-tokens/{spice-direct token} as admin at 2.98: 200 without tls_port',
        as: 'admin',
      });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({
        console: { instance_uuid: server, host: 'fakespiceconsole.com', port: 6969, internal_access_path: null },
      });
      const old = await lookup(tok, admin, '2.31');
      expect(old.status).toBe(200);
      expect(old.json.console).not.toHaveProperty('tls_port');
    });

    it('below 2.31: 400 (Zed answered 401 here)', async () => {
      const tok = await tokenOf('spice', 'spice-direct');
      const r = await lookup(tok, admin, '2.30', {
        name: 'epoxy/nova-console-auth-token-2.30-400',
        description: 'GET os-console-auth-tokens/{token} as admin at 2.30: 400',
        as: 'admin',
      });
      expect(r.status).toBe(400);
      expectVersionHeaders(r, '2.30');
    });

    // internal_access_path: nova 31's fake driver gives uuids.<protocol>_access_path, a
    // uuidsentinel (random per nova-compute process; Zed's gave "FAKE"), nova/virt/fake.py;
    // for spice-direct the compute manager stores null (nova/compute/manager.py get_spice_console).
    // VNC: the tier's driver answers its Xvnc, with none (test/realcloud/serial/osconsole_serial.py)
    for (const [protocol, type, host, port, path] of [
      ['vnc', 'novnc', '127.0.0.1', f.vnc?.port, null],
      ['spice', 'spice-html5', 'fakespiceconsole.com', 6969, expect.stringMatching(new RegExp(`^${UUID}$`))],
    ] as const) {
      it(`a ${type} token at 2.99: no tls_port (only spice-direct tokens carry one)`, async () => {
        const tok = await tokenOf(protocol, type);
        const r = await lookup(tok, admin, '2.99', {
          name: `epoxy/nova-console-auth-token-${type}-2.99`,
          description: `GET os-console-auth-tokens/{${type} token} as admin at 2.99: 200`,
          as: 'admin',
        });
        expect(r.status).toBe(200);
        expect(r.json).toEqual({
          console: { instance_uuid: server, host, port, internal_access_path: path },
        });
      });
    }

    it('member: 403 (admin-only policy)', async () => {
      const tok = await tokenOf('spice', 'spice-direct');
      const r = await lookup(tok, demo, '2.99', {
        name: 'epoxy/nova-console-auth-token-member-403',
        description: 'GET os-console-auth-tokens/{spice-direct token} as a member at 2.99: 403',
        as: 'demo',
      });
      expect(r.status).toBe(403);
      expect(r.headers.get('content-type')).toBe(FAULT_CT);
      expect(r.json).toEqual({
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.",
        },
      });
    });

    it('admin, unknown token: 404 Token not found', async () => {
      const r = await lookup('11111111-2222-4333-8444-555555555555', admin, '2.99', {
        name: 'epoxy/nova-console-auth-token-404',
        description: 'GET os-console-auth-tokens/{unknown token} as admin at 2.99: 404',
        as: 'admin',
      });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: 'Token not found' } });
    });
  });
});
