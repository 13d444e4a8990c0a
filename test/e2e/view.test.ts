/**
 * `osconsole console view` for spice-direct, end to end against the
 * simulator's spice-direct proxy (Kerbside's answers): the file fetched
 * without credentials, --print, --vv, --direct, and the viewer started with
 * the file on stdin (a fake `remote-viewer` on PATH that records what it got).
 * The VNC path (the tunnel) is in tunnel.test.ts; the real remote-viewer runs
 * under Xvfb in the real-OpenStack tier.
 */
import { chmodSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectExit, startMain } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import type { TestEnv } from '../helpers/env.js';
import { closedPort, waitUntil } from '../helpers/attach.js';
import type { LogEntry } from '../sim/index.js';
import { SERVER_IDS, Simulator } from '../sim/index.js';
import { parseVv, vvEntries } from '../../src/viewer/vv.js';

const env = useTestEnv();
let sim: Simulator;
let t: TestEnv;

async function start(opts: Parameters<typeof Simulator.start>[0] = {}, user: 'demo' | 'admin' = 'demo') {
  sim = await Simulator.start(opts);
  t = env.t;
  const r = await t.main(['login'], sim.env(user));
  expect(r.code, r.stderr).toBe(0);
  sim.clearLog();
}

beforeEach(() => () => sim?.stop());

/** A fake remote-viewer: records its arguments and stdin in DIR, prints a line on stderr, exits with CODE. */
function fakeViewer(name = 'remote-viewer', code = 0): { dir: string; argv: () => string[]; stdin: () => string } {
  const dir = join(t.home, 'bin');
  t.write(`bin/${name}`, '');
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\necho "${name}: fake viewer ran" >&2\nexit ${code}\n`,
  );
  chmodSync(path, 0o755);
  return {
    dir,
    argv: () => readFileSync(join(dir, 'argv'), 'utf8').trimEnd().split('\n'),
    stdin: () => readFileSync(join(dir, 'stdin'), 'utf8'),
  };
}

function envWith(dir: string, extra: Record<string, string | undefined> = {}) {
  return { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, DISPLAY: ':99', ...extra };
}

const proxyGets = (): LogEntry[] =>
  sim.requests('console').filter((e) => e.method === 'GET' && e.path.startsWith('/console/spice-direct'));
const created = () => sim.requests('compute').filter((e) => e.method === 'POST' && /remote-consoles$/.test(e.path));

/** What the proxy serves for the URL view fetched (tokens stay valid): the file view must pass on as is. */
async function servedFile(): Promise<string> {
  const [get] = proxyGets();
  const res = await fetch(`${sim.url}${get?.path}${get?.search}`);
  return res.text();
}

/** Two fetches of one console's file: equal but for the proxy's fresh ticket and session number. */
function sameFile(a: string, b: string): boolean {
  const norm = (vv: string) => vv.replace(/^password=.+$/m, 'password=').replace(/session ID \d+/, 'session ID');
  return a !== b && norm(a) === norm(b);
}

describe('spice-direct through the proxy', () => {
  it("--print: the proxy's file on stdout, fetched with no credentials, after one 2.99 console", async () => {
    await start();
    const r = await t.main(['console', 'view', 'web-1', '--print']);
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    const vv = vvEntries(parseVv(r.stdout));
    expect(vv.get('type')).toBe('spice');
    // Kerbside's file: its key order, its CA with the newlines escaped.
    expect([...vv.keys()].slice(0, 6)).toEqual(['type', 'host', 'port', 'tls-port', 'password', 'delete-this-file']);
    expect(vv.get('ca')).toMatch(/^-----BEGIN CERTIFICATE-----\n.*\n-----END CERTIFICATE-----\n$/s);
    // Each fetch mints a new proxy ticket: what the test fetches again differs only there.
    expect(sameFile(r.stdout, await servedFile())).toBe(true);
    const [post] = created();
    expect(post?.body).toEqual({ remote_console: { protocol: 'spice', type: 'spice-direct' } });
    expect(post?.headers['openstack-api-version']).toBe('compute 2.99');
    const [get] = proxyGets();
    expect(get?.headers['x-auth-token']).toBeUndefined();
    expect(get?.headers.accept).toBe('application/x-virt-viewer');
    // No token lookup: the proxy's file is enough.
    expect(sim.requests('compute').some((e) => e.path.includes('os-console-auth-tokens'))).toBe(false);
  });

  it('--vv FILE: written 0600 (an existing 0644 file too), nothing on stdout', async () => {
    await start();
    const file = t.write('web-1.vv', 'old');
    chmodSync(file, 0o644);
    const r = await t.main(['console', 'view', 'web-1', '--vv', file]);
    expectExit(r, 0);
    expect(r.stdout).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(sameFile(readFileSync(file, 'utf8'), await servedFile())).toBe(true);
    expect(r.stderr).toContain(`Wrote ${file} (mode 0600)`);
  });

  it('--vv into a directory that does not exist: exit 2, one line', async () => {
    await start();
    const r = await t.main(['console', 'view', 'web-1', '--vv', join(t.home, 'no', 'such', 'a.vv')]);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/^osconsole: cannot write .*a\.vv: ENOENT\n$/);
  });

  it('starts remote-viewer with "-" and the file on stdin; its output goes to stderr; its exit ends the command', async () => {
    await start();
    const v = fakeViewer();
    const r = await t.main(['console', 'view', 'web-1'], envWith(v.dir));
    expectExit(r, 0);
    expect(v.argv()).toEqual(['-']);
    expect(sameFile(v.stdin(), await servedFile())).toBe(true);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('remote-viewer: fake viewer ran');
    expect(r.stderr).toMatch(/Started remote-viewer for the SPICE console of "web-1" .*through the spice-direct proxy/);
    // The password went to the viewer's stdin only: not to osconsole's config directory.
    const password = vvEntries(parseVv(v.stdin())).get('password') as string;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(t.sessions())).not.toContain(password);
  });

  it('--viewer CMD, then OSCONSOLE_SPICE_VIEWER, choose the viewer, with its own arguments first', async () => {
    await start();
    const v = fakeViewer('my-viewer');
    let r = await t.main(['console', 'view', 'web-1', '--viewer', 'my-viewer --full-screen'], envWith(v.dir));
    expectExit(r, 0);
    expect(v.argv()).toEqual(['--full-screen', '-']);
    r = await t.main(['console', 'view', 'web-1'], envWith(v.dir, { OSCONSOLE_SPICE_VIEWER: 'my-viewer -k' }));
    expectExit(r, 0);
    expect(v.argv()).toEqual(['-k', '-']);
  });

  it('a viewer that fails is exit 1 naming its status; a missing one is exit 2 with a hint', async () => {
    await start();
    const v = fakeViewer('remote-viewer', 3);
    let r = await t.main(['console', 'view', 'web-1'], envWith(v.dir));
    expectExit(r, 1);
    expect(r.stderr).toMatch(/osconsole: remote-viewer exited with status 3\n/);
    r = await t.main(['console', 'view', 'web-1'], { PATH: '/nonexistent', DISPLAY: ':99' });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/remote-viewer not found \(default\); install virt-viewer, or use --viewer CMD/);
  });

  it('no display: exit 2 before any request, pointing at --vv and --print', async () => {
    await start();
    const r = await t.main(['console', 'view', 'web-1'], { DISPLAY: undefined, WAYLAND_DISPLAY: undefined });
    expectExit(r, 2);
    expect(r.stderr).toMatch(/no display for remote-viewer .*--vv FILE or --print/);
    expect(sim.log).toHaveLength(0);
  });

  it('a signal ends the viewer and the command (exit 0), leaving no viewer behind', async () => {
    await start();
    const dir = join(t.home, 'bin');
    t.write('bin/remote-viewer', `#!/bin/sh\necho $$ > "${dir}/pid"\ncat >/dev/null\nexec sleep 60\n`);
    chmodSync(join(dir, 'remote-viewer'), 0o755);
    const run = startMain(['console', 'view', 'web-1'], { env: t.env(envWith(dir)), homedir: t.home });
    await run.waitStderr(/Started remote-viewer/);
    await waitUntil(() => existsSync(join(dir, 'pid')));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    run.signal('SIGTERM');
    const r = await run.done;
    expectExit(r, 0);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('--debug shows the file with its password redacted', async () => {
    await start();
    const r = await t.main(['console', 'view', 'web-1', '--print', '--debug']);
    expectExit(r, 0);
    expect(r.stderr).toContain('debug: virt-viewer file:');
    const password = vvEntries(parseVv(r.stdout)).get('password') as string;
    expect(password.length).toBeGreaterThan(8);
    expect(r.stderr).toContain('password=***');
    expect(r.stderr).not.toContain(password);
  });
});

describe("the proxy's refusals", () => {
  it('404 "nova token not found" (Kerbside\'s JSON): exit 4, the proxy\'s words and a hint', async () => {
    await start();
    sim.addFault({
      match: { service: 'console', path: /^\/console\/spice-direct\// },
      action: {
        kind: 'status',
        status: 404,
        contentType: 'application/json',
        body: '{"error": "nova token not found", "status": 404}',
      },
    });
    const r = await t.main(['console', 'view', 'web-1', '--print']);
    expectExit(r, 4);
    expect(r.stderr).toBe(
      'osconsole: the spice-direct proxy does not know this console token (404 "nova token not found"); the token may have expired, or the proxy checks tokens against another cloud\n',
    );
    expect(r.stdout).toBe('');
  });

  it('nothing listens at the proxy: exit 7, naming the spice-direct proxy and its nova.conf option, not the auth URL', async () => {
    const port = await closedPort();
    await start({ consoleBaseUrls: { 'spice-direct': `http://127.0.0.1:${port}/nova` } });
    const r = await t.main(['console', 'view', 'web-1', '--print']);
    expectExit(r, 7);
    expect(r.stderr).toMatch(
      new RegExp(
        `^osconsole: connection refused by 127\\.0\\.0\\.1:${port} \\(GET http://127\\.0\\.0\\.1:${port}/nova\\?token=<redacted sha256:[0-9a-f]{8}>\\); the spice-direct proxy \\(Kerbside\\) must be running there: nova\\.conf \\[spice\\] spice_direct_proxy_base_url names it\n$`,
      ),
    );
    expect(r.stdout).toBe('');
  });

  it('a page that is not a virt-viewer file: exit 1, saying so', async () => {
    await start();
    sim.addFault({
      match: { service: 'console', path: /^\/console\/spice-direct\// },
      action: { kind: 'status', status: 200, contentType: 'text/html', body: '<html><body>Login</body></html>' },
    });
    const r = await t.main(['console', 'view', 'web-1', '--print']);
    expectExit(r, 1);
    expect(r.stderr).toMatch(/did not answer a virt-viewer file: line 1 is neither/);
  });
});

describe('--direct (admins): the hypervisor ports from the token lookup', () => {
  it('builds the file from host, port and tls-port, no password; --spice-ca adds the CA with escaped newlines', async () => {
    await start({}, 'admin');
    const ca = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n';
    const caFile = t.write('ca.pem', ca);
    const r = await t.main(['console', 'view', 'web-1', '--all-projects', '--direct', '--spice-ca', caFile, '--print']);
    expectExit(r, 0);
    const vv = vvEntries(parseVv(r.stdout));
    const lookup = sim.requests('compute').find((e) => e.path.includes('/os-console-auth-tokens/'));
    const record = sim.consoleToken(lookup?.path.split('/').pop() ?? '');
    expect(record).toBeDefined();
    expect(vv.get('host')).toBe(record?.host);
    expect(vv.get('port')).toBe(String(record?.port));
    expect(vv.get('tls-port')).toBe(String(record?.tlsPort));
    expect(vv.has('password')).toBe(false);
    expect(vv.get('ca')).toBe(ca.trim());
    expect(r.stdout).toContain('ca=-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIUQ\\n-----END CERTIFICATE-----\n');
    expect(vv.get('title')).toBe(`"web-1" (${SERVER_IDS.web1}) (direct)`);
    // The proxy is bypassed.
    expect(proxyGets()).toHaveLength(0);
  });

  it('as a member: exit 8, the token lookup is for admins', async () => {
    await start();
    const r = await t.main(['console', 'view', 'web-1', '--direct', '--print']);
    expectExit(r, 8);
    expect(r.stderr).toMatch(/only admins may inspect console tokens/);
  });
});

describe('choosing the console', () => {
  it('auto on a cloud below 2.99 falls back to novnc, where --print has nothing to print: exit 6', async () => {
    await start({ computeMaxVersion: '2.96' });
    const r = await t.main(['console', 'view', 'web-1', '--print']);
    expectExit(r, 6);
    expect(r.stderr).toMatch(
      /has no spice-direct console here .*--vv and --print need one; for VNC, use console tunnel/,
    );
    expect(created()).toHaveLength(0);
  });

  it('--type spice-direct on a cloud below 2.99: exit 6 naming the microversion', async () => {
    await start({ computeMaxVersion: '2.96' });
    const r = await t.main(['console', 'view', 'web-1', '--type', 'spice-direct', '--print']);
    expectExit(r, 6);
    expect(r.stderr).toMatch(/2\.99/);
  });

  it.each([
    [['--vv', 'a.vv', '--print'], /--vv and --print both say where the file goes/],
    [['--print', '--viewer', 'x'], /--viewer starts a viewer; --vv and --print write the file instead/],
    [['--spice-ca', 'ca.pem'], /--spice-ca goes with --direct/],
    [['--type', 'novnc', '--direct'], /are for spice-direct consoles, not novnc/],
    [['--type', 'vnc'], /argument 'vnc' is invalid/],
  ])('usage: %j is exit 2 before any request', async (args, message) => {
    await start();
    const r = await t.main(['console', 'view', 'web-1', ...args]);
    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
    expect(sim.log).toHaveLength(0);
  });
});
