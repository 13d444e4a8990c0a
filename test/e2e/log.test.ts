/**
 * `osconsole console log` end to end against the simulator's console log
 * (test/sim/console-log.ts: Nova's `length`, ASCII and control-character
 * rules, libvirt's 100 KiB). Following runs main() in-process with a sleep the
 * test releases poll by poll and a clock that moves with it: what each poll
 * prints, and how long it asked to wait, are exact, with no real waiting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, expectExit, startMain } from '../helpers/cli.js';
import type { LiveRun } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import { waitUntil } from '../helpers/attach.js';
import { issueToken } from '../helpers/sim.js';
import type { LogEntry, SimulatorOptions } from '../sim/index.js';
import { SERVER_IDS, Simulator } from '../sim/index.js';

const env = useTestEnv();
let sim: Simulator;

async function start(opts: SimulatorOptions = {}, user: 'demo' | 'admin' | 'reader' = 'demo'): Promise<void> {
  sim = await Simulator.start(opts);
  const r = await env.t.main(['login'], sim.env(user));
  expectExit(r, 0);
  sim.clearLog();
}

afterEach(async () => {
  await sim?.stop();
});

const log = (args: string[]) => env.t.main(['console', 'log', ...args]);
const web1 = () => sim.consoleLog(SERVER_IDS.web1);
/** The os-getConsoleOutput requests, as the simulator received them. */
const outputCalls = (): LogEntry[] =>
  sim.requests('compute').filter((e) => e.method === 'POST' && e.path.endsWith('/action'));
const lengths = () =>
  outputCalls().map((e) => (e.body as { 'os-getConsoleOutput': { length?: number } })['os-getConsoleOutput'].length);

/** What Nova gives for web-1 now, as lines (the sim's own answer, fetched by the test). */
async function novaLines(serverId: string = SERVER_IDS.web1): Promise<string[]> {
  const token = await issueToken(sim, 'demo');
  const res = await fetch(`${sim.url}/compute/v2.1/servers/${serverId}/action`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: '{"os-getConsoleOutput": {}}',
  });
  const out = ((await res.json()) as { output: string }).output;
  return out.split('\n');
}

/**
 * `console log` with --follow or --until, in-process: each wait between polls is held until
 * poll() releases it; the clock moves by the wait asked for.
 */
function following(args: string[]) {
  let clock = Date.now();
  const waits: number[] = [];
  let release: (() => void) | undefined;
  const sleep = (ms: number) => {
    waits.push(ms);
    clock += ms;
    return new Promise<void>((resolve) => (release = resolve));
  };
  const run: LiveRun = startMain(['console', 'log', ...args], {
    env: env.t.env(),
    homedir: env.t.home,
    sleep,
    now: () => clock,
  });
  let finished = false;
  void run.done.then(() => (finished = true));
  const idle = () => waitUntil(() => release !== undefined || finished, 10_000);
  return {
    run,
    waits,
    /** Waits until the command waits (or ends). */
    idle,
    /** Lets one wait end, then waits until the poll after it is done. */
    async poll() {
      await idle();
      const r = release;
      release = undefined;
      r?.();
      await idle();
    },
    out: () => Buffer.from(run.stdout()).toString('utf8'),
    finished: () => finished,
  };
}

describe('console log', () => {
  it('prints the log on stdout, the escape debris removed, with one request and no microversion', async () => {
    await start();
    const r = await log(['web-1']);
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    expect(outputCalls()).toHaveLength(1);
    const [call] = outputCalls();
    expect(call?.body).toEqual({ 'os-getConsoleOutput': {} });
    expect(call?.headers['openstack-api-version']).toBeUndefined();
    const nova = await novaLines();
    expect(nova.join('\n')).toContain('[[0;32m  OK  [0m] Reached target multi-user.target');
    const want = nova.map((l) => l.replaceAll('[0;32m', '').replaceAll('[0m', '').replaceAll('[1m', ''));
    // The last element is the getty prompt, which has no line end: one is added after it.
    expect(r.stdout).toBe(`${want.join('\n')}\n`);
    expect(r.stdout).toContain('[  OK  ] Reached target multi-user.target');
  });

  it('--raw keeps what Nova gave, debris and all', async () => {
    await start();
    const r = await log(['web-1', '--raw']);
    expectExit(r, 0);
    expect(r.stdout).toBe(`${(await novaLines()).join('\n')}\n`);
  });

  it('--lines N: the last N lines, the prompt counting as one, asking Nova for N + 2', async () => {
    await start();
    const r = await log(['web-1', '-n', '3']);
    expectExit(r, 0);
    expect(r.stdout).toBe('Debian GNU/Linux 12 web-1 ttyS0\n\nweb-1 login: \n');
    expect(lengths()).toEqual([5]);
    expectExit(await log(['web-1', '--lines', '0']), 0);
    expect((await log(['web-1', '--lines', '0'])).stdout).toBe('');
  });

  it('--lines on a log that ends with a line end: the last N complete lines', async () => {
    await start();
    web1().append('root\r\n');
    const r = await log(['web-1', '-n', '2']);
    expect(r.stdout).toBe('\nweb-1 login: root\n');
  });

  it('--json: {server, lines, truncated}; truncated when --lines left lines out', async () => {
    await start();
    const all = JSON.parse((await log(['web-1', '--json'])).stdout);
    expect(all).toMatchObject({ server: { id: SERVER_IDS.web1, name: 'web-1' }, truncated: false });
    expect(all.lines.at(-1)).toBe('web-1 login: ');
    expect(all.lines).toHaveLength((await novaLines()).length);
    const two = JSON.parse((await log(['web-1', '--json', '-n', '2'])).stdout);
    expect(two).toEqual({
      server: { id: SERVER_IDS.web1, name: 'web-1' },
      lines: ['', 'web-1 login: '],
      truncated: true,
    });
    const many = JSON.parse((await log(['web-1', '--json', '-n', '500'])).stdout);
    expect(many.truncated).toBe(false);
  });

  it("text from the guest is data: Nova's U+FFFD stays, DEL is shown escaped", async () => {
    await start();
    web1().append('bell\x07 del\x7f ü\r\n');
    const r = await log(['web-1', '-n', '2']);
    expect(r.stdout).toBe('\nweb-1 login: bell del\\x7f \ufffd\ufffd\n');
  });
});

describe('--follow', () => {
  it('prints each new line once, finishing the prompt in place; Ctrl-C ends it with exit 0', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '1', '--interval', '2s']);
    await f.idle();
    expect(f.out()).toBe('web-1 login: ');
    web1().append('root\r\nPassword: ');
    await f.poll();
    expect(f.out()).toBe('web-1 login: root\nPassword: ');
    web1().append('\r\nLinux web-1 6.1.0-27-amd64\r\nroot@web-1:~# ');
    await f.poll();
    expect(f.out()).toBe('web-1 login: root\nPassword: \nLinux web-1 6.1.0-27-amd64\nroot@web-1:~# ');
    f.run.signal('SIGINT');
    await f.poll();
    const r = await f.run.done;
    expectExit(r, 0);
    // The open prompt gets its line end when the command ends.
    expect(f.out().endsWith('root@web-1:~# \n')).toBe(true);
    // The first fetch of a follow takes in 200 elements (shows 1); the polls ask for a bounded window.
    expect(lengths()).toEqual([200, 50, 50]);
  });

  it('waits longer while the log is quiet, and goes back to --interval when it moves', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0', '--interval', '1s']);
    for (let i = 0; i < 8; i++) await f.poll();
    web1().append('tick\r\n');
    await f.poll();
    await f.poll();
    expect(f.waits).toEqual([1000, 1500, 2250, 3375, 5063, 7595, 8000, 8000, 8000, 1000, 1500]);
    f.run.signal('SIGTERM');
    await f.poll();
    expectExit(await f.run.done, 0);
    // -n 0 showed nothing of the prompt; the line it was part of comes whole.
    expect(f.out()).toBe('web-1 login: tick\n');
  });

  it('more lines at once than the window: it widens until it finds where it left off, and prints each once', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0']);
    await f.idle();
    const burst = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
    web1().append(`${burst.join('\r\n')}\r\n`);
    await f.poll();
    expect(f.out()).toBe(`web-1 login: ${burst[0]}\n${burst.slice(1).join('\n')}\n`);
    // 50 lines do not reach back, 200 do not either, 800 do.
    expect(lengths()).toEqual([200, 50, 200, 800]);
    f.run.signal('SIGINT');
    await f.poll();
    expectExit(await f.run.done, 0);
  });

  it('repeated lines do not confuse it: a window full of the same line is widened until it is unambiguous', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0']);
    await f.idle();
    web1().append('\r\n');
    for (let i = 0; i < 60; i++) web1().append('.\r\n');
    await f.poll();
    for (let i = 0; i < 5; i++) web1().append('.\r\n');
    await f.poll();
    expect(f.out()).toBe(`web-1 login: \n${'.\n'.repeat(65)}`);
    expect(lengths()).toEqual([200, 50, 200, 142]);
    f.run.signal('SIGINT');
    await f.poll();
    expectExit(await f.run.done, 0);
  });

  it('the log starts again (the server moved host): a warning, then the new log from its start', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0']);
    await f.idle();
    sim.liveMigrate(SERVER_IDS.web1);
    web1().append('after the move\r\n');
    await f.poll();
    expect(f.run.stderr()).toMatch(/warning: the console log started again \(the server moved to another host/);
    expect(f.out()).toBe('after the move\n');
    f.run.signal('SIGINT');
    await f.poll();
    expectExit(await f.run.done, 0);
  });

  it('more than 100 KiB between two polls: a warning that lines may be missing, then what Nova still has', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0']);
    await f.idle();
    const lines = Array.from({ length: 1500 }, (_, i) => `row ${String(i).padStart(5, '0')} ${'='.repeat(80)}`);
    web1().append(`\r\n${lines.join('\r\n')}\r\n`);
    await f.poll();
    expect(f.run.stderr()).toMatch(/more than Nova keeps of a console log \(its last 100 KiB\) came between two polls/);
    const out = f.out().split('\n');
    // The newest lines all arrived, in order, once; the oldest are gone from Nova.
    expect(out.at(-2)).toBe(lines.at(-1));
    expect(out.filter((l) => l === lines[1400])).toHaveLength(1);
    expect(out).not.toContain(lines[0]);
    f.run.signal('SIGINT');
    await f.poll();
    expectExit(await f.run.done, 0);
  });

  it('--json: one {"line"} object per line (JSON Lines)', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0', '--json']);
    await f.idle();
    web1().append('root\r\nPassword: \r\n');
    await f.poll();
    f.run.signal('SIGINT');
    await f.poll();
    expectExit(await f.run.done, 0);
    expect(
      f
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ line: 'web-1 login: root' }, { line: 'Password: ' }]);
  });
});

describe('--until', () => {
  it('a line already there matches in the first poll: exit 0 after one request, printed through it', async () => {
    await start();
    const r = await log(['web-1', '--until', 'cloud-init\\[\\d+\\]: .* finished']);
    expectExit(r, 0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^\[ +9\.\d+\] cloud-init\[611\]: Cloud-init v\. 22\.4\.2 finished/,
    );
    expect(r.stdout).not.toContain('login:');
    expect(outputCalls()).toHaveLength(1);
  });

  it('with --follow, a line in a later poll: printed through it and not one line more, exit 0', async () => {
    await start();
    const f = following(['web-1', '-f', '-n', '0', '--until', '^READY \\d+$']);
    await f.idle();
    web1().append('booting\r\n');
    await f.poll();
    web1().append('READY 42\r\nafter\r\n');
    await f.poll();
    const r = await f.run.done;
    expectExit(r, 0);
    expect(f.out()).toBe('web-1 login: booting\nREADY 42\n');
  });

  it('without --follow: quiet until the line comes, then the log through it', async () => {
    await start();
    const f = following(['web-1', '-n', '1', '--until', 'Password:']);
    await f.idle();
    expect(f.out()).toBe('');
    web1().append('root\r\nPass');
    await f.poll();
    expect(f.out()).toBe('');
    web1().append('word: ');
    await f.poll();
    const r = await f.run.done;
    expectExit(r, 0);
    // The prompt matched while still being written, as a "login:" prompt does.
    expect(f.out()).toBe('web-1 login: root\nPassword: \n');
  });

  it('--for runs out first: exit 124 naming the pattern, the log as it stands on stdout', async () => {
    await start();
    const f = following(['web-1', '-n', '1', '--until', 'never', '--for', '10s', '--interval', '2s']);
    for (let i = 0; i < 6; i++) await f.poll();
    const r = await f.run.done;
    expectExit(r, 124);
    expect(r.stderr).toMatch(
      /^osconsole: no line of the console log of "web-1" \(cdee62cc-[0-9a-f-]+\) matched \/never\/ within 10s; wait longer with --for/m,
    );
    expect(f.out()).toBe('web-1 login: \n');
    // 2 + 3 + 4.5 s, then the 0.5 s left.
    expect(f.waits).toEqual([2000, 3000, 4500, 500]);
  });

  it('a signal before the line came: exit 130 (SIGINT) or 143 (SIGTERM)', async () => {
    await start();
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const f = following(['web-1', '-f', '--until', 'never']);
      await f.idle();
      f.run.signal(sig);
      await f.poll();
      const r = await f.run.done;
      expectExit(r, code);
      expect(r.stderr).toMatch(new RegExp(`stopped by ${sig} before a line matched /never/`));
    }
  });

  it('--wait: a server still building is waited for, then its boot is followed to the login prompt', async () => {
    await start({ bootLineMs: 5 });
    sim.nova.RegionOne.finishBuild(SERVER_IDS.building, 2);
    const f = following(['building-vm', '--wait', '--follow', '--until', 'login: $', '--interval', '1s']);
    // The boot plays in real time (a line every 5 ms): let it, poll by poll.
    for (let i = 0; i < 100 && !f.finished(); i++) {
      await new Promise((r) => setTimeout(r, 10));
      await f.poll();
    }
    const r = await f.run.done;
    expectExit(r, 0);
    expect(f.out()).toMatch(/^\[ +0\.000000\] Linux version/);
    expect(f.out()).toMatch(/\nbuilding-vm login: \n$/);
    expect(f.out().match(/Linux version/g)).toHaveLength(1);
  });
});

describe("Nova's refusals", () => {
  it.each([
    [
      'no console device: 404, exit 4',
      'stopped-vm',
      4,
      /has no console log \(yet\): Guest does not have a console available\./,
    ],
    [
      'no host yet: 409, exit 5, --wait named',
      'building-vm',
      5,
      /has no console log yet: Instance .* is not ready .*--wait waits until it is ACTIVE/,
    ],
    [
      'a driver without console output: 501, exit 6',
      'vnc-only-vm',
      6,
      /does not keep a console log \(501 Not Implemented\)/,
    ],
  ])('%s', async (_what, server, code, message) => {
    await start();
    sim.consoleLog(SERVER_IDS.stopped).available = false;
    const r = await log([server]);
    expectExit(r, code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('a server id Nova does not know: exit 4, "no server … visible", as console get says', async () => {
    await start();
    const r = await log(['5b2d7c6e-7e0b-4c3b-9d57-0d9e5a1f0c11']);
    expectExit(r, 4);
    expect(r.stderr).toBe(
      'osconsole: no server 5b2d7c6e-7e0b-4c3b-9d57-0d9e5a1f0c11 visible to this session; check the id, the project (--os-project-name) and the region (--os-region-name)\n',
    );
  });

  it('a reader: 403, exit 8, the policy and the role it needs', async () => {
    await start({}, 'reader');
    const r = await log(['web-1']);
    expectExit(r, 8);
    expect(r.stderr).toMatch(/os_compute_api:os-console-output needs the member role/);
  });

  it.each([
    [['web-1', '--for', '5s'], /--for bounds --follow or --until/],
    [['web-1', '-n', 'x'], /a whole number of lines/],
    [['web-1', '--until', '('], /not a regular expression/],
    [['web-1', '-f', '--interval', '0s'], /--interval must be more than 0/],
  ])('%j: exit 2 before any request', async (args, message) => {
    await start();
    const r = await log(args);
    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
    expect(outputCalls()).toHaveLength(0);
  });
});

describe('the binary', () => {
  /** `osconsole console log …` as a child process, with its output as it comes. */
  function child(args: string[]) {
    const p = spawn(process.execPath, [BIN, 'console', 'log', ...args], { env: env.t.env() });
    const io = { stdout: '', stderr: '' };
    p.stdout.setEncoding('utf8').on('data', (d: string) => (io.stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (io.stderr += d));
    const exit = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    return { p, io, exit };
  }

  it('--follow prints lines as the guest writes them; SIGINT ends it with exit 0 and nothing on stderr', async () => {
    await start();
    const c = child(['web-1', '-f', '-n', '1', '--interval', '100ms']);
    await waitUntil(() => c.io.stdout === 'web-1 login: ');
    web1().append('root\r\n');
    await waitUntil(() => c.io.stdout === 'web-1 login: root\n');
    c.p.kill('SIGINT');
    expect(await c.exit).toBe(0);
    expect(c.io.stderr).toBe('');
  });

  it('--until still waiting: SIGTERM is exit 143, one line on stderr', async () => {
    await start();
    const c = child(['web-1', '-f', '--until', 'never', '--interval', '100ms']);
    await waitUntil(() => c.io.stdout.endsWith('web-1 login: '));
    c.p.kill('SIGTERM');
    expect(await c.exit).toBe(143);
    expect(c.io.stderr).toBe('osconsole: stopped by SIGTERM before a line matched /never/\n');
  });

  it('a reader that goes away (| head -1) is no error: exit 0', async () => {
    await start();
    // The simulator runs in this process: the pipeline must not block it (no spawnSync).
    const p = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" console log web-1 | head -1`], {
      env: env.t.env(),
    });
    const r = { stdout: '', stderr: '', status: null as number | null };
    p.stdout.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
    r.status = await new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\[ +0\.000000\] Linux version/);
    expect(r.stderr).toBe('');
  });
});
