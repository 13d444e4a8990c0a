/**
 * `osconsole console check` end to end against the simulator's console
 * proxies (nova's and websockify's rules: test/sim/serial-proxy.ts,
 * ws-server.ts): each healthy proxy passes every step, each broken variant
 * fails at the step and with the cause the README promises, and the exit
 * status is the first failure's.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { closedPort, useAttach } from '../helpers/attach.js';
import { expectExit } from '../helpers/cli.js';
import { selfSigned } from '../helpers/tls.js';

const h = useAttach();
const ADMIN = { OS_USERNAME: 'admin', OS_PASSWORD: 'secret', OS_PROJECT_NAME: 'admin' };

/** The TSV lines as [step, ok|fail, detail]. */
function rows(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

function check(args: string[], opts: { tty?: boolean } = {}) {
  return h.t.main(['console', 'check', ...args], {}, opts);
}

describe('serial', () => {
  it('a healthy proxy: the upgrade, then the guest answers "\\r"; a member gets a note instead of the token step', async () => {
    await h.start();
    const r = await check(['web-1', '--type', 'serial']);
    expectExit(r, 0);
    expect(rows(r.stdout)).toEqual([
      ['websocket', 'ok', '101 Switching Protocols, subprotocol binary'],
      ['stream', 'ok', expect.stringMatching(/^\d+ bytes after "\\r": ".*web-1 login: "$/)],
    ]);
    expect(r.stderr).toBe('the token lookup (GET /os-console-auth-tokens) is for admins; skipped\n');
    // What the probe sent: binary offered, no Origin, the "\r" (the guest got it).
    const [up] = h.upgrades();
    expect(up?.status).toBe(101);
    expect(up?.headers['sec-websocket-protocol']).toBe('binary');
    expect(up?.headers.origin).toBeUndefined();
    expect(h.web1().received.toString()).toBe('\r');
  });

  it('--json: one object with the target, the type, the server and the steps', async () => {
    await h.start();
    const r = await check(['web-1', '--type', 'serial', '--json']);
    expectExit(r, 0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['target', 'type', 'server', 'ok', 'steps']);
    expect(out).toMatchObject({ target: 'web-1', type: 'serial', server: { name: 'web-1' }, ok: true });
    expect(out.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok])).toEqual([
      ['websocket', true],
      ['stream', true],
    ]);
  });

  it('as an admin, the token lookup is a step: valid, and where the proxy connects', async () => {
    await h.start({}, ADMIN);
    const r = await check(['web-1', '--type', 'serial', '--all-projects']);
    expectExit(r, 0);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['websocket', 'ok'],
      ['stream', 'ok'],
      ['token', 'ok'],
    ]);
    expect(rows(r.stdout)[2]?.[2]).toMatch(
      /^valid; the proxy connects to 192\.0\.2\.\d+:\d+, the server's serial port/,
    );
    expect(r.stderr).toBe('');
  });

  it('101 then a drop with no close frame: exit 7, token or backend named (a member cannot tell which)', async () => {
    await h.start();
    h.sim.refuseConsoleConnections(1);
    const r = await check(['web-1', '--type', 'serial']);
    expectExit(r, 7);
    const [ws, stream] = rows(r.stdout);
    expect(ws?.slice(0, 2)).toEqual(['websocket', 'ok']);
    expect(stream?.slice(0, 2)).toEqual(['stream', 'fail']);
    expect(stream?.[2]).toMatch(/^the connection was reset with no close frame 0\.\d s after the upgrade: no output$/);
    expect(r.stderr).toMatch(
      /osconsole: console check failed at the stream step: the proxy dropped the connection 0\.\d s after the upgrade with no close frame \(what browsers report as 1006\): nova refused the token .* or could not reach the server's serial port/,
    );
  });

  it('the same drop as an admin with a valid token: the backend is unreachable', async () => {
    await h.start({}, ADMIN);
    h.sim.refuseConsoleConnections(1);
    const r = await check(['web-1', '--type', 'serial', '--all-projects']);
    expectExit(r, 7);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['websocket', 'ok'],
      ['stream', 'fail'],
      ['token', 'ok'],
    ]);
    expect(r.stderr).toMatch(
      /the token is valid, but nova could not connect to the server's serial port .*\[serial_console\] proxyclient_address/,
    );
  });

  it('an expired token given as a URL, checked by an admin: the token step says Nova does not know it', async () => {
    await h.start({}, ADMIN);
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'serial', '--all-projects'])).stdout.trim();
    h.sim.advance(601);
    const r = await check([url]);
    expectExit(r, 7);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['websocket', 'ok'],
      ['stream', 'fail'],
      ['token', 'fail'],
    ]);
    expect(r.stderr).toMatch(
      /nova refused the console token after the upgrade: it expired \(\[consoleauth\] token_ttl/,
    );
    expect(r.stderr).toMatch(/get a fresh console URL/);
  });

  it('the proxy is down: the upgrade fails, exit 7, naming nova-serialproxy and [serial_console] base_url', async () => {
    const port = await closedPort();
    await h.start({ consoleBaseUrls: { serial: `ws://127.0.0.1:${port}/` } });
    const r = await check(['web-1', '--type', 'serial', '--json']);
    expectExit(r, 7);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.steps).toEqual([
      {
        name: 'websocket',
        ok: false,
        detail: `cannot connect to 127.0.0.1:${port}: connection refused`,
        cause: `nothing listens at 127.0.0.1:${port}: nova-serialproxy is down, or nova.conf [serial_console] base_url names the wrong host or port`,
        hint: 'start nova-serialproxy there, or correct nova.conf [serial_console] base_url',
      },
    ]);
  });

  it('a 400 to the upgrade: the handshake was refused, exit 7', async () => {
    await h.start();
    h.sim.addFault({ match: { path: /^\/console\/serial/ }, action: { kind: 'status', status: 400 } });
    const r = await check(['web-1', '--type', 'serial']);
    expectExit(r, 7);
    expect(rows(r.stdout)).toEqual([['websocket', 'fail', 'HTTP 400 "Error" instead of 101']]);
    expect(r.stderr).toMatch(
      /the proxy refused the websocket handshake \("Error"\); a reverse proxy in front may drop/,
    );
  });

  it('on a terminal: ✓ and ✗ lines, the cause and hint under the failed step', async () => {
    await h.start();
    h.sim.refuseConsoleConnections(1);
    const r = await check(['web-1', '--type', 'serial'], { tty: true });
    expectExit(r, 7);
    // Green ✓, red ✗, dim cause and hint.
    expect(r.stdout.startsWith('\x1b[32m✓\x1b[39m websocket')).toBe(true);
    expect(r.stdout).toContain('\n\x1b[31m✗\x1b[39m stream');
    expect(r.stdout).toContain('\n\x1b[2m    cause: ');
    // eslint-disable-next-line no-control-regex -- the colours, off for the text
    const lines = r.stdout.replaceAll(/\u001b\[\d+m/g, '').split('\n');
    expect(lines[0]).toBe('✓ websocket  101 Switching Protocols, subprotocol binary');
    expect(lines[1]?.startsWith('✗ stream     the connection was reset')).toBe(true);
    expect(lines[2]?.startsWith('    cause: the proxy dropped the connection')).toBe(true);
    expect(lines[3]?.startsWith('    hint: ')).toBe(true);
    // The cause is on screen: the error line only names the step.
    expect(r.stderr.endsWith('osconsole:\x1b[39m console check failed at the stream step\n')).toBe(true);
    expect(r.stderr).toContain('serial console of web-1 (');
  });
});

describe('wss:// proxies', () => {
  it("the session's CA verifies the proxy; without a session, a URL's TLS failure names --os-cacert, which fixes it", async () => {
    const tls = selfSigned();
    onTestFinished(() => tls.cleanup());
    await h.start({ tls: { key: tls.key, cert: tls.cert } }, { OS_CACERT: tls.certPath });
    expectExit(await check(['web-1', '--type', 'serial']), 0);
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'serial'])).stdout.trim();
    expect(url).toMatch(/^wss:/);
    await h.t.main(['logout']);
    const r = await check([url]);
    expectExit(r, 7);
    expect(rows(r.stdout)).toEqual([
      ['websocket', 'fail', expect.stringMatching(/^cannot connect to 127\.0\.0\.1:\d+: self.signed certificate/)],
    ]);
    expect(r.stderr).toMatch(
      /failed at the websocket step: TLS to 127\.0\.0\.1:\d+ failed: .*; pass the CA bundle with --os-cacert/,
    );
    expectExit(await check([url, '--os-cacert', tls.certPath]), 0);
  });
});

describe('console URLs', () => {
  it('no session: the probes run, the token lookup is skipped with a note; no token in any output', async () => {
    await h.start();
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'serial'])).stdout.trim();
    const token = new URL(url).searchParams.get('token') as string;
    await h.t.main(['logout']);
    const r = await check([url, '--debug']);
    expectExit(r, 0);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['websocket', 'ok'],
      ['stream', 'ok'],
    ]);
    expect(r.stderr).toMatch(/the token lookup needs a session \(.*\); skipped/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
    const json = await check([url, '--json']);
    expect(JSON.parse(json.stdout).target).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=<redacted/);
    expect(json.stdout).not.toContain(token);
  });

  it.each([
    [['ftp://example.com/x?token=0123456789abcdef'], /cannot check a ftp:\/\/ URL/],
    [['http://127.0.0.1:6080/vnc_lite.html'], /no console token in the URL/],
    [['http://127.0.0.1:6080/console?token=0123456789abcdef'], /cannot tell the console type of .*; pass --type/],
    [['http://127.0.0.1:6080/x?token=0123456789abcdef', '--type', 'serial'], /a serial console URL is a ws:\/\//],
    [['ws://127.0.0.1:6083/?token=0123456789abcdef', '--type', 'spice-direct'], /a spice-direct URL is http\(s\)/],
    [['web-1', '--type', 'webmks'], /argument 'webmks' is invalid/],
  ])('%j is a usage error before any request (exit 2)', async (args, message) => {
    await h.start();
    const r = await check(args);
    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(h.sim.requests()).toHaveLength(0);
  });
});
