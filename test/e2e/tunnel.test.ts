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
import { tcpConnect } from '../helpers/rfb.js';

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
