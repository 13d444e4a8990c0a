/**
 * The VNC console tests both clouds run (vnc.test.ts for Zed, epoxy/vnc.test.ts for Epoxy):
 * nova's real noVNC proxy, its RFB security proxy and websockify underneath, in front of the
 * tier's Xvnc; first on the wire (facts recorded for the simulator in
 * test/fixtures/real/vnc/), then osconsole's `console tunnel`, `console check` and
 * `console view --type novnc` with real VNC clients (gvnccapture, remote-viewer).
 *
 * Upstream facts checked here: the proxy connects to the VNC server and forwards its
 * 12-byte banner before the client says anything, offers the client exactly one security
 * type (None), wants RFB 3.8 from both sides, and answers a client that picks another type
 * with SecurityResult 1 and a reason (nova/console/securityproxy/rfb.py
 * RFBSecurityProxy.connect, _fail); the token and Origin are checked after the 101
 * (nova/console/websocketproxy.py new_websocket_client); subprotocol rules and text frames
 * are websockify's (websockify/websocket.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ByteReader, rfbFrame, rfbHandshake, tcpConnect } from '../helpers/rfb.js';
import { clientFrame, closeCode, parseFrames, rawUpgrade, withToken } from '../helpers/ws-wire.js';
import { cliHarness } from './cli-harness.js';
import type { RealcloudFacts, RealcloudVnc } from './context.js';
import { decodePng, pixelAt } from './png.js';
import { factRecorder } from './serial-proxy.js';
import { expectBinaryUpgrade } from './serial-suite.js';
import type { TierWebsockify } from './serial-suite.js';
import {
  novncUrl,
  pageToken,
  processesWith,
  startProc,
  startXvfb,
  useProcesses,
  websocketUrl,
  wsStream,
} from './vnc-proxy.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const BANNER = 'RFB 003.008\n';

function xvnc(f: RealcloudFacts): RealcloudVnc {
  if (!f.vnc) throw new Error(`no vnc in ${f.state_dir}/facts.json: the tier did not start Xvnc`);
  return f.vnc;
}

/** The number of connections Xvnc has logged so far. */
function xvncConnections(v: RealcloudVnc): number {
  return (readFileSync(v.log, 'utf8').match(/Connections: accepted: /g) ?? []).length;
}

/** The page URL with another token in its `path` parameter. */
function pageWithToken(page: string, token: string): string {
  const u = new URL(page);
  u.searchParams.set('path', `?token=${token}`);
  return u.toString();
}

/** Nova's noVNC proxy on the wire; records what it saw as `fixture` (vnc/zed or vnc/epoxy). */
export function vncProxyTests(f: RealcloudFacts, fixture: string, ws: TierWebsockify): void {
  const v = xvnc(f);
  // one console for all: a token serves any number of connections until it expires (600 s),
  // and each console made is two RPCs (~1 s on Epoxy) and one more write to Zed's sqlite
  let made: Promise<string> | undefined;
  const page = (): Promise<string> => (made ??= novncUrl(f));
  const fact = factRecorder(
    f,
    fixture,
    "nova's noVNC proxy (nova-novncproxy: websockify + nova's RFB security proxy) in front of a VNC server offering security type None (TigerVNC Xvnc): what a client sees",
    {
      baseUrl: `http://${new URL(f.compute_url).hostname}:<proxy_port>/vnc_auto.html`,
      recordedWith: { novnc: f.versions.novnc, xvnc: f.versions['tigervnc-standalone-server'] },
    },
  );

  it("the page: nova hands out <base_url>?path=%3Ftoken%3D<token>; websockify serves noVNC's files (200), a missing one is 404", async () => {
    const url = await page();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]{36}$/);
    expect(websocketUrl(url)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f-]{36}$/);
    const seen: Record<string, unknown> = {};
    for (const [name, at] of [
      ['vnc_auto.html', url],
      ['vnc_lite.html', new URL('/vnc_lite.html', url).toString()],
      ['missing.html', new URL('/missing.html', url).toString()],
    ] as const) {
      const r = await fetch(at, { signal: AbortSignal.timeout(10_000) });
      const body = await r.text();
      const title = /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? null;
      // noVNC's full client (vnc.html; Debian's vnc_auto.html links to it) loads app/ui.js,
      // vnc_lite.html carries its own module script (novnc 1.3 vnc.html, vnc_lite.html)
      const app = body.includes('src="app/ui.js"');
      seen[name] = {
        status: r.status,
        server: r.headers.get('server'),
        content_type: r.headers.get('content-type'),
        title,
        ...(r.status === 200 ? { bytes: Buffer.byteLength(body), loads_app_ui_js: app } : {}),
      };
      expect(r.headers.get('server')).toMatch(/^WebSockify Python\/\d/);
      if (name === 'missing.html') {
        expect(r.status).toBe(404);
        expect(body).toContain('File not found');
      } else {
        expect(r.status, name).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/html');
        expect(title).toBe('noVNC');
        expect(app, name).toBe(name === 'vnc_auto.html');
      }
    }
    fact('url', {
      page: 'http://127.0.0.1:<proxy_port>/vnc_auto.html?path=%3Ftoken%3D<console_token>',
      websocket: 'ws://127.0.0.1:<proxy_port>/?token=<console_token>',
    });
    fact('pages', seen);
  });

  it('the upgrade: 101 with Sec-WebSocket-Protocol binary, then at once the VNC server\'s banner "RFB 003.008\\n" in one binary frame', async () => {
    const url = websocketUrl(await page());
    // the banner comes once the proxy has checked the token (a DB query, an RPC: seconds
    // under load) and connected to Xvnc: wait for its frame (2 + 12 bytes), not a fixed time
    const r = await rawUpgrade(url, { untilBytes: 14, waitMs: 15_000 });
    const headers = expectBinaryUpgrade(r, ws);
    const frames = parseFrames(r.rest);
    expect(frames.map((fr) => [fr.opcode, fr.payload.toString('latin1')])).toEqual([[2, BANNER]]);
    const none = await rawUpgrade(websocketUrl(await page()), { protocols: null, untilBytes: 14, waitMs: 15_000 });
    expect(none.status).toBe(101);
    expect(none.headers).not.toHaveProperty('sec-websocket-protocol');
    const noneFrames = parseFrames(none.rest);
    fact('upgrade', {
      status: r.status,
      reason: r.reason,
      header_names: Object.keys(r.headers).sort(),
      headers,
      frames_before_the_client_speaks: frames.map((fr) => ({
        opcode: fr.opcode,
        payload: fr.payload.toString('latin1'),
      })),
    });
    fact('upgrade_without_subprotocol', {
      status: none.status,
      header_names: Object.keys(none.headers).sort(),
      frames_before_the_client_speaks: noneFrames.map((fr) => ({
        opcode: fr.opcode,
        payload: fr.payload.toString('latin1'),
      })),
    });
  });

  it("RFB through nova's security proxy: 3.8, one security type (None), SecurityResult 0, ServerInit with Xvnc's size and name, a framebuffer of its colour", async () => {
    const s = await wsStream(websocketUrl(await page()));
    expect(s.protocol).toBe('binary');
    const r = new ByteReader(s.stream);
    const init = await rfbHandshake(r);
    expect(init).toEqual({
      banner: BANNER,
      securityTypes: [1],
      width: v.width,
      height: v.height,
      bitsPerPixel: 32,
      name: v.name,
    });
    const pixels = await rfbFrame(r, init);
    expect(pixels.length).toBe(v.width * v.height * 4);
    // a solid root window: every pixel the same, the colour's bytes in some channel order
    const first = pixels.subarray(0, 4);
    for (let i = 0; i < pixels.length; i += 4)
      if (!pixels.subarray(i, i + 4).equals(first)) throw new Error(`pixel ${i / 4} differs`);
    const [rr, gg, bb] = [1, 3, 5].map((i) => parseInt(v.color.slice(i, i + 2), 16));
    expect([...first.subarray(0, 3)].sort()).toEqual([rr, gg, bb].sort());
    s.ws.close(1000);
    expect(await s.closed).toMatchObject({ code: 1000 });
    expect(s.textFrames()).toBe(0);
    fact('rfb', {
      banner: init.banner,
      security_types_to_client: init.securityTypes,
      security_result: 0,
      server_init: { width: init.width, height: init.height, bits_per_pixel: init.bitsPerPixel, name: init.name },
      first_update: `raw, ${init.width}x${init.height}x4 bytes, in binary frames`,
    });
  });

  it('refused after the 101: an unknown token, no token, a foreign Origin: no banner, no close frame, the connection just ends', async () => {
    const url = websocketUrl(await page());
    const port = new URL(url).port;
    const cases: [string, string, string | undefined][] = [
      ['unknown token', withToken(url, UNKNOWN), undefined],
      ['no token', withToken(url, null), undefined],
      ['Origin of another host', url, 'http://console.example.org'],
    ];
    const seen: Record<string, unknown> = {};
    for (const [name, u, origin] of cases) {
      const r = await rawUpgrade(u, { origin, waitMs: 15_000 });
      expect(r.status, name).toBe(101);
      expect(r.ended, `${name}: ended`).toBe(true);
      expect(r.rest.length, `${name}: no banner, no close frame`).toBe(0);
      seen[name] = { status: r.status, bytes_after_101: r.rest.length, tcp_end: r.reset ? 'RST' : 'FIN' };
    }
    // the same token with a matching Origin works (and the token is not used up)
    const good = await rawUpgrade(url, { origin: `http://127.0.0.1:${port}`, untilBytes: 14, waitMs: 15_000 });
    expect(parseFrames(good.rest).map((fr) => fr.payload.toString('latin1'))).toEqual([BANNER]);
    fact('refused_after_upgrade', seen);
    fact('origin_accepted', ['none', 'http://127.0.0.1:<proxy_port>']);
  });

  it('handshake errors are 400s: only base64 offered, or no Sec-WebSocket-Version', async () => {
    const url = websocketUrl(await page());
    const errors: Record<string, unknown> = {};
    for (const [name, o, reason] of [
      ['only base64 offered', { protocols: 'base64' }, 'Invalid protocol selected'],
      ['no Sec-WebSocket-Version', { version: false }, 'Missing Sec-WebSocket-Version header'],
    ] as const) {
      const r = await rawUpgrade(url, o);
      expect(r.status, name).toBe(400);
      expect(r.reason, name).toBe(reason);
      errors[name] = { status: r.status, reason: r.reason, header_names: Object.keys(r.headers).sort() };
    }
    fact('handshake_errors', errors);
  });

  /** What the proxy sends until its close frame, after `send` (client frames at ms offsets). */
  async function exchange(send: [number, Buffer][]) {
    const r = await rawUpgrade(websocketUrl(await page()), { send, untilClose: true, waitMs: 15_000 });
    expect(r.status).toBe(101);
    const frames = parseFrames(r.rest);
    const data = Buffer.concat(frames.filter((fr) => fr.opcode === 2).map((fr) => fr.payload));
    const close = frames.find((fr) => fr.opcode === 8);
    expect(
      frames.map((fr) => fr.opcode).filter((op) => op !== 2),
      'binary frames, then one close',
    ).toEqual([8]);
    return { data, close: closeCode(close!) };
  }

  it('a text frame instead of the client\'s version: close 1003 "Unsupported: Text frames are not supported"', async () => {
    const { data, close } = await exchange([[300, clientFrame(1, BANNER)]]);
    expect(data.toString('latin1')).toBe(BANNER);
    expect(close).toEqual({ code: 1003, reason: 'Unsupported: Text frames are not supported' });
    fact('text_frame', { before: BANNER, close });
  });

  it('an RFB 3.3 client (vncsnapshot speaks 3.3): the banner, then close 1000 with no reason on the wire (undici: 1000, clean)', async () => {
    const { data, close } = await exchange([[300, clientFrame(2, 'RFB 003.003\n')]]);
    expect(data.toString('latin1')).toBe(BANNER);
    expect(close).toEqual({ code: 1000, reason: '' });
    const s = await wsStream(websocketUrl(await page()));
    const r = new ByteReader(s.stream);
    expect((await r.read(12, 15_000)).toString('latin1')).toBe(BANNER);
    s.stream.write('RFB 003.003\n');
    const c = await s.closed;
    expect(c).toEqual({ code: 1000, reason: '', wasClean: true });
    fact('rfb_3_3_client', { before: BANNER, close, undici: c });
  });

  it('a client picking security type 2 (VNC authentication): SecurityResult 1 with a reason, then close 1000', async () => {
    const { data, close } = await exchange([
      [300, clientFrame(2, BANNER)],
      [600, clientFrame(2, Buffer.from([2]))],
    ]);
    const reason = 'Only the security type 1 (NONE) is supported';
    const failed = Buffer.alloc(8);
    failed.writeUInt32BE(1, 0);
    failed.writeUInt32BE(reason.length, 4);
    expect(data).toEqual(Buffer.concat([Buffer.from(BANNER), Buffer.from([1, 1]), failed, Buffer.from(reason)]));
    expect(close).toEqual({ code: 1000, reason: '' });
    fact('security_type_not_none', {
      security_types_to_client: [1],
      security_result: 1,
      reason,
      close,
    });
  });
}

// ------------------------------------------------------------------ osconsole with real VNC clients

/**
 * Why the check tests cannot run yet, or null: `console check` first landed for serial only
 * and refuses novnc (exit 6, "does not probe novnc consoles yet"). Asked of a URL on a
 * closed port, so no cloud is needed.
 */
function checkCannotProbeNovnc(): string | null {
  const r = spawnSync(
    process.execPath,
    [BIN, 'console', 'check', `http://127.0.0.1:1/vnc_auto.html?path=%3Ftoken%3D${UNKNOWN}`],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() }, timeout: 30_000 },
  );
  return r.status === 6 && /does not probe novnc/.test(r.stderr) ? r.stderr.trim() : null;
}

interface CheckReport {
  ok: boolean;
  type: string;
  steps: { name: string; ok: boolean; detail: string; cause?: string; hint?: string }[];
}

export function vncClientTests(f: RealcloudFacts): void {
  const v = xvnc(f);
  const { env } = cliHarness(f);
  const cloud = { OS_CLIENT_CONFIG_FILE: f.clouds_yaml };
  const osconsole = (args: string[], extra: Record<string, string> = {}) =>
    startProc(process.execPath, [BIN, ...args, '--os-cloud', 'realcloud-demo'], {
      env: env().env({ ...cloud, ...extra }),
    });
  useProcesses();
  // made in a hook, not at collection: a run that filters these tests out runs no afterAll
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'osconsole-vnc-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('console tunnel --once carries gvnccapture (gtk-vnc, RFB 3.8) to a screenshot of Xvnc: its size, its colour; exit 0 after the one connection', async () => {
    const tunnel = osconsole(['console', 'tunnel', f.server.server_name, '--once']);
    const [, port] = await tunnel.waitStdout(/^vnc:\/\/127\.0\.0\.1:(\d+)\n$/, 60_000);
    const before = xvncConnections(v);
    const png = join(scratch, 'tunnel.png');
    // gvnccapture takes HOST:DISPLAY, port = 5900 + display (every ephemeral port is above 5900)
    const cap = startProc('gvnccapture', [`127.0.0.1:${Number(port) - 5900}`, png]);
    const capDone = await Promise.race([cap.done, new Promise((r) => setTimeout(r, 30_000, 'timeout'))]);
    expect(capDone, cap.stderr()).toEqual({ code: 0, signal: null });
    expect(cap.stdout()).toContain(`Saved display to ${png}`);
    const img = decodePng(readFileSync(png));
    expect([img.width, img.height]).toEqual([v.width, v.height]);
    for (const [x, y] of [
      [0, 0],
      [v.width - 1, v.height - 1],
      [v.width >> 1, v.height >> 1],
    ] as const) {
      expect(pixelAt(img, x, y), `pixel ${x},${y}`).toBe(v.color);
    }
    expect(await tunnel.done).toEqual({ code: 0, signal: null });
    expect(tunnel.stdout().split('\n').filter(Boolean)).toHaveLength(1);
    expect(xvncConnections(v)).toBe(before + 1);
  });

  it('console tunnel without --once: two gvnccaptures in a row through it; SIGTERM ends it, exit 0, the port closed', async () => {
    const tunnel = osconsole(['console', 'tunnel', f.server.server_name]);
    const [, port] = await tunnel.waitStdout(/^vnc:\/\/127\.0\.0\.1:(\d+)\n$/, 60_000);
    const before = xvncConnections(v);
    for (const n of [1, 2]) {
      const cap = startProc('gvnccapture', ['-q', `127.0.0.1:${Number(port) - 5900}`, join(scratch, `again-${n}.png`)]);
      expect(await cap.done, cap.stderr()).toEqual({ code: 0, signal: null });
      expect(decodePng(readFileSync(join(scratch, `again-${n}.png`))).width).toBe(v.width);
    }
    expect(xvncConnections(v)).toBe(before + 2);
    expect(await tunnel.stop(10_000)).toEqual({ code: 0, signal: null });
    await expect(tcpConnect(Number(port))).rejects.toThrow(/ECONNREFUSED/);
  });

  const noCheck = checkCannotProbeNovnc();
  const itCheck = noCheck ? it.skip : it;
  const check = async (target: string, cloudName: string, extra: string[] = []) => {
    const r = await env().run(['console', 'check', target, '--os-cloud', cloudName, ...extra], cloud, {
      timeoutMs: 60_000,
    });
    return { ...r, report: extra.includes('--json') ? (JSON.parse(r.stdout) as CheckReport) : undefined };
  };

  itCheck(
    `console check <server>: page, websocket (101, binary), RFB banner... every step passes, exit 0${noCheck ? ` (skipped: ${noCheck})` : ''}`,
    async () => {
      const { code, stderr, report } = await check(f.server.server_name, 'realcloud-demo', ['--json']);
      expect(code, stderr).toBe(0);
      expect(report).toMatchObject({ ok: true, type: 'novnc' });
      const steps = report!.steps;
      expect(steps.filter((s) => !s.ok)).toEqual([]);
      expect(steps.map((s) => s.name)).toEqual(expect.arrayContaining(['page', 'websocket', 'banner']));
      expect(steps.find((s) => s.name === 'websocket')?.detail).toMatch(/101.*binary/);
      expect(steps.find((s) => s.name === 'banner')?.detail).toMatch(/RFB 003\.008/);
      // what it reports is Xvnc's, through nova's security proxy
      expect(steps.find((s) => s.name === 'desktop')?.detail).toContain(`${v.width}x${v.height}`);
      // off a terminal, one "step<TAB>ok<TAB>detail" line per step
      const text = await check(f.server.server_name, 'realcloud-demo');
      expect(text.code, text.stderr).toBe(0);
      expect(
        text.stdout
          .trimEnd()
          .split('\n')
          .map((l) => l.split('\t').slice(0, 2)),
      ).toEqual(steps.map((s) => [s.name, 'ok']));
    },
  );

  itCheck(
    `console check <server> as admin: the token lookup's host (127.0.0.1, the API is local too) passes${noCheck ? ` (skipped: ${noCheck})` : ''}`,
    async () => {
      const { code, stderr, report } = await check(f.server.server_id, 'realcloud-admin', ['--json']);
      expect(code, stderr).toBe(0);
      expect(report!.steps.find((s) => s.name === 'token')).toMatchObject({
        ok: true,
        detail: expect.stringContaining(`127.0.0.1:${v.port}`),
      });
    },
  );

  itCheck(
    `console check <url> with an unknown token: the 101, then the banner step fails (dropped, no close frame), exit 7${noCheck ? ` (skipped: ${noCheck})` : ''}`,
    async () => {
      const page = pageWithToken(await novncUrl(f), UNKNOWN);
      expect(pageToken(page)).toBe(UNKNOWN);
      const { code, report } = await check(page, 'realcloud-demo', ['--json']);
      expect(code).toBe(7);
      expect(report!.ok).toBe(false);
      expect(report!.steps.find((s) => s.name === 'websocket')).toMatchObject({ ok: true });
      const failed = report!.steps.find((s) => !s.ok);
      expect(failed).toMatchObject({ name: 'banner', cause: expect.stringMatching(/token/i) });
    },
  );

  it('smoke: console view --type novnc runs the real remote-viewer under Xvfb; it connects ("desktop resize WxH"), SIGTERM ends both, nothing left', async () => {
    const { proc: xvfb, display } = await startXvfb();
    const before = xvncConnections(v);
    const view = osconsole(
      ['console', 'view', f.server.server_name, '--type', 'novnc', '--viewer', 'remote-viewer --debug'],
      { DISPLAY: display },
    );
    const [, port] = await view.waitStderr(/Started remote-viewer on vnc:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    const [, w, h] = await view.waitStderr(/desktop resize (\d+)x(\d+)/, 30_000);
    expect([Number(w), Number(h)]).toEqual([v.width, v.height]);
    expect(xvncConnections(v)).toBe(before + 1);
    expect(processesWith(`vnc://127.0.0.1:${port}`)).toHaveLength(1);
    expect(await view.stop(10_000)).toEqual({ code: 0, signal: null });
    expect(processesWith(`vnc://127.0.0.1:${port}`), 'remote-viewer left running').toEqual([]);
    await expect(tcpConnect(Number(port))).rejects.toThrow(/ECONNREFUSED/);
    await xvfb.stop();
  });
}
