/**
 * The simulated noVNC proxy driven by a raw websocket client over real
 * sockets: the pages (websockify's static files), RFB through nova's security
 * proxy to a frame and recorded keys, and every broken variant `console check`
 * and `console tunnel` meet: the VNC server down or not RFB 3.8, an expired
 * token, another Origin, a refusal, handshake 400s, a text frame, the proxy
 * down. Facts: nova/console/websocketproxy.py, securityproxy/rfb.py, RFC 6143.
 */
import { describe, expect, it } from 'vitest';
import { closedPort, waitUntil } from '../helpers/attach.js';
import { ByteReader, rfbFrame, rfbHandshake } from '../helpers/rfb.js';
import { consoleUrlOf, issueToken, useSimulator } from '../helpers/sim.js';
import { openRawWebSocket } from '../helpers/ws-stream.js';
import type { RawWebSocket } from '../helpers/ws-stream.js';
import { novncWebSocketUrl } from '../../src/core/console-url.js';
import { SERVER_IDS, Simulator } from './index.js';

const ctx = useSimulator();

async function novncPage(sim = ctx.sim): Promise<string> {
  return consoleUrlOf(sim, 'vnc', 'novnc');
}

/** The websocket noVNC's page opens: page origin + "/" + its path parameter. */
async function vncSocket(o: Parameters<typeof openRawWebSocket>[1] = {}, page?: string): Promise<RawWebSocket> {
  return openRawWebSocket(novncWebSocketUrl(page ?? (await novncPage())), o);
}

/** nova's refusal after the 101: not one byte, no close frame, the TCP connection ended. */
async function expectDropAfter101(ws: RawWebSocket): Promise<void> {
  expect(ws.status).toBe(101);
  expect(await ws.ended).toMatch(/^(FIN|RST)$/);
  expect(ws.frames).toEqual([]);
  expect(ws.close).toBeUndefined();
}

async function tokenLookupStatus(page: string): Promise<number> {
  const token = new URLSearchParams(new URL(page).searchParams.get('path')!.slice(1)).get('token')!;
  const res = await fetch(`${ctx.sim.url}/compute/v2.1/os-console-auth-tokens/${token}`, {
    headers: { 'X-Auth-Token': await issueToken(ctx.sim, 'admin'), 'OpenStack-API-Version': 'compute 2.31' },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('the noVNC pages', () => {
  it("websockify's static files whatever the token: 200 for noVNC's pages, 404 File not found otherwise", async () => {
    const page = new URL(await novncPage());
    for (const file of ['vnc_lite.html', 'vnc.html', 'vnc_auto.html']) {
      for (const search of [page.search, '', '?path=%3Ftoken%3Dnot-a-token']) {
        const res = await fetch(`${ctx.sim.url}/console/novnc/${file}${search}`);
        expect([file, search, res.status], await res.text()).toEqual([file, search, 200]);
      }
    }
    const missing = await fetch(`${ctx.sim.url}/console/novnc/vnc_nope.html${page.search}`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/File not found/);
  });
});

describe('RFB through the proxy', () => {
  it("3.8, None, ServerInit with the server's name, a raw frame of four bands; keys recorded, other messages skipped", async () => {
    const ws = await vncSocket();
    expect([ws.status, ws.headers['sec-websocket-protocol']]).toEqual([101, 'binary']);
    const r = new ByteReader(ws.stream);
    const init = await rfbHandshake(r);
    expect(init).toEqual({
      banner: 'RFB 003.008\n',
      securityTypes: [1],
      width: 320,
      height: 240,
      bitsPerPixel: 32,
      name: 'web-1',
    });
    // RFC 6143 §7.5: SetPixelFormat (20), SetEncodings (4 + 4n), PointerEvent (6), KeyEvent (8), ClientCutText (8 + n).
    const setEncodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21]);
    const key = (down: number, sym: number) => Buffer.from([4, down, 0, 0, 0, 0, sym >> 8, sym & 0xff]);
    const cut = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('hi')]);
    ws.stream.write(Buffer.concat([Buffer.from([0, ...Array<number>(19).fill(0)]), setEncodings]));
    ws.stream.write(Buffer.concat([Buffer.from([5, 1, 0, 10, 0, 20]), key(1, 0x61), key(0, 0x61), cut]));
    ws.stream.write(key(1, 0xff0d));
    const pixels = await rfbFrame(r, init);
    const at = (y: number) => pixels.readUInt32LE((y * 320 + 5) * 4) & 0xffffff;
    expect([0, 59, 60, 119, 120, 179, 180, 239].map(at)).toEqual([
      0xff0000, 0xff0000, 0x00ff00, 0x00ff00, 0x0000ff, 0x0000ff, 0xffffff, 0xffffff,
    ]);
    // Cut into binary frames as the serial proxy cuts output (seeded sizes, here up to 16 KiB).
    expect(ws.frames.length).toBeGreaterThan(10);
    expect(Math.max(...ws.frames)).toBeLessThanOrEqual(16384);
    const session = ctx.sim.vncDisplay(SERVER_IDS.web1).sessions.at(-1)!;
    expect(session).toEqual({
      clientVersion: 'RFB 003.008\n',
      securityType: 1,
      initialised: true,
      keys: [0x61, 0xff0d],
      updates: 1,
    });
    expect(ctx.sim.vncSessions(SERVER_IDS.web1)).toHaveLength(1);
    const control = await fetch(`${ctx.sim.url}/__sim/servers/${SERVER_IDS.web1}/vnc`);
    const seen = (await control.json()) as { backend: string; open: number; sessions: unknown[] };
    expect([seen.backend, seen.open, seen.sessions.at(-1)]).toEqual([
      'up',
      1,
      { client_version: 'RFB 003.008\n', security_type: 1, initialised: true, keys: [0x61, 0xff0d], updates: 1 },
    ]);
    ws.destroy();
    await waitUntil(() => ctx.sim.vncSessions(SERVER_IDS.web1).length === 0);
  });

  it("the upgrade on /websockify (noVNC's default path) reaches the same display", async () => {
    const page = await novncPage();
    const url = new URL(novncWebSocketUrl(page));
    url.pathname = '/websockify';
    const ws = await openRawWebSocket(url.toString());
    expect((await rfbHandshake(new ByteReader(ws.stream))).name).toBe('web-1');
    ws.destroy();
  });

  it("the page's own Origin is accepted", async () => {
    const page = await novncPage();
    const ws = await vncSocket({ origin: new URL(page).origin }, page);
    expect((await new ByteReader(ws.stream).read(12)).toString('latin1')).toBe('RFB 003.008\n');
    ws.destroy();
  });
});

describe('broken variants', () => {
  it.each(['down', 'not-rfb-3.8'] as const)(
    'the VNC server %s: 101, then a drop with no close frame, while the token is valid',
    async (state) => {
      const page = await novncPage();
      // Once in-process, once as an out-of-process test would (POST /__sim/servers/{id}/vnc).
      if (state === 'down') ctx.sim.setVncBackend(SERVER_IDS.web1, state);
      else
        await fetch(`${ctx.sim.url}/__sim/servers/${SERVER_IDS.web1}/vnc`, {
          method: 'POST',
          body: JSON.stringify({ backend: state }),
        });
      try {
        await expectDropAfter101(await vncSocket({}, page));
        expect(await tokenLookupStatus(page)).toBe(200);
      } finally {
        ctx.sim.setVncBackend(SERVER_IDS.web1, 'up');
      }
      const again = await vncSocket({}, page);
      expect((await new ByteReader(again.stream).read(12)).toString('latin1')).toBe('RFB 003.008\n');
      again.destroy();
    },
  );

  it('a token past its TTL (600 s): 101, then a drop; the lookup says 404', async () => {
    const page = await novncPage();
    ctx.sim.advance(601);
    await expectDropAfter101(await vncSocket({}, page));
    expect(await tokenLookupStatus(page)).toBe(404);
  });

  it('an Origin of another host: 101, then a drop', async () => {
    await expectDropAfter101(await vncSocket({ origin: 'http://evil.example' }));
  });

  it('refuseConsoleConnections: the next upgrade is dropped after the 101 with a live token, the one after passes', async () => {
    const page = await novncPage();
    ctx.sim.refuseConsoleConnections(1);
    await expectDropAfter101(await vncSocket({}, page));
    const ws = await vncSocket({}, page);
    expect((await new ByteReader(ws.stream).read(12)).toString('latin1')).toBe('RFB 003.008\n');
    ws.destroy();
  });

  it('handshake errors are 400 before any token check: only base64 offered', async () => {
    const ws = await vncSocket({ protocols: 'base64' });
    expect([ws.status, ws.reason]).toEqual([400, 'Invalid protocol selected']);
    expect(ws.body.toString()).toMatch(/Message: Invalid protocol selected\./);
  });

  it('an upgrade answered 400 by whatever is in front (a fault rule)', async () => {
    const page = await novncPage();
    ctx.sim.addFault({ match: { path: '/' }, action: { kind: 'status', status: 400, body: 'Bad Request\n' } });
    const ws = await vncSocket({}, page);
    expect(ws.status).toBe(400);
    expect(ws.body.toString()).toBe('Bad Request\n');
  });

  it("a text frame: the banner, then close 1003 with websockify's reason", async () => {
    const ws = await vncSocket();
    const r = new ByteReader(ws.stream);
    expect((await r.read(12)).toString('latin1')).toBe('RFB 003.008\n');
    ws.sendText('RFB 003.008\n');
    expect(await ws.ended).toBe('FIN');
    expect(ws.close).toEqual({ code: 1003, reason: 'Unsupported: Text frames are not supported' });
  });

  it('the proxy down: the base URL points at a closed port, the connection is refused', async () => {
    const port = await closedPort();
    const sim = await Simulator.start({ consoleBaseUrls: { novnc: `http://127.0.0.1:${port}/vnc_lite.html` } });
    try {
      const page = await novncPage(sim);
      expect(page).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/vnc_lite\\.html\\?path=%3Ftoken%3D`));
      await expect(openRawWebSocket(novncWebSocketUrl(page))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await sim.stop();
    }
  });
});
