/**
 * Output and the shell (issue 10): closed pipes and full disks on stdout,
 * cloud text with terminal control sequences, ASCII output for non-UTF-8
 * locales and TERM=dumb, and openstackclient's console flags.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import type { TestEnv } from '../helpers/env.js';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import type { Simulator } from '../sim/index.js';
import { PROJECT_IDS, ROLE_IDS, SERVER_IDS, USER_IDS } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

async function login(
  t: TestEnv,
  sim: Simulator,
  user: 'demo' | 'admin' = 'demo',
  extra: Record<string, string | undefined> = {},
) {
  const r = await t.main(['login'], { ...sim.env(user), ...extra });
  expect(r.code, r.stderr).toBe(0);
}

/** Runs the binary with stdout on a pipe whose reader is already gone, or on a file such as /dev/full. */
function runWithStdout(t: TestEnv, args: string[], stdout: 'closed-pipe' | string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const fd = stdout === 'closed-pipe' ? 'pipe' : openSync(stdout, 'w');
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: t.env(), stdio: ['ignore', fd, 'pipe'] });
    if (typeof fd === 'number') closeSync(fd);
    // Closing our end before the child writes makes every write of the child fail with EPIPE.
    child.stdout?.destroy();
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === 'SIGPIPE' ? 141 : 128), stdout: '', stderr }),
    );
  });
}

/** Runs `osconsole ARGS | READER` in bash; code is osconsole's own status (PIPESTATUS[0]). */
function runPiped(t: TestEnv, args: string[], reader: string): Promise<CliResult> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `"${process.execPath}" "${BIN}" ${quoted} | ${reader}; echo "status=\${PIPESTATUS[0]}" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: t.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', () => {
      const m = /status=(\d+)\n$/.exec(stderr);
      resolve({ code: m ? Number(m[1]) : -1, stdout, stderr: stderr.replace(/status=\d+\n$/, '') });
    });
  });
}

const STACK = /\n\s+at |node:events|Unhandled 'error'|EPIPE/;

describe('closed pipes and write errors on stdout', () => {
  it('a reader that is gone before the first write: exit 0, nothing on stderr (status, --help, console get --json)', async () => {
    await login(env.t, ctx.sim);
    // The runs are independent processes: at once, so their start-ups overlap.
    const all = [['status'], ['--help'], ['console', 'get', 'web-1', '--json']];
    const results = await Promise.all(all.map((args) => runWithStdout(env.t, args, 'closed-pipe')));
    for (const [i, args] of all.entries()) {
      const r = results[i]!;
      expect(r.stderr, args.join(' ')).not.toMatch(STACK);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('`| head -1` and `| head -c1` end quietly: status, --help, console inspect, console get --json', async () => {
    await login(env.t, ctx.sim, 'admin');
    const get = await env.t.main(['console', 'get', 'web-1', '--all-projects']);
    expect(get.code, get.stderr).toBe(0);
    const url = get.stdout.trim();
    const cases: Array<[string[], string]> = [
      [['status'], 'head -1'],
      [['--help'], 'head -1'],
      [['console', 'inspect', url], 'head -1'],
      [['console', 'get', 'web-1', '--all-projects', '--json'], 'head -c1'],
      // A reader that closes at once: the write certainly meets EPIPE.
      [['--help'], '(exec 0<&-; sleep 0.3)'],
      [['status'], '(exec 0<&-; sleep 0.3)'],
    ];
    const results = await Promise.all(cases.map(([args, reader]) => runPiped(env.t, args, reader)));
    for (const [i, [args, reader]] of cases.entries()) {
      const r = results[i]!;
      expect(r.stderr, `${args.join(' ')} | ${reader}`).toBe('');
      expect(r.code, `${args.join(' ')} | ${reader}: ${r.stderr}`).toBe(0);
    }
    // Several writes (field<TAB>value lines) after the pipe broke: still quiet.
    const inspect = await runWithStdout(env.t, ['console', 'inspect', url], 'closed-pipe');
    expect(inspect.stderr).toBe('');
    expect(inspect.code, inspect.stderr).toBe(0);
  });

  it('stdout on a full disk: exit 1 and one line naming the error, for every command including --version and --help', async () => {
    await login(env.t, ctx.sim);
    const line = 'osconsole: cannot write to stdout: no space left on device (ENOSPC)\n';
    const all = [
      ['--version'],
      ['--help'],
      ['status'],
      ['status', '--json'],
      ['console', 'get', 'web-1'],
      ['console', 'get', 'web-1', '--json'],
    ];
    const results = await Promise.all(all.map((args) => runWithStdout(env.t, args, '/dev/full')));
    for (const [i, args] of all.entries()) {
      const r = results[i]!;
      expect(r.stderr, args.join(' ')).toBe(line);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
    }
  });
});

// ESC ] 0 ; title BEL retitles the terminal, ESC [ 2 J clears it; CSI as one C1 byte; a bidi override.
const EVIL = 'evil\u001b]0;pwned\u0007\u001b[2J\u009b2J\u202e';
const EVIL_IDS = ['e0e0e0e0-0000-4000-8000-000000000001', 'e0e0e0e0-0000-4000-8000-000000000002'];
/** Twins: a name an argument can carry (Nova's names are printable), with hostile text in what the cloud says about them. */
const TWIN = 'evil-twin';
const TWIN_IDS = ['e0e0e0e0-0000-4000-8000-000000000003', 'e0e0e0e0-0000-4000-8000-000000000004'];
const EVIL_PROJECT_ID = 'e0e0e0e0e0e04000800000000000000a';
/** Terminal controls that must never come from cloud text (tab and newline are ours). */
// eslint-disable-next-line no-control-regex -- the controls are what is looked for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** In a pty the prompts draw with their own escapes; these are the ones only cloud text could bring. */
// eslint-disable-next-line no-control-regex -- as above
const INJECTED = /\u001b\]0;pwned|\u0007|\u001b\[2J|\u009b|\u202e/;

describe('cloud text is escaped on every stream', () => {
  beforeAll(() => {
    const nova = ctx.sim.nova.RegionOne;
    const web1 = nova.servers.find((s) => s.id === SERVER_IDS.web1)!;
    // Two servers with the hostile name (the duplicate picker), in the demo project.
    EVIL_IDS.forEach((id, i) =>
      nova.servers.push({ ...web1, id, name: EVIL, slot: 10 + i, created: `2026-01-06T0${i}:00:00Z` }),
    );
    TWIN_IDS.forEach((id, i) =>
      nova.servers.push({
        ...web1,
        id,
        name: TWIN,
        status: `ACTIVE${EVIL}` as 'ACTIVE',
        slot: 20 + i,
        created: `2026-01-07T0${i}:00:00Z`,
      }),
    );
    // A project with the hostile name, for the project picker, the success line and status.
    ctx.sim.identity.projects.push({
      ...ctx.sim.identity.projects.find((p) => p.id === PROJECT_IDS.other)!,
      id: EVIL_PROJECT_ID,
      name: EVIL,
    });
    ctx.sim.identity.assignments.push({
      user_id: USER_IDS.noproj,
      role_id: ROLE_IDS.member,
      project_id: EVIL_PROJECT_ID,
    });
    ctx.sim.identity.assignments.push({
      user_id: USER_IDS.demo,
      role_id: ROLE_IDS.member,
      project_id: EVIL_PROJECT_ID,
    });
  });

  it('a "did you mean" suggestion and the duplicate-name error escape the name', async () => {
    await login(env.t, ctx.sim);
    const near = await env.t.main(['console', 'get', 'evil']);
    expect(near.code, near.stderr).toBe(4);
    expect(near.stderr).toMatch(/did you mean .*"evil\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b2J\\u202e"/);
    expect(near.stderr).not.toMatch(CONTROL);
    const dup = await env.t.main(['console', 'get', TWIN]);
    expect(dup.code, dup.stderr).toBe(2);
    expect(dup.stderr).toContain(TWIN_IDS[0]);
    expect(dup.stderr).toContain('ACTIVEevil\\x1b]0;pwned');
    expect(dup.stderr).not.toMatch(CONTROL);
  });

  it('a Nova fault message with escapes is escaped in the error line', async () => {
    await login(env.t, ctx.sim);
    ctx.sim.addFault({
      match: { method: 'POST', path: /remote-consoles$/ },
      action: {
        kind: 'status',
        status: 409,
        body: JSON.stringify({ conflictingRequest: { code: 409, message: `Cannot get console: ${EVIL}` } }),
      },
    });
    const r = await env.t.main(['console', 'get', SERVER_IDS.web1]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('Cannot get console: evil\\x1b]0;pwned');
    expect(r.stderr).not.toMatch(CONTROL);
  });

  it('project names: the success line, status as TSV and JSON (C1 and bidi escaped too)', async () => {
    await login(env.t, ctx.sim, 'demo', { OS_PROJECT_NAME: EVIL });
    const s = await env.t.main(['status']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('evil\\x1b]0;pwned');
    expect(s.stdout + s.stderr).not.toMatch(CONTROL);
    const j = await env.t.main(['status', '--json']);
    expect(j.stdout).not.toMatch(CONTROL);
    expect((JSON.parse(j.stdout) as { sessions: Array<{ project: { name: string } }> }).sessions[0]!.project.name).toBe(
      EVIL,
    );
  });

  it('on a terminal: the project picker, the status table and the duplicate-server picker', async () => {
    const picker = await env.t.pty(
      ['login'],
      [
        { expect: 'Password', send: 'noprojpass\r' },
        { expect: 'Project', send: '\r' },
      ],
      { OS_AUTH_URL: ctx.sim.authUrl, OS_USERNAME: 'noproj', OS_USER_DOMAIN_NAME: 'Default' },
    );
    expect(picker.failedStep, picker.stdout).toBeNull();
    expect(picker.stdout).toContain('evil\\x1b]0;pwned');
    expect(picker.stdout).not.toMatch(INJECTED);

    await login(env.t, ctx.sim, 'demo', { OS_PROJECT_NAME: EVIL });
    const table = await env.t.pty(['status'], []);
    expect(table.code, table.stdout).toBe(0);
    expect(table.stdout).toContain('evil\\x1b]0;pwned');
    expect(table.stdout).not.toMatch(INJECTED);

    await login(env.t, ctx.sim);
    const dup = await env.t.pty(['console', 'get', TWIN], [{ expect: 'which one', send: '\r' }]);
    expect(dup.failedStep, dup.stdout).toBeNull();
    expect(dup.code, dup.stdout).toBe(0);
    expect(dup.stdout).toContain('evil\\x1b]0;pwned');
    expect(dup.stdout).not.toMatch(INJECTED);
  });
});

describe('ASCII for a non-UTF-8 locale or TERM=dumb', () => {
  const BOX = /[┌┐└┘─│┼├┤┬┴✓✗…→←–]/;
  /** Without colour (SGR) sequences: a pty shows colour unless TERM=dumb. */
  // eslint-disable-next-line no-control-regex -- SGR sequences start with ESC
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

  /** In-process with terminal streams, as a pty would give (TERM=xterm); the picker test below uses a real one. */
  const onTerminal = (args: string[], extra: Record<string, string | undefined>) =>
    env.t.main(args, { TERM: 'xterm', ...extra }, { tty: true });

  it.each([
    ['LC_ALL=C', { LC_ALL: 'C' }],
    ['LANG=C', { LANG: 'C' }],
    ['LC_CTYPE=POSIX over LANG=C.UTF-8', { LC_CTYPE: 'POSIX' }],
    ['no locale variables at all', { LANG: undefined }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ])(
    '%s: the status table and the success mark are ASCII',
    async (_label, extra: Record<string, string | undefined>) => {
      const r = await onTerminal(['login'], { ...ctx.sim.env('demo'), ...extra });
      expect(r.code, r.stderr).toBe(0);
      expect(plain(r.stderr)).toMatch(/^OK Logged in/m);
      const s = await onTerminal(['status'], extra);
      expect(s.code, s.stderr).toBe(0);
      expect(plain(s.stdout)).toMatch(/^\+-+\+/m);
      expect(plain(s.stdout)).toMatch(/^\| +\| CLOUD/m);
      expect(s.stdout + s.stderr).not.toMatch(BOX);
    },
  );

  it('LC_ALL=C in a real terminal: the status table, and the duplicate-server picker (cursor, prefix, key help)', async () => {
    await login(env.t, ctx.sim);
    const s = await env.t.pty(['status'], [], { LC_ALL: 'C' });
    expect(s.code, s.stdout).toBe(0);
    expect(plain(s.stdout)).toMatch(/^\+-+\+/m);
    expect(s.stdout).not.toMatch(BOX);
    const r = await env.t.pty(['console', 'get', 'dup'], [{ expect: 'which one', send: '\r' }], { LC_ALL: 'C' });
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.code, r.stdout).toBe(0);
    expect(plain(r.stdout)).toMatch(/^> dup /m);
    expect(r.stdout).toMatch(/up\/down navigate/);
    expect([...r.stdout].filter((c) => c.charCodeAt(0) > 0x7f)).toEqual([]);
  });

  it('LC_ALL=C.UTF-8 over LANG=C, or LC_ALL empty and LC_CTYPE=en_US.utf8: box drawing as before', async () => {
    for (const extra of [
      { LC_ALL: 'C.UTF-8', LANG: 'C' },
      { LC_ALL: '', LC_CTYPE: 'en_US.utf8', LANG: 'C' },
    ]) {
      const r = await onTerminal(['login'], { ...ctx.sim.env('demo'), ...extra });
      expect(plain(r.stderr)).toMatch(/✓ Logged in/);
      const s = await onTerminal(['status'], extra);
      expect(s.stdout).toMatch(/┌─+┬/);
    }
  });
});

describe("openstackclient's console flags on console get", () => {
  it.each([
    ['--novnc', 'novnc'],
    ['--spice', 'spice-html5'],
    ['--spice-direct', 'spice-direct'],
    ['--serial', 'serial'],
    ['--mks', 'webmks'],
    ['--xvpvnc', 'xvpvnc'],
    ['--rdp', 'rdp-html5'],
  ])('%s: exit 2, one line naming --type %s, no request', async (flag, type) => {
    const r = await env.t.main(['console', 'get', 'web-1', flag], ctx.sim.env('demo'));
    expect(r.stderr).toBe(`osconsole: unknown option '${flag}'; use --type ${type}\n`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(ctx.sim.requests()).toEqual([]);
  });

  it("other unknown options keep commander's message and suggestion", async () => {
    const r = await env.t.main(['console', 'get', 'web-1', '--jsn']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^osconsole: unknown option '--jsn' \(Did you mean --json\?\)/);
  });
});
