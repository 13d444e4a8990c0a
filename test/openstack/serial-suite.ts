/**
 * The serial console tests both clouds run (serial.test.ts for Zed, epoxy/serial.test.ts
 * for Epoxy): nova's real serial proxy, its websockify underneath and the tier's serial
 * guest, first on the wire (facts recorded for the simulator), then `osconsole console
 * attach` end to end, in pipe mode and in a real pseudo-terminal.
 *
 * Upstream facts checked here: the token comes from ?token= and is validated, with the
 * Origin, only after the 101 (nova/console/websocketproxy.py new_websocket_client, called
 * by websockify's handler once the upgrade is done); "binary" is chosen when offered and
 * base64-only is refused with 400 (websockify/websockifyserver.py select_subprotocol,
 * websockify/websocket.py accept); text frames get close 1003 (websockify/websocket.py
 * _handle_frame); a second TCP client of a QEMU chardev socket waits until the first leaves
 * (qemu chardev/char-socket.c; the tier's guest does the same).
 */
import { expect, it } from 'vitest';
import { OSCONSOLE, runPtyCommand, shellQuote } from '../helpers/cli.js';
import { cliHarness } from './cli-harness.js';
import type { RealcloudFacts } from './context.js';
import {
  ACCEPT,
  Session,
  clientFrame,
  closeCode,
  factRecorder,
  parseFrames,
  rawUpgrade,
  serialUrl,
  type RawResult,
  sleep,
  withToken,
} from './serial-proxy.js';

/** What the guest prints (test/realcloud/serial/serial_guest.py). */
function guest(host: string) {
  return {
    login: `${host} login: `,
    shell: `root@${host}:~# `,
    uname: `Linux ${host} 6.1.0-osconsole #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\r\n`,
  };
}
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/**
 * Where the two clouds' websockify differ (python3-websockify 0.10 in Debian 12, 0.12 in 13):
 * 0.12's 101 carries Server and Date; 0.10 answers a close frame without a code with code
 * 1005, which RFC 6455 7.4.1 forbids on the wire (websockify/websocket.py _handle_frame:
 * `self.close_code = code = 1005`; 0.12 echoes no code).
 */
export interface TierWebsockify {
  upgradeHeaders: string[];
  echoOfCodelessClose: number | null;
}
export const WEBSOCKIFY_0_10: TierWebsockify = {
  upgradeHeaders: ['connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'upgrade'],
  echoOfCodelessClose: 1005,
};
export const WEBSOCKIFY_0_12: TierWebsockify = {
  upgradeHeaders: ['connection', 'date', 'sec-websocket-accept', 'sec-websocket-protocol', 'server', 'upgrade'],
  echoOfCodelessClose: null,
};

/** A 101 that chose "binary", with the headers of the tier's websockify; returns them for a fixture, less Date. */
export function expectBinaryUpgrade(r: RawResult, ws: TierWebsockify): Record<string, string> {
  expect(r.status).toBe(101);
  expect(r.reason).toBe('Switching Protocols');
  expect(r.headers).toMatchObject({
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': ACCEPT,
    'sec-websocket-protocol': 'binary',
  });
  expect(Object.keys(r.headers).sort()).toEqual(ws.upgradeHeaders);
  const { date: _date, ...headers } = r.headers; // a date changes from one recording to the next
  return headers;
}

/** Nova's serial proxy on the wire; records what it saw as `fixture` (serial/zed or serial/epoxy). */
export function serialProxyTests(f: RealcloudFacts, fixture: string, ws: TierWebsockify): void {
  const g = guest(f.server.server_name);
  const fact = factRecorder(
    f,
    fixture,
    "nova's serial proxy (nova-serialproxy on websockify) in front of a QEMU-like TCP serial guest: what a client sees",
  );

  it('the upgrade: 101 with Sec-WebSocket-Protocol binary and nothing else; without a subprotocol offered, none is chosen', async () => {
    const url = await serialUrl(f);
    const r = await rawUpgrade(url, { waitMs: 1500 });
    const headers = expectBinaryUpgrade(r, ws);
    expect(r.rest.length, 'the guest says nothing until it is sent something').toBe(0);
    const none = await rawUpgrade(url, { protocols: null, waitMs: 1000 });
    expect(none.status).toBe(101);
    expect(none.headers).not.toHaveProperty('sec-websocket-protocol');
    fact('upgrade', { status: r.status, reason: r.reason, header_names: Object.keys(r.headers).sort(), headers });
    fact('upgrade_without_subprotocol', { status: none.status, header_names: Object.keys(none.headers).sort() });
  });

  it('handshake errors are the only 400s: no Sec-WebSocket-Version, or only base64 offered', async () => {
    const url = await serialUrl(f);
    const errors: Record<string, unknown> = {};
    for (const [name, o, reason] of [
      ['no Sec-WebSocket-Version', { version: false }, 'Missing Sec-WebSocket-Version header'],
      ['only base64 offered', { protocols: 'base64' }, 'Invalid protocol selected'],
    ] as const) {
      const r = await rawUpgrade(url, o);
      expect(r.status, name).toBe(400);
      expect(r.reason, name).toBe(reason);
      expect(r.ended).toBe(true);
      expect(r.headers['content-type']).toBe('text/html;charset=utf-8');
      expect(r.headers.server).toMatch(/^WebSockify Python\//);
      errors[name] = { status: r.status, reason: r.reason, header_names: Object.keys(r.headers).sort() };
    }
    fact('handshake_errors', errors);
  });

  it('refused after the 101: an unknown token, no token, a foreign Origin or an https Origin: no close frame, the TCP connection just ends (undici: 1006)', async () => {
    const url = await serialUrl(f);
    const port = new URL(url).port;
    const cases: [string, string, string | undefined][] = [
      ['unknown token', withToken(url, UNKNOWN), undefined],
      ['no token', withToken(url, null), undefined],
      ['Origin of another host', url, 'http://console.example.org'],
      ['Origin with https (the proxy is ws://)', url, `https://127.0.0.1:${port}`],
    ];
    const seen: Record<string, unknown> = {};
    for (const [name, u, origin] of cases) {
      const r = await rawUpgrade(u, { origin });
      expect(r.status, name).toBe(101);
      expect(r.ended && !r.reset, `${name}: FIN`).toBe(true);
      expect(r.rest.length, `${name}: no close frame, no data`).toBe(0);
      // a client that types at once ("\r" on open) has its bytes unread when the proxy
      // closes: the kernel then sends RST instead of FIN
      const typed = await rawUpgrade(u, { origin, send: [[0, clientFrame(2, '\r')]] });
      expect(typed.status, name).toBe(101);
      expect(typed.ended, name).toBe(true);
      expect(typed.rest.length, name).toBe(0);
      seen[name] = {
        status: r.status,
        bytes_after_101: r.rest.length,
        tcp_end: 'FIN',
        tcp_end_after_sending: typed.reset ? 'RST' : 'FIN',
      };
    }
    // undici: open, then close 1006 (not clean); an origin must be set globally in undici to be sent
    const s = new Session(withToken(url, UNKNOWN));
    expect(await s.opened).toBe('binary');
    const c = await s.closed;
    expect(c).toEqual({ code: 1006, reason: '', wasClean: false });
    // the same URL with no Origin, or one matching the proxy's host and scheme, works
    const good = await rawUpgrade(url, {
      origin: `http://127.0.0.1:${port}`,
      send: [[0, clientFrame(2, '\r')]],
      waitMs: 2500,
    });
    expect(good.ended).toBe(false);
    expect(parseFrames(good.rest).map((fr) => fr.opcode)).toContain(2);
    fact('refused_after_upgrade', { cases: seen, undici: c });
    fact('origin_accepted', ['none', `http://127.0.0.1:<proxy_port>`]);
  });

  it('a text frame: close 1003 "Unsupported: Text frames are not supported"', async () => {
    const url = await serialUrl(f);
    const s = new Session(url);
    await s.opened;
    s.ws.send('\r');
    const c = await s.closed;
    expect(c).toEqual({ code: 1003, reason: 'Unsupported: Text frames are not supported', wasClean: true });
    const r = await rawUpgrade(url, { send: [[0, clientFrame(1, 'x')]], untilClose: true, waitMs: 10_000 });
    const frames = parseFrames(r.rest);
    expect(frames.map((fr) => fr.opcode)).toEqual([8]);
    fact('text_frame', { close: closeCode(frames[0]!), undici: c });
  });

  it(`ping gets a pong with its payload; the client closing with 1000 gets 1000 back; a close without a code gets ${ws.echoOfCodelessClose ?? 'no code'} back (undici: ${ws.echoOfCodelessClose ? 1006 : 1005})`, async () => {
    const url = await serialUrl(f);
    const r = await rawUpgrade(url, {
      send: [
        [0, clientFrame(9, 'are-you-there')],
        [300, clientFrame(8, Buffer.from([0x03, 0xe8, ...Buffer.from('bye')]))],
      ],
    });
    const frames = parseFrames(r.rest);
    expect(frames[0]).toMatchObject({ opcode: 10 });
    expect(frames[0]!.payload.toString()).toBe('are-you-there');
    expect(frames[1]!.opcode).toBe(8);
    const echo1000 = closeCode(frames[1]!);
    expect(echo1000.code).toBe(1000);
    expect(r.ended).toBe(true);
    const empty = await rawUpgrade(url, { send: [[0, clientFrame(8)]] });
    const echoEmpty = closeCode(parseFrames(empty.rest)[0]!);
    expect(echoEmpty.code).toBe(ws.echoOfCodelessClose);
    const a = new Session(url);
    await a.opened;
    a.ws.close(1000, 'bye');
    const ca = await a.closed;
    expect(ca).toEqual({ code: 1000, reason: echo1000.reason, wasClean: true });
    const b = new Session(url);
    await b.opened;
    b.ws.close();
    const cb = await b.closed;
    // 1005 on the wire is a protocol error to undici: it fails the connection (1006). A
    // client must close with a code (1000) to end cleanly on Zed's proxy.
    expect(cb).toEqual(
      ws.echoOfCodelessClose === 1005
        ? { code: 1006, reason: '', wasClean: false }
        : { code: 1005, reason: '', wasClean: true },
    );
    fact('ping', { pong_payload: 'the ping payload' });
    fact('client_close', {
      with_1000_bye: echo1000,
      without_code: echoEmpty,
      undici_close_1000: ca,
      undici_close_no_code: cb,
    });
  });

  it('bytes round-trip through the guest in binary frames: "\\r" wakes the getty, typing echoes, commands answer; long output arrives in several frames', async () => {
    const url = await serialUrl(f);
    const s = new Session(url);
    await s.opened;
    s.type('\x04'); // ^D: log out (the guest keeps its login across clients, as a serial line does)
    await s.waitFor(new RegExp(esc(g.login) + '$'));
    let at = s.bytes.length;
    s.type('\r');
    await s.waitFor(
      new RegExp(`\\r\\n\\r\\nDebian GNU/Linux 12 ${esc(f.server.server_name)} ttyS0\\r\\n\\r\\n${esc(g.login)}$`),
      at,
    );
    at = s.bytes.length;
    s.type('root\r');
    await s.waitFor(new RegExp(`^root\\r\\n[^]*${esc(g.shell)}$`), at);
    at = s.bytes.length;
    s.type('uname -a\r');
    expect(await s.waitFor(new RegExp(esc(g.shell) + '$'), at)).toBe(`uname -a\r\n${g.uname}${g.shell}`);
    at = s.bytes.length;
    const framesBefore = s.frames.length;
    s.type('seq 20000\r');
    const seq = await s.waitFor(new RegExp('20000\\r\\n' + esc(g.shell) + '$'), at);
    const expected = Array.from({ length: 20000 }, (_, i) => `${i + 1}\r\n`).join('');
    expect(seq).toBe(`seq 20000\r\n${expected}${g.shell}`);
    // one frame per read of the guest's socket, at most 65536 bytes
    // (websockify/websocketproxy.py: target.recv(self.buffer_size), buffer_size = 65536)
    const sizes = s.frames.slice(framesBefore);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(65536);
    expect(s.textFrames).toBe(0);
    s.ws.close(1000);
    await s.closed;
    fact('round_trip', {
      frames: 'binary only',
      seq_20000: { bytes: seq.length, split_across_frames: true, frame_bytes_at_most: 65536 },
    });
  });

  it('a second client while one is attached: 101 and silence; what it typed is answered once the first leaves (same token, twice)', async () => {
    const url = await serialUrl(f);
    const first = new Session(url);
    await first.opened;
    first.type('\r');
    await first.waitFor(/[#:] $/);
    const second = new Session(url);
    expect(await second.opened).toBe('binary');
    second.type('echo from-the-second\r');
    await sleep(2500);
    expect(second.bytes.length, 'silent while the first is attached').toBe(0);
    first.type('echo still-first\r');
    await first.waitFor(/still-first\r\n/);
    const t = Date.now();
    first.ws.close(1000);
    await first.closed;
    const got = await second.waitFor(/from-the-second\r\n/);
    const waited = Date.now() - t;
    expect(got).toMatch(/^echo from-the-second\r\n/);
    second.ws.close(1000);
    await second.closed;
    fact('second_client', {
      upgrade: 101,
      bytes_while_first_attached: 0,
      after_first_leaves: 'its buffered input reaches the guest, the answers follow',
      answered_within_ms: waited < 2000 ? '<2000' : waited,
    });
  });
}

// ------------------------------------------------------------------ osconsole console attach

/** `osconsole console attach` through real nova-api, console auth and the serial proxy. */
export function serialAttachTests(f: RealcloudFacts): void {
  const g = guest(f.server.server_name);
  const { env } = cliHarness(f);
  const cloud = { OS_CLIENT_CONFIG_FILE: f.clouds_yaml };

  it(`pipe mode: stdin to the guest as-is, the guest's bytes on stdout unmodified; --for ends it with exit 0`, async () => {
    const args = ['console', 'attach', f.server.server_name, '--os-cloud', 'realcloud-demo', '--for', '5s'];
    // ^D logs out whatever is logged in, then log in: the login lasts across sessions
    const login = await env().run(args, cloud, { input: '\x04root\r', timeoutMs: 60_000 });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`${g.login}root\r\n`);
    expect(login.stdout).toMatch(new RegExp(esc(g.shell) + '$'));
    const t = Date.now();
    const r = await env().run(args, cloud, { input: 'uname -a\r', timeoutMs: 60_000 });
    const took = Date.now() - t;
    expect(r.code, r.stderr).toBe(0);
    // the guest's bytes as they came: its echo, the answer, "\r\n" line ends, the prompt last
    expect(r.stdout).toContain(`uname -a\r\n${g.uname}${g.shell}`);
    expect(r.stdout.endsWith(g.shell)).toBe(true);
    expect(took).toBeLessThan(30_000);
  });

  it(`terminal mode in a pty: banner, typing reaches the guest, Ctrl-] quits with exit 0, stty -g the same before and after`, async () => {
    const attachCmd = `${OSCONSOLE} console attach ${shellQuote(f.server.server_name)} --os-cloud realcloud-demo`;
    const r = await runPtyCommand(
      `stty -g; ${attachCmd}; echo "EXIT=$?"; stty -g`,
      [
        // the banner (stderr, merged by the terminal) names the server and the escape key
        { expect: `${esc(f.server.server_name)}[^\\n]*(\\^\\]|Ctrl-\\])`, send: '' },
        // control keys reach the guest too (raw mode): ^D logs out, then log in again
        { expect: '[#:] $', send: '\x04' },
        { expect: `${esc(g.login)}$`, send: 'root\r' },
        { expect: `${esc(g.shell)}$`, send: 'echo typed-in-a-pty\r' },
        // libuv's raw mode keeps ONLCR: the guest's "\r\n" shows as "\r\r\n" in the terminal
        { expect: `typed-in-a-pty\\r+\\n${esc(g.shell)}`, send: '\x1d' },
      ],
      env().env(cloud),
      60,
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.stdout).toMatch(/EXIT=0\r?\n/);
    const [before, after] = [...r.stdout.matchAll(/^([0-9a-f]+(?::[0-9a-f]+){10,})\r?$/gm)].map((m) => m[1]);
    expect(before, r.stdout).toBeDefined();
    expect(after, 'stty -g after the session').toBe(before);
  });
}
