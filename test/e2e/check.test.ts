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
import type { SpiceBehaviour, SpiceDirectOptions } from '../helpers/spice.js';
import { startSpiceDirectProxy, startSpiceHtml5Proxy } from '../helpers/spice.js';
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

describe('novnc (the simulated noVNC proxy and VNC display)', () => {
  it("a healthy proxy: the page, the upgrade noVNC makes, RFB to ServerInit, the page's Origin: exit 0", async () => {
    await h.start();
    const r = await check(['web-1']);
    expectExit(r, 0);
    expect(rows(r.stdout)).toEqual([
      ['page', 'ok', '200 OK, vnc_lite.html'],
      ['websocket', 'ok', '101 Switching Protocols, subprotocol binary'],
      ['banner', 'ok', 'RFB 003.008'],
      ['security', 'ok', 'security type None accepted (offered: None (1))'],
      ['desktop', 'ok', '320x240, desktop name "web-1"'],
      [
        'origin',
        'ok',
        expect.stringMatching(/^the Origin a browser on the page sends \(http:\/\/127\.0\.0\.1:\d+\) is accepted$/),
      ],
    ]);
    // The websocket went where noVNC's page sends it: "/" + the path parameter, ?token=…
    const ups = h.sim.log.filter((e) => e.service === 'console' && e.path === '/');
    expect(ups.map((e) => [e.status, e.headers.origin === undefined])).toEqual([
      [101, true],
      [101, false],
    ]);
  });

  it("the VNC server does not answer, checked by an admin: the token is valid, nova cannot reach the server's VNC port", async () => {
    await h.start({}, ADMIN);
    h.sim.setVncBackendDown('cdee62cc-4ad5-474b-a3c3-ccab7a2be0f9');
    const r = await check(['web-1', '--all-projects']);
    expectExit(r, 7);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['page', 'ok'],
      ['websocket', 'ok'],
      ['banner', 'fail'],
      ['token', 'ok'],
    ]);
    expect(r.stderr).toMatch(
      /the token is valid, but nova could not connect to the hypervisor's VNC server .*\[vnc\] server_proxyclient_address/,
    );
  });

  it("a page on another host name than the websocket's: nova refuses the browser's Origin, [console] allowed_origins fixes it", async () => {
    // noVNC's page at http://localhost:P opens its websocket at host=127.0.0.1 (its host parameter):
    // the Origin (localhost) is not the Host header's name (127.0.0.1).
    for (const allowed of [[], ['localhost']]) {
      const port = await closedPort();
      const base = `http://localhost:${port}/console/novnc/vnc_lite.html?host=127.0.0.1&port=${port}`;
      await h.start({ port, consoleBaseUrls: { novnc: base }, consoleAllowedOrigins: allowed });
      const r = await check(['web-1']);
      const last = rows(r.stdout).at(-1);
      if (allowed.length === 0) {
        expectExit(r, 7);
        expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
          ['page', 'ok'],
          ['websocket', 'ok'],
          ['banner', 'ok'],
          ['security', 'ok'],
          ['desktop', 'ok'],
          ['origin', 'fail'],
        ]);
        expect(last?.[2]).toMatch(
          new RegExp(
            `^with Origin http://localhost:${port}: the connection dropped with no close frame 0\\.\\d s after the upgrade: no RFB banner$`,
          ),
        );
        expect(r.stderr).toMatch(
          /failed at the origin step: nova refuses the Origin a browser on this page sends .*; add the page's host name to nova\.conf \[console\] allowed_origins/,
        );
      } else {
        expectExit(r, 0);
        expect(last?.slice(0, 2)).toEqual(['origin', 'ok']);
      }
      // The next round gets a simulator of its own; afterEach stops the last one.
      if (allowed.length === 0) await h.sim.stop();
    }
  });

  it('an expired token given as a URL, checked by an admin: no banner, and the token step says Nova does not know it', async () => {
    await h.start({}, ADMIN);
    const url = (await h.t.main(['console', 'get', 'web-1', '--all-projects'])).stdout.trim();
    h.sim.advance(601);
    const r = await check([url, '--json']);
    expectExit(r, 7);
    const out = JSON.parse(r.stdout);
    expect(out.target).toMatch(/\/console\/novnc\/vnc_lite\.html\?path=<redacted/);
    expect(out.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok])).toEqual([
      ['page', true],
      ['websocket', true],
      ['banner', false],
      ['token', false],
    ]);
    expect(out.steps[2].cause).toMatch(/^nova refused the console token after the upgrade: it expired/);
    expect(out.steps[3]).toMatchObject({ detail: 'Nova does not know this console token' });
  });

  it('a page the proxy does not have: 404, exit 4; the websocket is probed all the same', async () => {
    const port = await closedPort();
    await h.start({ port, consoleBaseUrls: { novnc: `http://127.0.0.1:${port}/console/novnc/vnc_old.html` } });
    const r = await check(['web-1']);
    expectExit(r, 4);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['page', 'fail'],
      ['websocket', 'ok'],
      ['banner', 'ok'],
      ['security', 'ok'],
      ['desktop', 'ok'],
    ]);
    expect(rows(r.stdout)[0]?.[2]).toMatch(/^404 Not Found, vnc_old\.html/);
    expect(r.stderr).toMatch(/the proxy has no page \/console\/novnc\/vnc_old\.html/);
  });

  it('a 400 to the upgrade: exit 7, the handshake named', async () => {
    await h.start();
    h.sim.addFault({ match: { path: '/' }, action: { kind: 'status', status: 400 } });
    const r = await check(['web-1']);
    expectExit(r, 7);
    expect(rows(r.stdout)).toEqual([
      ['page', 'ok', '200 OK, vnc_lite.html'],
      ['websocket', 'fail', 'HTTP 400 "Error" instead of 101'],
    ]);
  });

  it('the proxy is down: the page fails to connect, exit 7, naming nova-novncproxy and [vnc] novncproxy_base_url', async () => {
    const port = await closedPort();
    await h.start({ consoleBaseUrls: { novnc: `http://127.0.0.1:${port}/vnc_lite.html` } });
    const r = await check(['web-1']);
    expectExit(r, 7);
    expect(rows(r.stdout)).toEqual([
      ['page', 'fail', `cannot fetch the page from 127.0.0.1:${port}: connection refused`],
    ]);
    expect(r.stderr).toMatch(
      /nova-novncproxy is down, or nova\.conf \[vnc\] novncproxy_base_url names the wrong host or port/,
    );
  });
});

describe("SPICE through the simulator's proxies (its Kerbside, its nova-spicehtml5proxy, its SPICE server)", () => {
  it("spice-direct: Kerbside's file, then the SPICE server it names answers the link: exit 0", async () => {
    await h.start();
    const r = await check(['web-1', '--type', 'spice-direct']);
    expectExit(r, 0);
    expect(rows(r.stdout)).toEqual([
      [
        'file',
        'ok',
        expect.stringMatching(
          /^200 OK, nova-console\.vv, "application\/x-virt-viewer;charset=UTF-8": type=spice host="127\.0\.0\.1" port=(\d+) tls-port=\1 \(with ca, password\)$/,
        ),
      ],
      ['connect', 'ok', expect.stringMatching(/^TCP 127\.0\.0\.1:\d+$/)],
      ['link', 'ok', '"REDQ" reply (SPICE 2.2), main channel link accepted'],
    ]);
    // One link, over TCP, on the main channel (1), as a viewer's first connection makes it.
    expect(h.sim.spiceLinks().map((l) => [l.via, l.channelType, l.error])).toEqual([['tcp', 1, 0]]);
  });

  it('spice-html5: the page, the upgrade, the link through the websocket, the Origin: exit 0', async () => {
    await h.start();
    const r = await check(['web-1', '--type', 'spice-html5']);
    expectExit(r, 0);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['page', 'ok'],
      ['websocket', 'ok'],
      ['link', 'ok'],
      ['origin', 'ok'],
    ]);
    // Both probes (without an Origin, then with the page's) reached the server's SPICE display.
    const server = 'cdee62cc-4ad5-474b-a3c3-ccab7a2be0f9';
    expect(h.sim.spiceLinks(server).map((l) => [l.via, l.error])).toEqual([
      ['websocket', 0],
      ['websocket', 0],
    ]);
  });

  it('spice-html5, an expired token given as a URL, checked by an admin: the drop, and Nova does not know the token', async () => {
    await h.start({}, ADMIN);
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'spice-html5', '--all-projects'])).stdout.trim();
    h.sim.advance(601);
    const r = await check([url]);
    expectExit(r, 7);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['page', 'ok'],
      ['websocket', 'ok'],
      ['link', 'fail'],
      ['token', 'fail'],
    ]);
    expect(h.sim.spiceLinks()).toEqual([]);
  });
});

describe('spice-direct (a stand-in Kerbside: its file, its plain and TLS SPICE ports)', () => {
  interface Variant {
    plain?: SpiceBehaviour;
    otherCa?: boolean;
    tlsPortClosed?: boolean;
  }

  function kerbside(opts: Omit<SpiceDirectOptions, 'tls'> = {}) {
    const tls = selfSigned();
    onTestFinished(() => tls.cleanup());
    return startSpiceDirectProxy({ tls, ...opts }).then((p) => {
      onTestFinished(() => p.stop());
      return p;
    });
  }

  it("a healthy proxy: the file, the plain port's NEED_SECURED, TLS verified with the file's ca, the link: exit 0", async () => {
    const proxy = await kerbside();
    await h.start({ consoleBaseUrls: { 'spice-direct': proxy.baseUrl } });
    const r = await check(['web-1', '--type', 'spice-direct']);
    expectExit(r, 0);
    expect(rows(r.stdout)).toEqual([
      [
        'file',
        'ok',
        '200 OK, nova-console.vv, "application/x-virt-viewer;charset=UTF-8": type=spice host="127.0.0.1" ' +
          `port=${proxy.plainPort} tls-port=${proxy.tlsPort} (with ca, password)`,
      ],
      ['connect', 'ok', `TCP 127.0.0.1:${proxy.plainPort} (it answers NEED_SECURED: TLS next)`],
      ['tls', 'ok', `TLS 127.0.0.1:${proxy.tlsPort}, certificate verified against the file's ca`],
      ['link', 'ok', '"REDQ" reply (SPICE 2.2), main channel link accepted'],
    ]);
    expect(proxy.links).toEqual({ plain: 1, tls: 1 });
    // A member: the console's host and ports are for admins (getConsole says so), the password never shows.
    expect(r.stderr).toMatch(/shown only to admins/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('never-shown');
  });

  it('as an admin: the token step says where Nova would send a direct viewer', async () => {
    const proxy = await kerbside();
    await h.start({ consoleBaseUrls: { 'spice-direct': proxy.baseUrl } }, ADMIN);
    const r = await check(['web-1', '--type', 'spice-direct', '--all-projects', '--json']);
    expectExit(r, 0);
    const out = JSON.parse(r.stdout);
    expect(out.steps.map((s: { name: string }) => s.name)).toEqual(['file', 'connect', 'tls', 'link', 'token']);
    expect(out.steps[4].detail).toMatch(/^valid; the proxy connects to 192\.0\.2\.\d+:\d+ \(tls_port \d+\)/);
  });

  it.each([
    [
      'the TLS port down',
      { tlsPortClosed: true },
      'tls',
      /nothing listens at 127\.0\.0\.1:\d+, where the spice-direct proxy's file sends viewers/,
    ],
    [
      "a certificate the file's ca does not verify",
      { otherCa: true },
      'tls',
      /TLS to 127\.0\.0\.1:\d+ failed: .*; the file's ca \(or host-subject\) must match/,
    ],
    [
      'a plain port that is not SPICE',
      { plain: 'rfb' },
      'link',
      /failed at the link step: the backend is not a SPICE server/,
    ],
    [
      'a plain port that hangs up on the link',
      { plain: 'drop' },
      'link',
      /the spice-direct proxy closed the connection 0(\.\d)? s after it opened, without a SPICE link reply/,
    ],
  ] as Array<[string, Variant, string, RegExp]>)('%s: exit 7 at the %s step', async (_what, variant, step, cause) => {
    const other = variant.otherCa ? selfSigned() : undefined;
    if (other) onTestFinished(() => other.cleanup());
    const proxy = await kerbside({
      plain: variant.plain,
      ...(other ? { ca: other.cert } : {}),
      ...(variant.tlsPortClosed ? { filePorts: { tlsPort: await closedPort() } } : {}),
    });
    await h.start({ consoleBaseUrls: { 'spice-direct': proxy.baseUrl } });
    const r = await check(['web-1', '--type', 'spice-direct']);
    expectExit(r, 7);
    const got = rows(r.stdout);
    expect(got.at(-1)?.slice(0, 2)).toEqual([step, 'fail']);
    expect(got.slice(0, -1).every((x) => x[1] === 'ok')).toBe(true);
    expect(r.stderr).toMatch(cause);
  });
});

describe("spice-direct files (the simulator's Kerbside)", () => {
  it('an unknown token: Kerbside\'s 404 "nova token not found", exit 4', async () => {
    await h.start({}, ADMIN);
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'spice-direct', '--all-projects'])).stdout
      .split('\n')[0]
      ?.trim() as string;
    h.sim.advance(601);
    const r = await check([url]);
    expectExit(r, 4);
    expect(rows(r.stdout)[0]?.slice(0, 2)).toEqual(['file', 'fail']);
    expect(rows(r.stdout)[0]?.[2]).toMatch(/^404 Not Found, nova-console\.vv: "\{.*nova token not found.*\}"$/);
    expect(r.stderr).toMatch(/the spice-direct proxy does not know the console token: it expired/);
  });

  it("Nova's default …/nova on a real Kerbside (a plain 404): the base URL named", async () => {
    await h.start();
    h.sim.addFault({
      match: { service: 'console', path: /^\/console\/spice-direct\/nova$/ },
      action: { kind: 'status', status: 404, body: 'Not Found' },
    });
    // The simulator's base URL is Kerbside's …/nova-console.vv; Nova's default names …/nova.
    const url = (await h.t.main(['console', 'get', 'web-1', '--type', 'spice-direct'])).stdout
      .trim()
      .replace('/nova-console.vv?', '/nova?');
    const r = await check([url]);
    expectExit(r, 4);
    expect(r.stderr).toMatch(
      /Kerbside serves \/nova-console\.vv, and the console URL has Nova's default …\/nova; the operator should set nova\.conf \[spice\] spice_direct_proxy_base_url = /,
    );
  });
});

describe('spice-html5 (a stand-in nova-spicehtml5proxy in front of a SPICE server)', () => {
  async function proxy(opts: Parameters<typeof startSpiceHtml5Proxy>[0] = {}) {
    const p = await startSpiceHtml5Proxy(opts);
    onTestFinished(() => p.stop());
    await h.start({ consoleBaseUrls: { 'spice-html5': p.baseUrl } });
    return p;
  }

  it('a healthy proxy: the page, the upgrade, the "REDQ" link reply, the page\'s Origin: exit 0', async () => {
    const p = await proxy();
    const r = await check(['web-1', '--type', 'spice-html5']);
    expectExit(r, 0);
    expect(rows(r.stdout)).toEqual([
      ['page', 'ok', '200 OK, spice_auto.html, Server "WebSockify Python/3.11.2"'],
      ['websocket', 'ok', '101 Switching Protocols, subprotocol binary'],
      ['link', 'ok', '"REDQ" reply (SPICE 2.2), main channel link accepted'],
      [
        'origin',
        'ok',
        expect.stringMatching(/^the Origin a browser on the page sends \(http:\/\/127\.0\.0\.1:\d+\) is accepted$/),
      ],
    ]);
    // The token went in the query (nova reads ?token= before the cookie spice_auto.html sets).
    expect(p.upgrades.map((u) => [u.origin === undefined, u.token?.length])).toEqual([
      [true, 36],
      [false, 36],
    ]);
  });

  it('a SPICE server that wants TLS: NEED_SECURED, which spice-html5 cannot do, exit 7', async () => {
    await proxy({ link: 5 });
    const r = await check(['web-1', '--type', 'spice-html5']);
    expectExit(r, 7);
    expect(rows(r.stdout).at(-1)).toEqual(['link', 'fail', '"REDQ" reply (SPICE 2.2), link error NEED_SECURED (5)']);
    expect(r.stderr).toMatch(
      /accepts this channel over TLS only \(NEED_SECURED\), and spice-html5 cannot speak TLS to it/,
    );
  });

  it("101 then a drop: the token or the backend; with a browser's Origin only: the Origin", async () => {
    await proxy({ link: 'drop' });
    let r = await check(['web-1', '--type', 'spice-html5']);
    expectExit(r, 7);
    expect(rows(r.stdout).at(-1)?.slice(0, 2)).toEqual(['link', 'fail']);
    expect(r.stderr).toMatch(/nova refused the token .* or could not reach the hypervisor's SPICE server/);
    await h.sim.stop();
    await proxy({ refuseOrigin: true });
    r = await check(['web-1', '--type', 'spice-html5']);
    expectExit(r, 7);
    expect(rows(r.stdout).map((x) => x.slice(0, 2))).toEqual([
      ['page', 'ok'],
      ['websocket', 'ok'],
      ['link', 'ok'],
      ['origin', 'fail'],
    ]);
    expect(r.stderr).toMatch(/failed at the origin step: nova refuses the Origin a browser on this page sends/);
  });
});
