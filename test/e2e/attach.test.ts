/**
 * `osconsole console attach` end to end against the simulator's serial proxy
 * (nova's and websockify's semantics, test/sim/serial-proxy.ts) and its fake
 * guest: pipe mode in-process through main(), what Nova says, the real binary
 * for signals and a real pseudo-terminal for raw mode. Reconnects:
 * attach-reconnect.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { closedPort, useAttach, waitUntil } from '../helpers/attach.js';
import { OSCONSOLE, expectExit, runPtyCommand, startMain } from '../helpers/cli.js';
import { SERVER_IDS } from '../sim/index.js';
import { selfSigned } from '../helpers/tls.js';

const h = useAttach();

describe('pipe mode', () => {
  beforeEach(async () => {
    await h.start();
  });

  it('sends stdin as is after one "\\r", copies the console to stdout, ends quietly after EOF: exit 0', async () => {
    const run = h.attach(['web-1']);
    run.stdin.end('root\rsecret\runame -a\r');
    const r = await run.done;
    expectExit(r, 0);
    // The wake-up "\r" first, then the script's bytes, nothing else.
    expect(h.web1().received.toString()).toBe('\rroot\rsecret\runame -a\r');
    expect(r.stdout).toContain('web-1 login: ');
    expect(r.stdout).toMatch(/Linux web-1 6\.1\.0-27-amd64 .* GNU\/Linux\r\n/);
    expect(r.stderr).toBe('');
    // The handshake: subprotocol binary offered, no Origin header (nova checks one if sent).
    const [up] = h.upgrades();
    expect(up?.status).toBe(101);
    expect(up?.headers['sec-websocket-protocol']).toBe('binary');
    expect(up?.headers.origin).toBeUndefined();
    expect(up?.search).toMatch(/^\?token=[0-9a-f-]{36}$/);
  });

  it('passes bytes through unchanged, however the proxy splits them into frames', async () => {
    // No "\n": the guest's tty would add a "\r" before it (ONLCR).
    const text = 'h\u00e9llo w\u00f6rld \u2603 \u{1f600} \x1b[1;32mgreen\x1b[0m\r';
    const run = h.attach(['web-1']);
    await run.waitStdout(/login: $/);
    h.web1().print(text);
    h.web1().print(Buffer.from([0xff, 0x00, 0xc3]));
    await run.waitStdout(/green/);
    run.stdin.end();
    const r = await run.done;
    expectExit(r, 0);
    const out = run.stdout();
    expect(out.includes(Buffer.concat([Buffer.from(text), Buffer.from([0xff, 0x00, 0xc3])]))).toBe(true);
  });

  it('--log appends the raw output to a 0600 file', async () => {
    const log = join(h.t.home, 'console.log');
    for (const input of ['first\r', 'second\r']) {
      const run = h.attach(['web-1', '--log', log]);
      run.stdin.end(input);
      expectExit(await run.done, 0);
    }
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const text = readFileSync(log, 'latin1');
    expect(text.indexOf('first')).toBeGreaterThan(-1);
    expect(text.indexOf('second')).toBeGreaterThan(text.indexOf('first'));
  });

  it('a --log file that cannot be opened is exit 2 before any request', async () => {
    const run = h.attach(['web-1', '--log', join(h.t.home, 'no', 'such', 'dir', 'x.log')]);
    const r = await run.done;
    expectExit(r, 2);
    expect(r.stderr).toMatch(/cannot open the --log file .*: ENOENT/);
    expect(h.sim.requests()).toHaveLength(0);
  });

  it('--for ends the session on time even while stdin stays open', async () => {
    const run = h.attach(['web-1', '--for', '1s']);
    const started = Date.now();
    const r = await run.done;
    expectExit(r, 0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stdout).toContain('login: ');
  });
});

describe('what Nova says', () => {
  it('serial consoles disabled: exit 6', async () => {
    await h.start({ consoleEnabled: { serial: false } });
    const r = await h.attach(['web-1']).done;
    expectExit(r, 6);
    expect(r.stderr).toMatch(/serial consoles are disabled on this cloud \(\[serial_console\] enabled = false\)/);
    expect(h.upgrades()).toHaveLength(0);
  });

  it('below 2.6 the legacy os-getSerialConsole action gives the URL', async () => {
    await h.start({ computeMaxVersion: '2.5' });
    const run = h.attach(['web-1']);
    run.stdin.end('x\r');
    expectExit(await run.done, 0);
    const posts = h.sim.requests('compute').filter((e) => e.method === 'POST');
    expect(posts.map((e) => Object.keys(e.body as object)[0])).toEqual(['os-getSerialConsole']);
  });

  it('a proxy that is not listening: exit 7, connection refused', async () => {
    const port = await closedPort();
    await h.start({ consoleBaseUrls: { serial: `ws://127.0.0.1:${port}/` } });
    const r = await h.attach(['web-1']).done;
    expectExit(r, 7);
    expect(r.stderr).toContain(`cannot connect to the console proxy at 127.0.0.1:${port}: connection refused`);
  });

  it('a building server with --wait: polled until ACTIVE, then attached', async () => {
    await h.start();
    h.sim.finishBuild(SERVER_IDS.building, { afterGets: 2 });
    const run = h.attach(['building-vm', '--wait=1m']);
    run.stdin.end('\r');
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toMatch(/waiting for the server to become ACTIVE: BUILD/);
    const gets = h.sim.requests('compute').filter((e) => e.method === 'GET' && e.path.endsWith(SERVER_IDS.building));
    expect(gets.length).toBe(3);
    expect(r.stdout).toContain('login: ');
  });

  it('without --wait a building server is exit 5 naming --wait', async () => {
    await h.start();
    const r = await h.attach(['building-vm']).done;
    expectExit(r, 5);
    expect(r.stderr).toMatch(/not ready for a console/);
  });

  it('--wait on a server that goes into ERROR stops at once with its fault: exit 5', async () => {
    await h.start();
    h.sim.finishBuild(SERVER_IDS.building, { afterGets: 1, to: 'ERROR', fault: 'No valid host was found.' });
    const r = await h.t.main(['console', 'get', 'building-vm', '--wait']);
    expectExit(r, 5);
    expect(r.stderr).toMatch(/is in ERROR: No valid host was found\./);
  });

  it('console get --wait prints the URL once the server is ACTIVE', async () => {
    await h.start();
    h.sim.finishBuild(SERVER_IDS.building, { afterGets: 1 });
    const r = await h.t.main(['console', 'get', '--wait', 'building-vm', '--type', 'serial']);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=/);
  });
});

describe('wss:// proxies use the TLS settings of the session', () => {
  it('the CA bundle given at login verifies the proxy too', async () => {
    const tls = selfSigned();
    onTestFinished(() => tls.cleanup());
    await h.start({ tls: { key: tls.key, cert: tls.cert } }, { OS_CACERT: tls.certPath });
    const run = h.attach(['web-1']);
    run.stdin.end('x\r');
    const r = await run.done;
    expectExit(r, 0);
    expect(h.upgrades()[0]?.status).toBe(101);
    expect(r.stdout).toContain('web-1 login: x');
  });

  it('--insecure (at login) skips verification for the websocket too, and says so', async () => {
    const tls = selfSigned();
    onTestFinished(() => tls.cleanup());
    await h.start({ tls: { key: tls.key, cert: tls.cert } }, { OS_INSECURE: 'true' });
    const run = h.attach(['web-1']);
    run.stdin.end('x\r');
    const r = await run.done;
    expectExit(r, 0);
    expect(r.stderr).toContain('TLS certificate verification is disabled');
    expect(r.stdout).toContain('web-1 login: x');
  });
});

/**
 * A terminal's stdin as Node gives it (isTTY, setRawMode), in-process: raw mode
 * must be left by osconsole itself on each way out, not only by Node's reset
 * of the terminal at exit (which the pty tests below cannot tell apart).
 */
function fakeTty() {
  const modes: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(raw: boolean) {
      modes.push(raw);
      return stdin;
    },
  });
  return { stdin, modes };
}

describe('raw mode is left on every way out (in-process)', () => {
  beforeEach(async () => {
    await h.start();
  });

  const run = (args: string[], stdin: PassThrough) =>
    startMain(['console', 'attach', ...args], { env: h.t.env(), homedir: h.t.home, stdin });

  it('the escape key: exit 0', async () => {
    const tty = fakeTty();
    const r = run(['web-1'], tty.stdin);
    await r.waitStdout(/login: $/);
    tty.stdin.write('root\r\x1d');
    expectExit(await r.done, 0);
    expect(tty.modes).toEqual([true, false]);
    expect(h.web1().received.toString()).toBe('\rroot\r');
  });

  it('an error while attached (the server deleted): exit 4', async () => {
    const tty = fakeTty();
    const r = run(['web-1'], tty.stdin);
    await r.waitStdout(/login: $/);
    h.sim.deleteServer(SERVER_IDS.web1);
    expectExit(await r.done, 4);
    expect(tty.modes).toEqual([true, false]);
  });

  it('the proxy closing with --no-reconnect: exit 0; --for running out: exit 0', async () => {
    const tty = fakeTty();
    const r = run(['web-1', '--no-reconnect'], tty.stdin);
    await r.waitStdout(/login: $/);
    h.sim.liveMigrate(SERVER_IDS.web1);
    expectExit(await r.done, 0);
    expect(tty.modes).toEqual([true, false]);
    const tty2 = fakeTty();
    expectExit(await run(['web-1', '--for', '1s'], tty2.stdin).done, 0);
    expect(tty2.modes).toEqual([true, false]);
  });

  it('never raw before a console is connected: a refused connect changes nothing', async () => {
    await h.sim.stop();
    const port = await closedPort();
    await h.start({ consoleBaseUrls: { serial: `ws://127.0.0.1:${port}/` } });
    const tty = fakeTty();
    expectExit(await run(['web-1'], tty.stdin).done, 7);
    expect(tty.modes).toEqual([]);
  });
});

describe('the binary', () => {
  beforeEach(async () => {
    await h.start();
  });

  it('SIGINT off a terminal: exit 130', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'console', 'attach', 'web-1'], { env: h.t.env() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil(() => out.includes('login: '));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(h.sim.serialSessions()).toHaveLength(0);
  });

  it('SIGINT while waiting for a building server, or during a handshake that never comes: exit 130 at once', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const interrupt = async (args: string[], ready: (stderr: string) => boolean) => {
      const child = spawn(process.execPath, [BIN, 'console', 'attach', ...args], { env: h.t.env() });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.resume();
      await waitUntil(() => ready(err));
      const sent = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      return { code, ms: Date.now() - sent, err };
    };
    const waiting = await interrupt(['building-vm', '--wait=1m'], (e) => /waiting for the server/.test(e));
    expect(waiting.code, waiting.err).toBe(130);
    expect(waiting.ms).toBeLessThan(1500);
    await h.sim.stop();
    // A listener that takes the connection and never answers the upgrade.
    const { createServer } = await import('node:net');
    const held: Socket[] = [];
    const hole = createServer((s) => held.push(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    onTestFinished(() => {
      for (const s of held) s.destroy();
      hole.close();
    });
    const port = (hole.address() as { port: number }).port;
    await h.start({ consoleBaseUrls: { serial: `ws://127.0.0.1:${port}/` } });
    const hung = await interrupt(['web-1'], () => held.length === 1);
    expect(hung.code, hung.err).toBe(130);
    expect(hung.ms).toBeLessThan(1500);
    // The "another client" hint is for an open connection that stays silent, not for a pending handshake.
    expect(hung.err).not.toMatch(/another client/);
  });

  it('in a terminal: raw mode, keys reach the guest, Ctrl-] quits with exit 0, stty settings restored', async () => {
    const script = `stty -g > before; ${OSCONSOLE} console attach web-1; echo "EXIT=$?"; stty -g > after; cmp before after && echo SAME`;
    const r = await runPtyCommand(
      `cd ${h.t.home} && ${script}`,
      [
        { expect: 'login: ', send: 'root\r' },
        { expect: 'Password: ', send: 'secret\r' },
        { expect: '\\$ ', send: 'echo hi\x03' },
        { expect: '\\^C', send: '\x1d' },
      ],
      h.t.env(),
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.stdout).toMatch(/Serial console of web-1 \(cdee62cc-[0-9a-f-]+\)\. Ctrl-\] quits\./);
    expect(r.stdout).toContain('Detached from web-1.');
    expect(r.stdout).toContain('EXIT=0');
    expect(r.stdout).toContain('SAME');
    // Raw: Ctrl-C went to the guest as a byte (no SIGINT), the password was not echoed by the terminal.
    expect(h.web1().received.toString()).toBe('\rroot\rsecret\recho hi\x03');
    expect(r.stdout).not.toMatch(/secret/);
  });

  it('in a terminal: an error while attached (the server deleted) restores the terminal too (exit 4)', async () => {
    const script = `stty -g > before; ${OSCONSOLE} console attach web-1; echo "EXIT=$?"; stty -g > after; cmp before after && echo SAME`;
    const run = runPtyCommand(`cd ${h.t.home} && ${script}`, [], h.t.env());
    await waitUntil(() => h.sim.serialSessions(SERVER_IDS.web1).length === 1);
    h.sim.deleteServer(SERVER_IDS.web1);
    const r = await run;
    expect(r.stdout).toMatch(/is gone \(deleted\)/);
    expect(r.stdout).toContain('EXIT=4');
    expect(r.stdout).toContain('SAME');
  });

  it('the stty check can fail: SIGKILL, which no program can handle, leaves the terminal raw', async () => {
    const script = `stty -g > before; exec 3<&0; ${OSCONSOLE} console attach web-1 0<&3 & pid=$!; sleep 3; kill -KILL $pid; wait $pid; echo "EXIT=$?"; stty -g > after; cmp -s before after && echo SAME || echo DIFFERENT; stty sane`;
    const r = await runPtyCommand(`cd ${h.t.home} && ${script}`, [], h.t.env());
    expect(r.stdout).toContain('EXIT=137');
    expect(r.stdout).toContain('DIFFERENT');
  });

  it('in a terminal: --escape ^X, and SIGTERM restores the terminal too (exit 143)', async () => {
    // Without job control sh gives a background job /dev/null as stdin unless told otherwise (POSIX "Asynchronous Lists").
    const script = `stty -g > before; exec 3<&0; ${OSCONSOLE} console attach web-1 --escape '^X' 0<&3 & pid=$!; sleep 3; kill -TERM $pid; wait $pid; echo "EXIT=$?"; stty -g > after; cmp before after && echo SAME`;
    const r = await runPtyCommand(`cd ${h.t.home} && ${script}`, [], h.t.env());
    expect(r.stdout).toContain('Ctrl-X quits');
    expect(r.stdout).toContain('EXIT=143');
    expect(r.stdout).toContain('SAME');
  });
});
