/**
 * `osconsole console attach` end to end against the simulator's serial proxy
 * (nova's and websockify's semantics, test/sim/serial-proxy.ts) and its fake
 * guest: in-process through main() for the pipe mode and the reconnect rules,
 * the real binary for signals, and a real pseudo-terminal for raw mode.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveRun } from '../helpers/cli.js';
import { OSCONSOLE, expectExit, runPtyCommand, startMain } from '../helpers/cli.js';
import type { TestEnv } from '../helpers/env.js';
import { useTestEnv } from '../helpers/env.js';
import type { SimulatorOptions } from '../sim/index.js';
import { SERVER_IDS, Simulator } from '../sim/index.js';

const env = useTestEnv();
let sim: Simulator;

async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  sim = await Simulator.start(opts);
  const r = await env.t.main(['login'], sim.env('demo'));
  expect(r.code, r.stderr).toBe(0);
  sim.clearLog();
  return sim;
}

afterEach(async () => {
  await sim?.stop();
});

/** `console attach` in-process, in pipe mode; the backoff and poll waits are recorded, not slept. */
function attach(t: TestEnv, args: string[]): LiveRun {
  return startMain(['console', 'attach', ...args], { env: t.env(), homedir: t.home });
}

const consolesCreated = () =>
  sim.requests('compute').filter((e) => e.method === 'POST' && /remote-consoles|\/action$/.test(e.path)).length;
const upgrades = () => sim.log.filter((e) => e.path.startsWith('/console/serial'));
const web1 = () => sim.serialGuest(SERVER_IDS.web1);

describe('pipe mode', () => {
  beforeEach(async () => {
    await start();
  });

  it('sends stdin as is after one "\\r", copies the console to stdout, ends quietly after EOF: exit 0', async () => {
    const run = attach(env.t, ['web-1']);
    run.stdin.end('root\rsecret\runame -a\r');
    const r = await run.done;
    expectExit(r, 0);
    // The wake-up "\r" first, then the script's bytes, nothing else.
    expect(web1().received.toString()).toBe('\rroot\rsecret\runame -a\r');
    expect(r.stdout).toContain('web-1 login: ');
    expect(r.stdout).toMatch(/Linux web-1 6\.1\.0-27-amd64 .* GNU\/Linux\r\n/);
    expect(r.stderr).toBe('');
    // The handshake: subprotocol binary offered, no Origin header (nova checks one if sent).
    const [up] = upgrades();
    expect(up?.status).toBe(101);
    expect(up?.headers['sec-websocket-protocol']).toBe('binary');
    expect(up?.headers.origin).toBeUndefined();
    expect(up?.search).toMatch(/^\?token=[0-9a-f-]{36}$/);
  });

  it('passes bytes through unchanged, however the proxy splits them into frames', async () => {
    // No "\n": the guest's tty would add a "\r" before it (ONLCR).
    const text = 'h\u00e9llo w\u00f6rld \u2603 \u{1f600} \x1b[1;32mgreen\x1b[0m\r';
    const run = attach(env.t, ['web-1']);
    await run.waitStdout(/login: $/);
    web1().print(text);
    web1().print(Buffer.from([0xff, 0x00, 0xc3]));
    await run.waitStdout(/green/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    const out = run.stdout();
    expect(out.includes(Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0x00, 0xc3])]))).toBe(true);
  });

  it('--log appends the raw output to a 0600 file', async () => {
    const log = join(env.t.home, 'console.log');
    for (const input of ['first\r', 'second\r']) {
      const run = attach(env.t, ['web-1', '--log', log]);
      run.stdin.end(input);
      expectExit(await run.done, 0);
    }
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const text = readFileSync(log, 'latin1');
    expect(text.indexOf('first')).toBeGreaterThan(-1);
    expect(text.indexOf('second')).toBeGreaterThan(text.indexOf('first'));
  });

  it('a --log file that cannot be opened is exit 2 before any request', async () => {
    const run = attach(env.t, ['web-1', '--log', join(env.t.home, 'no', 'such', 'dir', 'x.log')]);
    const r = await run.done;
    expectExit(r, 2);
    expect(r.stderr).toMatch(/cannot open the --log file .*: ENOENT/);
    expect(sim.requests()).toHaveLength(0);
  });

  it('--for ends the session on time even while stdin stays open', async () => {
    const run = attach(env.t, ['web-1', '--for', '1s']);
    const started = Date.now();
    const r = await run.done;
    expectExit(r, 0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stdout).toContain('login: ');
  });
});

describe('reconnects', () => {
  it('a live migration closes the session (1000): a fresh console, reconnected, input flows again', async () => {
    await start();
    const run = attach(env.t, ['web-1']);
    await run.waitStdout(/login: $/);
    sim.liveMigrate(SERVER_IDS.web1);
    await run.waitStderr(/reconnected/);
    run.stdin.write('after\r');
    await run.waitStdout(/after/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(/the console proxy closed the session \(1000/);
    expect(consolesCreated()).toBe(2);
    // Each connection woke the getty once.
    expect(web1().received.toString()).toBe('\r\rafter\r');
  });

  it('--no-reconnect: a normal close ends the session with exit 0', async () => {
    await start();
    const run = attach(env.t, ['web-1', '--no-reconnect']);
    await run.waitStdout(/login: $/);
    sim.liveMigrate(SERVER_IDS.web1);
    const r = await run.done;
    expectExit(r, 0);
    expect(consolesCreated()).toBe(1);
  });

  it('a dropped connection (no close frame) is retried with backoff; --no-reconnect makes it exit 7', async () => {
    await start();
    const run = attach(env.t, ['web-1']);
    await run.waitStdout(/login: $/);
    expect(sim.dropConsoleSessions()).toBe(1);
    await run.waitStderr(/reconnected/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(
      /the connection to the console proxy dropped \(no close frame\); reconnecting in 0\.25 s \(1 of 5\)/,
    );

    const again = attach(env.t, ['web-1', '--no-reconnect']);
    await again.waitStdout(/login: $/);
    sim.dropConsoleSessions();
    const r2 = await again.done;
    expectExit(r2, 7);
    expect(r2.stderr).toMatch(/dropped \(no close frame\); not reconnecting \(--no-reconnect\)/);
  });

  it('a token refused after the 101 (expired in between) is explained and replaced once', async () => {
    await start({ consoleTokenTtlSeconds: 60 });
    // Holds the upgrade long enough to let the token expire before the proxy checks it.
    sim.addFault({ match: { path: '/console/serial/' }, times: 1, action: { kind: 'latency', ms: 400 } });
    const run = attach(env.t, ['web-1', '--for', '4s']);
    await waitUntil(() => upgrades().length === 1);
    sim.advance(61);
    await run.waitStdout(/login: $/);
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toContain('the console token was refused (expired, migrated, or Origin); trying a fresh console');
    expect(consolesCreated()).toBe(2);
  });

  it('tokens refused twice in a row: exit 7 naming the likely causes', async () => {
    await start({ consoleTokenTtlSeconds: 60 });
    sim.addFault({ match: { path: '/console/serial/' }, times: 2, action: { kind: 'latency', ms: 400 } });
    const run = attach(env.t, ['web-1']);
    await waitUntil(() => upgrades().length === 1);
    sim.advance(61);
    await waitUntil(() => upgrades().length === 2);
    sim.advance(61);
    const r = await run.done;
    expectExit(r, 7);
    expect(r.stderr).toMatch(/refused a fresh console token too \(expired, migrated, or Origin\)/);
  });

  it('with [consoleauth] enforce_session_timeout the proxy ends the session at the token expiry; attach reconnects', async () => {
    await start({ consoleTokenTtlSeconds: 30, enforceSessionTimeout: true });
    const run = attach(env.t, ['web-1']);
    await run.waitStdout(/login: $/);
    sim.advance(31);
    await run.waitStderr(/reconnected/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    // nova closes the target socket at the expiry; the client's connection drops with no close frame.
    expect(r.stderr).toMatch(/the connection to the console proxy dropped \(no close frame\); reconnecting/);
    expect(consolesCreated()).toBe(2);
  });

  it('a server deleted while attached ends with exit 4', async () => {
    await start();
    const run = attach(env.t, ['web-1']);
    await run.waitStdout(/login: $/);
    sim.deleteServer(SERVER_IDS.web1);
    const r = await run.done;
    expectExit(r, 4);
    expect(r.stderr).toMatch(/server "web-1" \(cdee62cc-[0-9a-f-]+\) is gone \(deleted\)/);
  });
});

describe('one client per serial port', () => {
  it('a second client hears nothing until the first leaves: attach says why, then gets the output', async () => {
    await start();
    const first = await rawClient((await consoleUrl()) as string);
    const run = attach(env.t, ['web-1']);
    await run.waitStderr(/another client may be attached to this serial port/, 6000);
    expect(run.stdout().length).toBe(0);
    first.close();
    await run.waitStdout(/login: $/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
  });
});

describe('what Nova says', () => {
  it('serial consoles disabled: exit 6', async () => {
    await start({ consoleEnabled: { serial: false } });
    const r = await attach(env.t, ['web-1']).done;
    expectExit(r, 6);
    expect(r.stderr).toMatch(/serial consoles are disabled on this cloud \(\[serial_console\] enabled = false\)/);
    expect(upgrades()).toHaveLength(0);
  });

  it('below 2.6 the legacy os-getSerialConsole action gives the URL', async () => {
    await start({ computeMaxVersion: '2.5' });
    const run = attach(env.t, ['web-1']);
    run.stdin.end('x\r');
    expectExit(await run.done, 0);
    const posts = sim.requests('compute').filter((e) => e.method === 'POST');
    expect(posts.map((e) => Object.keys(e.body as object)[0])).toEqual(['os-getSerialConsole']);
  });

  it('a proxy that is not listening: exit 7, connection refused', async () => {
    const port = await closedPort();
    await start({ consoleBaseUrls: { serial: `ws://127.0.0.1:${port}/` } });
    const r = await attach(env.t, ['web-1']).done;
    expectExit(r, 7);
    expect(r.stderr).toContain(`cannot connect to the console proxy at 127.0.0.1:${port}: connection refused`);
  });

  it('a building server with --wait: polled until ACTIVE, then attached', async () => {
    await start();
    sim.finishBuild(SERVER_IDS.building, { afterGets: 2 });
    const run = attach(env.t, ['building-vm', '--wait=1m']);
    run.stdin.end('\r');
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(/waiting for the server to become ACTIVE: BUILD/);
    const gets = sim.requests('compute').filter((e) => e.method === 'GET' && e.path.endsWith(SERVER_IDS.building));
    expect(gets.length).toBe(3);
    expect(r.stdout).toContain('login: ');
  });

  it('without --wait a building server is exit 5 naming --wait', async () => {
    await start();
    const r = await attach(env.t, ['building-vm']).done;
    expectExit(r, 5);
    expect(r.stderr).toMatch(/not ready for a console/);
  });

  it('--wait on a server that goes into ERROR stops at once with its fault: exit 5', async () => {
    await start();
    sim.finishBuild(SERVER_IDS.building, { afterGets: 1, to: 'ERROR', fault: 'No valid host was found.' });
    const r = await env.t.main(['console', 'get', 'building-vm', '--wait']);
    expectExit(r, 5);
    expect(r.stderr).toMatch(/is in ERROR: No valid host was found\./);
  });

  it('console get --wait prints the URL once the server is ACTIVE', async () => {
    await start();
    sim.finishBuild(SERVER_IDS.building, { afterGets: 1 });
    const r = await env.t.main(['console', 'get', '--wait', 'building-vm', '--type', 'serial']);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=/);
  });
});

describe('the binary', () => {
  beforeEach(async () => {
    await start();
  });

  it('SIGINT off a terminal: exit 130', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'console', 'attach', 'web-1'], { env: env.t.env() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil(() => out.includes('login: '));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(sim.serialSessions()).toHaveLength(0);
  });

  it('in a terminal: raw mode, keys reach the guest, Ctrl-] quits with exit 0, stty settings restored', async () => {
    const script = `stty -g > before; ${OSCONSOLE} console attach web-1; echo "EXIT=$?"; stty -g > after; cmp before after && echo SAME`;
    const r = await runPtyCommand(
      `cd ${env.t.home} && ${script}`,
      [
        { expect: 'login: ', send: 'root\r' },
        { expect: 'Password: ', send: 'secret\r' },
        { expect: '\\$ ', send: 'echo hi\x03' },
        { expect: '\\^C', send: '\x1d' },
      ],
      env.t.env(),
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.stdout).toMatch(/Serial console of web-1 \(cdee62cc-[0-9a-f-]+\)\. Ctrl-\] quits\./);
    expect(r.stdout).toContain('Detached from web-1.');
    expect(r.stdout).toContain('EXIT=0');
    expect(r.stdout).toContain('SAME');
    // Raw: Ctrl-C went to the guest as a byte (no SIGINT), the password was not echoed by the terminal.
    expect(web1().received.toString()).toBe('\rroot\rsecret\recho hi\x03');
    expect(r.stdout).not.toMatch(/secret/);
  });

  it('in a terminal: --escape ^X, and SIGTERM restores the terminal too (exit 143)', async () => {
    // Without job control sh gives a background job /dev/null as stdin unless told otherwise (POSIX "Asynchronous Lists").
    const script = `stty -g > before; exec 3<&0; ${OSCONSOLE} console attach web-1 --escape '^X' 0<&3 & pid=$!; sleep 3; kill -TERM $pid; wait $pid; echo "EXIT=$?"; stty -g > after; cmp before after && echo SAME`;
    const r = await runPtyCommand(`cd ${env.t.home} && ${script}`, [], env.t.env());
    expect(r.stdout).toContain('Ctrl-X quits');
    expect(r.stdout).toContain('EXIT=143');
    expect(r.stdout).toContain('SAME');
  });
});

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A serial console URL for web-1, from the CLI itself. */
async function consoleUrl(): Promise<string> {
  const r = await env.t.main(['console', 'get', 'web-1', '--type', 'serial']);
  expectExit(r, 0);
  return r.stdout.trim();
}

/** Another client on the same serial port (undici's WebSocket, as attach uses). */
async function rawClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, ['binary']);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return ws;
}
