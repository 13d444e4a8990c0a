/**
 * `osconsole console tunnel` end to end: the local listener, and (with the
 * simulator's noVNC proxy and fake RFB server) VNC through it, driven by a
 * small RFB client (test/helpers/rfb.ts). `console view --type novnc` runs the
 * same tunnel for a viewer's lifetime.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectExit, startMain } from '../helpers/cli.js';
import type { LiveRun } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import type { TestEnv } from '../helpers/env.js';
import { Simulator } from '../sim/index.js';
import { ByteReader, rfbFrame, rfbHandshake, tcpConnect } from '../helpers/rfb.js';
import { closedPort, waitUntil } from '../helpers/attach.js';
import { SERVER_IDS } from '../sim/index.js';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const env = useTestEnv();
let sim: Simulator;
let t: TestEnv;

async function start(opts: Parameters<typeof Simulator.start>[0] = {}) {
  sim = await Simulator.start(opts);
  t = env.t;
  const r = await t.main(['login'], sim.env('demo'));
  expect(r.code, r.stderr).toBe(0);
  sim.clearLog();
}

beforeEach(() => () => sim?.stop());

function tunnel(args: string[], extraEnv: Record<string, string> = {}): LiveRun {
  return startMain(['console', 'tunnel', ...args], { env: t.env(extraEnv), homedir: t.home });
}

/** The port of the vnc://127.0.0.1:PORT line, once printed. */
async function listening(run: LiveRun): Promise<number> {
  await run.waitStdout(/^vnc:\/\/127\.0\.0\.1:\d+\n/);
  return Number(/:(\d+)\n/.exec(run.stdout().toString())?.[1]);
}

const consolesCreated = () =>
  sim.requests('compute').filter((e) => e.method === 'POST' && /remote-consoles$/.test(e.path));

describe('the listener', () => {
  it('prints vnc://127.0.0.1:PORT once listening, on loopback only; SIGTERM closes it: exit 0', async () => {
    await start();
    const run = tunnel(['web-1']);
    const port = await listening(run);
    expect(run.stderr()).toMatch(
      /Forwarding vnc:\/\/127\.0\.0\.1:\d+ to the VNC console of web-1 \(.*\); Ctrl-C to stop\./,
    );
    // One console, to know the server has one: novnc at the cloud's highest version.
    expect(consolesCreated().map((e) => e.body)).toEqual([{ remote_console: { protocol: 'vnc', type: 'novnc' } }]);
    (await tcpConnect(port)).destroy();
    run.signal('SIGTERM');
    const r = await run.done;
    expectExit(r, 0);
    await expect(tcpConnect(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('--json: {server, type, listen: {host, port}, url}', async () => {
    await start();
    const run = tunnel(['web-1', '--json']);
    await run.waitStdout(/\}\n$/);
    const out = JSON.parse(run.stdout().toString()) as { listen: { port: number }; url: string };
    expect(out).toEqual({
      server: { id: expect.any(String), name: 'web-1' },
      type: 'novnc',
      listen: { host: '127.0.0.1', port: out.listen.port },
      url: `vnc://127.0.0.1:${out.listen.port}`,
    });
    run.signal('SIGINT');
    expectExit(await run.done, 0);
  });

  it('--port N takes that port; one in use is exit 2 naming it', async () => {
    await start();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as AddressInfo;
    try {
      const run = tunnel(['web-1', '--port', String(port)]);
      const r = await run.done;
      expectExit(r, 2);
      expect(r.stderr).toBe(
        `osconsole: cannot listen on 127.0.0.1:${port}: the port is in use; pick another --port, or leave it out for a free one\n`,
      );
    } finally {
      busy.close();
    }
  });

  it('--address other than loopback: a warning that the console has no password', async () => {
    await start();
    const run = tunnel(['web-1', '--address', '0.0.0.0']);
    await run.waitStdout(/^vnc:\/\/0\.0\.0\.0:\d+\n/);
    expect(run.stderr()).toMatch(/warning: listening on 0\.0\.0\.0: anyone who can reach it gets this console/);
    run.signal('SIGTERM');
    expectExit(await run.done, 0);
  });

  it.each([
    [['--port', '65536'], /expected a port number, 0 to 65535/],
    [['--port', 'vnc'], /expected a port number/],
  ])('usage: %j is exit 2 before any request', async (args, message) => {
    await start();
    const r = await tunnel(['web-1', ...args]).done;
    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
    expect(sim.log).toHaveLength(0);
  });

  it('novnc disabled in nova.conf: exit 6 before listening', async () => {
    await start({ consoleEnabled: { vnc: false } });
    const r = await tunnel(['web-1']).done;
    expectExit(r, 6);
    expect(r.stdout).toBe('');
  });
});

describe('VNC through the tunnel (the simulated noVNC proxy and VNC server)', () => {
  it("a VNC client gets RFB 3.8, security None, the desktop and a frame; the websocket is noVNC's", async () => {
    await start();
    const run = tunnel(['web-1', '--once']);
    const port = await listening(run);
    const r = new ByteReader(await tcpConnect(port));
    const init = await rfbHandshake(r);
    expect(init).toMatchObject({ banner: 'RFB 003.008\n', securityTypes: [1], width: 320, height: 240, name: 'web-1' });
    const pixels = await rfbFrame(r, init);
    expect(pixels.length).toBe(320 * 240 * 4);
    expect(pixels.readUInt32LE(0)).toBe(0xff0000); // the top band
    // A key goes through to the server.
    r.socket.write(Buffer.from([4, 1, 0, 0, 0, 0, 0xff, 0x0d]));
    await waitUntil(() => sim.vncDisplay(SERVER_IDS.web1).sessions[0]?.keys.length === 1);
    expect(sim.vncDisplay(SERVER_IDS.web1).sessions[0]?.keys).toEqual([0xff0d]);
    // The upgrade: to "/" + the page's path parameter (?token=…), subprotocol binary, no Origin.
    const [up] = sim.log.filter((e) => e.service === 'console' && e.path === '/');
    expect(up?.status).toBe(101);
    expect(up?.search).toMatch(/^\?token=[0-9a-f-]{36}$/);
    expect(up?.headers['sec-websocket-protocol']).toBe('binary');
    expect(up?.headers.origin).toBeUndefined();
    r.socket.end();
    const done = await run.done;
    expectExit(done, 0);
    expect(done.stderr).toMatch(/\[1\] 127\.0\.0\.1:\d+ connected; opening a console/);
    expect(done.stderr).toMatch(
      /\[1\] closed after .* \(viewer sent \d+ B, console sent 300\.\d KiB\): the viewer disconnected/,
    );
    // The console made at start served this first connection: one console in all.
    expect(consolesCreated()).toHaveLength(1);
    await waitUntil(() => sim.vncSessions().length === 0);
  });

  it('each connection gets a fresh console once the start-up one is used; both at once work', async () => {
    await start();
    const run = tunnel(['web-1']);
    const port = await listening(run);
    const a = new ByteReader(await tcpConnect(port));
    const b = new ByteReader(await tcpConnect(port));
    const [ia, ib] = await Promise.all([rfbHandshake(a), rfbHandshake(b)]);
    expect([ia.name, ib.name]).toEqual(['web-1', 'web-1']);
    expect(consolesCreated()).toHaveLength(2);
    const tokens = sim.log.filter((e) => e.service === 'console' && e.path === '/').map((e) => e.search);
    expect(new Set(tokens).size).toBe(2);
    run.signal('SIGINT');
    expectExit(await run.done, 0);
    // Everything closed: the viewers' connections and the websockets.
    await a.closed();
    await b.closed();
    await waitUntil(() => sim.vncSessions().length === 0);
  });

  it('a start-up console older than 30 s is not used: tokens die, the tunnel does not', async () => {
    await start();
    let now = Date.now();
    const run = startMain(['console', 'tunnel', 'web-1', '--once'], { env: t.env(), homedir: t.home, now: () => now });
    const port = await listening(run);
    now += 31_000;
    const r = new ByteReader(await tcpConnect(port));
    await rfbHandshake(r);
    expect(consolesCreated()).toHaveLength(2);
    r.socket.end();
    expectExit(await run.done, 0);
  });

  it('a VNC server that does not answer: the connection closes, the reason on stderr; --once then exits 0', async () => {
    await start();
    sim.setVncBackendDown(SERVER_IDS.web1);
    const run = tunnel(['web-1', '--once']);
    const port = await listening(run);
    const r = new ByteReader(await tcpConnect(port));
    await r.closed();
    const done = await run.done;
    expectExit(done, 0);
    expect(done.stderr).toMatch(
      /\[1\] closed after .*: the console token was refused \(expired, migrated, or Origin\)/,
    );
  });

  it('the proxy down (connection refused): the connection fails with the reason; --once exits 7', async () => {
    const port = await closedPort();
    await start({ consoleBaseUrls: { novnc: `http://127.0.0.1:${port}/vnc_lite.html` } });
    const run = tunnel(['web-1', '--once']);
    const local = await listening(run);
    const r = new ByteReader(await tcpConnect(local));
    await r.closed();
    const done = await run.done;
    expectExit(done, 7);
    expect(done.stderr).toMatch(/\[1\] .*refused/);
  });

  it('console view --type novnc: the viewer gets vnc://127.0.0.1:PORT and talks VNC through the tunnel', async () => {
    await start();
    const dir = join(t.home, 'bin');
    // A viewer that does what remote-viewer does first: connect, handshake, one frame; then it quits.
    t.write(
      'bin/remote-viewer',
      `#!${process.execPath}\n` +
        `const { connect } = require('node:net');\n` +
        `const u = new URL(process.argv[2]);\n` +
        `const s = connect(Number(u.port), u.hostname);\n` +
        `let got = Buffer.alloc(0);\n` +
        `s.on('data', (d) => { got = Buffer.concat([got, d]);\n` +
        `  if (got.length === 12) s.write('RFB 003.008\\n');\n` +
        `  if (got.length === 14) { s.write(Buffer.from([1])); }\n` +
        `  if (got.length === 18) { s.write(Buffer.from([1])); }\n` +
        `  if (got.length >= 42) { require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'seen'))}, process.argv[2] + ' ' + got.subarray(0, 12).toString()); s.end(); }\n` +
        `});\n`,
    );
    chmodSync(join(dir, 'remote-viewer'), 0o755);
    const r = await t.main(['console', 'view', 'web-1', '--type', 'novnc'], {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      DISPLAY: ':99',
    });
    expectExit(r, 0);
    const seen = readFileSync(join(dir, 'seen'), 'utf8');
    expect(seen).toMatch(/^vnc:\/\/127\.0\.0\.1:\d+ RFB 003\.008\n$/);
    expect(r.stderr).toMatch(
      /Started remote-viewer on vnc:\/\/127\.0\.0\.1:\d+, a tunnel to the VNC console of "web-1"/,
    );
    // The tunnel is gone with the viewer.
    const port = Number(/:(\d+) /.exec(seen)?.[1]);
    await expect(tcpConnect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
