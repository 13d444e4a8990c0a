/**
 * The simulated serial console proxy over real websockets on 127.0.0.1:
 * websockify's handshake and frame rules, nova's token and Origin checks
 * after the 101, the fake guest and QEMU's one-client serial port, and the
 * lifecycle controls (migrate, delete, drop, build, session timeout).
 * undici's WebSocket (the client osconsole uses) where it can say it; raw
 * sockets for what it cannot (a bad handshake, an unmasked frame, "no close
 * frame"). Sources are named in test/sim/ws-server.ts and serial-proxy.ts.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Agent, WebSocket, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { selfSigned } from '../helpers/tls.js';
import { issueToken, takeSimulatorProblems, useSimulator } from '../helpers/sim.js';
import type { SimulatorOptions } from './index.js';
import { SERVER_IDS, Simulator } from './index.js';

const ctx = useSimulator();
let demo: string;
beforeAll(async () => {
  demo = await issueToken(ctx.sim, 'demo');
});

/** Simulators a test starts for itself (other options), stopped after it. */
const extra: Simulator[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) await s.stop();
});
async function startSim(opts: SimulatorOptions): Promise<{ sim: Simulator; token: string }> {
  const sim = await Simulator.start(opts);
  extra.push(sim);
  return { sim, token: await issueToken(sim, 'demo') };
}

/** A demo token through undici (the HTTPS simulator needs its CA). */
async function tokenOver(sim: Simulator, dispatcher: Dispatcher): Promise<string> {
  const res = await undiciFetch(`${sim.authUrl}/auth/tokens`, {
    method: 'POST',
    dispatcher,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'demopass' } },
        },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    }),
  });
  await res.arrayBuffer();
  return res.headers.get('x-subject-token') as string;
}

async function createConsole(
  server: string,
  opts: { sim?: Simulator; token?: string; protocol?: string; type?: string; dispatcher?: Dispatcher } = {},
): Promise<{ status: number; url: string; body: any }> {
  const sim = opts.sim ?? ctx.sim;
  const res = await undiciFetch(`${sim.url}/compute/v2.1/servers/${server}/remote-consoles`, {
    dispatcher: opts.dispatcher,
    method: 'POST',
    headers: {
      'X-Auth-Token': opts.token ?? demo,
      'OpenStack-API-Version': 'compute 2.8',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol: opts.protocol ?? 'serial', type: opts.type ?? 'serial' } }),
  });
  const body = (await res.json()) as any;
  return { status: res.status, url: body.remote_console?.url, body };
}

async function serialUrl(server: string = SERVER_IDS.web1, sim?: Simulator, token?: string): Promise<string> {
  const c = await createConsole(server, { sim, token });
  expect(c.status).toBe(200);
  return c.url;
}

// ---- undici's WebSocket ----

interface Client {
  ws: WebSocket;
  /** Each binary message as it arrived. */
  frames: Buffer[];
  opened: Promise<boolean>;
  closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
  text(): string;
  bytes(): Buffer;
  /** Resolves once the output so far contains `s`. */
  waitFor(s: string | RegExp, ms?: number): Promise<string>;
  send(s: string | Buffer): void;
}

function client(
  url: string,
  init: { protocols?: string[]; headers?: Record<string, string>; dispatcher?: Dispatcher } = {},
): Client {
  const ws = new WebSocket(url, {
    protocols: init.protocols ?? ['binary'],
    headers: init.headers,
    dispatcher: init.dispatcher,
  });
  ws.binaryType = 'arraybuffer';
  const frames: Buffer[] = [];
  const waiters: Array<() => void> = [];
  ws.addEventListener('message', (e) => {
    frames.push(Buffer.from(e.data as ArrayBuffer));
    for (const w of waiters.splice(0)) w();
  });
  const opened = new Promise<boolean>((resolve) => {
    ws.addEventListener('open', () => resolve(true));
    ws.addEventListener('close', () => resolve(false));
  });
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) =>
    ws.addEventListener('close', (e) => {
      resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
      for (const w of waiters.splice(0)) w();
    }),
  );
  const bytes = () => Buffer.concat(frames);
  const text = () => bytes().toString('utf8');
  const waitFor = (s: string | RegExp, ms = 3000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${String(s)} in ${JSON.stringify(text())}`)), ms);
      const check = () => {
        const t = text();
        if (typeof s === 'string' ? t.includes(s) : s.test(t)) {
          clearTimeout(timer);
          resolve(t);
        } else if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          reject(new Error(`closed before ${String(s)}; got ${JSON.stringify(t)}`));
        } else waiters.push(check);
      };
      check();
    });
  const send = (s: string | Buffer) => ws.send(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  return { ws, frames, opened, closed, text, bytes, waitFor, send };
}

/** Nothing arrives for `ms`: output so far unchanged. */
async function quiet(c: Client, ms = 300): Promise<void> {
  const before = c.bytes().length;
  await sleep(ms);
  expect(c.bytes().length).toBe(before);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- raw sockets ----

interface Raw {
  socket: Socket;
  /** Status line and headers of the response. */
  head: Promise<string>;
  /** Everything after the response head, until the TCP connection ended. */
  ended: Promise<Buffer>;
  /** Server frames seen so far (parsed independently of the simulator's code). */
  frames(): Array<{ opcode: number; payload: Buffer }>;
  waitFrames(n: number): Promise<Array<{ opcode: number; payload: Buffer }>>;
  /** The first close frame from the server. */
  waitClose(): Promise<{ opcode: number; payload: Buffer }>;
  sendFrame(opcode: number, payload: Buffer, opts?: { fin?: boolean; mask?: boolean }): void;
}

function rawUpgrade(url: string, headers: Record<string, string | undefined> = {}): Raw {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const all: Record<string, string | undefined> = {
    Host: u.host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Protocol': 'binary',
    ...headers,
  };
  const lines = Object.entries(all).flatMap(([k, v]) => (v === undefined ? [] : [`${k}: ${v}`]));
  socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  let headDone = false;
  const waiters: Array<() => void> = [];
  let resolveHead!: (h: string) => void;
  const head = new Promise<string>((r) => (resolveHead = r));
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (!headDone) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      headDone = true;
      resolveHead(buf.subarray(0, end).toString('latin1'));
      buf = buf.subarray(end + 4);
    }
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  const ended = new Promise<Buffer>((resolve) =>
    socket.on('close', () => {
      if (!headDone) resolveHead(buf.toString('latin1'));
      resolve(buf);
      for (const w of waiters.splice(0)) w();
    }),
  );
  const frames = () => parseServerFrames(buf);
  const waitUntil = <T>(pick: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: ${JSON.stringify(frames())}`)), 3000);
      const check = () => {
        const got = pick();
        if (got !== undefined) {
          clearTimeout(timer);
          resolve(got);
        } else if (socket.destroyed) {
          clearTimeout(timer);
          reject(new Error(`connection ended; ${what}: ${JSON.stringify(frames())}`));
        } else waiters.push(check);
      };
      check();
    });
  const waitFrames = (n: number) =>
    waitUntil(() => (frames().length >= n ? frames() : undefined), `fewer than ${n} frames`);
  const waitClose = () => waitUntil(() => frames().find((f) => f.opcode === 0x8), 'no close frame');
  const sendFrame = (opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean } = {}) => {
    const mask = opts.mask ?? true;
    const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const b1 = ((opts.fin ?? true) ? 0x80 : 0) | opcode;
    const len = payload.length;
    const lenBytes = len < 126 ? [len] : [126, len >> 8, len & 0xff];
    lenBytes[0] = lenBytes[0]! | (mask ? 0x80 : 0);
    const body = mask ? Buffer.from(payload.map((b, i) => b ^ key[i % 4]!)) : payload;
    socket.write(Buffer.concat([Buffer.from([b1, ...lenBytes]), mask ? key : Buffer.alloc(0), body]));
  };
  return { socket, head, ended, frames, waitFrames, waitClose, sendFrame };
}

/** Unmasked server frames with short (<126) or 16-bit lengths, as the tests produce. */
function parseServerFrames(buf: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 2 <= buf.length) {
    let len = buf[at + 1]! & 0x7f;
    let hl = 2;
    if (len === 126) {
      if (at + 4 > buf.length) break;
      len = buf.readUInt16BE(at + 2);
      hl = 4;
    }
    if (at + hl + len > buf.length) break;
    out.push({ opcode: buf[at]! & 0x0f, payload: buf.subarray(at + hl, at + hl + len) });
    at += hl + len;
  }
  return out;
}

function closeOf(f: { opcode: number; payload: Buffer }): { code: number; reason: string } {
  expect(f.opcode).toBe(0x8);
  return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString('utf8') };
}

// ---- the tests ----

describe('handshake (websockify accept)', () => {
  it('101 with Sec-WebSocket-Accept and `binary` chosen; the guest answers the wake-up \\r with its login prompt', async () => {
    const url = await serialUrl();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=[0-9a-f-]{36}$/);
    const raw = rawUpgrade(url);
    const head = await raw.head;
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    // RFC 6455 section 1.3's example key and accept value.
    expect(head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(head).toContain('Sec-WebSocket-Protocol: binary');
    raw.socket.destroy();

    const c = client(url);
    expect(await c.opened).toBe(true);
    expect(c.ws.protocol).toBe('binary');
    c.send('\r');
    expect(await c.waitFor('login: ')).toBe('\r\n\r\nweb-1 login: ');
    c.ws.close(1000);
    expect((await c.closed).code).toBe(1000);
    expect(ctx.sim.requests('console').map((e) => e.status)).toEqual([101, 101]);
  });

  it('no subprotocol offered: accepted without one (binary anyway)', async () => {
    const c = client(await serialUrl(), { protocols: [] });
    expect(await c.opened).toBe(true);
    expect(c.ws.protocol).toBe('');
    c.send('\r');
    await c.waitFor('login: ');
    c.ws.close();
  });

  it.each([
    [{ 'Sec-WebSocket-Key': undefined }, 'Missing Sec-WebSocket-Key header'],
    [{ 'Sec-WebSocket-Version': undefined }, 'Missing Sec-WebSocket-Version header'],
    [{ 'Sec-WebSocket-Version': '12' }, 'Unsupported protocol version 12'],
    [{ 'Sec-WebSocket-Protocol': 'base64' }, 'Invalid protocol selected'],
    // websockify splits on ',' without trimming: " binary" is not "binary".
    [{ 'Sec-WebSocket-Protocol': 'base64, binary' }, 'Invalid protocol selected'],
  ])('400 before the upgrade only for handshake errors: %j → %s', async (headers, message) => {
    const raw = rawUpgrade(await serialUrl(), headers);
    const head = await raw.head;
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 400 ${message}\r\n`));
    const body = (await raw.ended).toString('utf8');
    expect(body).toContain(`<p>Message: ${message}.</p>`);
    expect(ctx.sim.requests('console').at(-1)?.status).toBe(400);
  });

  it('"binary, base64" (Horizon\'s offer) picks binary', async () => {
    const raw = rawUpgrade(await serialUrl(), { 'Sec-WebSocket-Protocol': 'binary, base64' });
    expect(await raw.head).toMatch(/Sec-WebSocket-Protocol: binary$/);
    raw.socket.destroy();
  });

  it('over HTTPS: wss:// URL, same proxy', async () => {
    const tls = selfSigned();
    onTestFinished(() => tls.cleanup());
    const { cert } = tls;
    const dispatcher = new Agent({ connect: { ca: cert } });
    const sim = await Simulator.start({ tls: { key: tls.key, cert } });
    extra.push(sim);
    const token = await tokenOver(sim, dispatcher);
    const { url } = await createConsole(SERVER_IDS.web1, { sim, token, dispatcher });
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/console\/serial\/\?token=/);
    const c = client(url, { dispatcher });
    expect(await c.opened).toBe(true);
    c.send('\r');
    await c.waitFor('web-1 login: ');
    c.ws.close();
    await c.closed;
  });
});

/** A refused console: 101, then the TCP connection ends with no byte after the response head. */
async function expectRefusedAfter101(url: string, headers: Record<string, string | undefined> = {}): Promise<void> {
  const raw = rawUpgrade(url, headers);
  expect(await raw.head).toMatch(/^HTTP\/1\.1 101 /);
  raw.sendFrame(0x2, Buffer.from('\r'));
  expect((await raw.ended).length).toBe(0);
  // What undici makes of it: 'open', then 1006 with no data.
  const c = client(url, { headers: headers as Record<string, string> });
  expect(await c.opened).toBe(true);
  expect(await c.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  expect(c.frames).toEqual([]);
}

describe('token and Origin: checked after the 101, a refusal is a drop with no close frame (1006)', () => {
  it('an unknown token, no token, an empty token', async () => {
    const base = `ws://127.0.0.1:${ctx.sim.port}/console/serial/`;
    await expectRefusedAfter101(`${base}?token=00000000-0000-4000-8000-000000000000`);
    await expectRefusedAfter101(base);
    await expectRefusedAfter101(`${base}?token=`);
    expect(ctx.sim.requests('console').map((e) => e.status)).toEqual([101, 101, 101, 101, 101, 101]);
  });

  it('an expired token (the clock past [consoleauth] token_ttl, 600 s)', async () => {
    const url = await serialUrl();
    ctx.sim.advance(601);
    await expectRefusedAfter101(url);
  });

  it('the token from a `token` cookie works; only from ?token= or the cookie (not another parameter)', async () => {
    const token = new URL(await serialUrl()).searchParams.get('token')!;
    const base = `ws://127.0.0.1:${ctx.sim.port}/console/serial/`;
    const c = client(base, { headers: { Cookie: `lang=en; token=${token}` } });
    expect(await c.opened).toBe(true);
    c.send('\r');
    await c.waitFor('login: ');
    c.ws.close();
    await c.closed;
    await expectRefusedAfter101(`${base}?path=%3Ftoken%3D${token}`);
  });

  it('a token of another console type: no serial port behind it, the proxy cannot connect', async () => {
    const vnc = await createConsole(SERVER_IDS.web1, { protocol: 'vnc', type: 'novnc' });
    const token = new URL(vnc.url).searchParams.get('path')!.replace('?token=', '');
    await expectRefusedAfter101(`ws://127.0.0.1:${ctx.sim.port}/console/serial/?token=${token}`);
  });

  it('Origin: another host, or https/wss against a ws proxy, is refused; the proxy host over http, or none, is accepted', async () => {
    const url = await serialUrl();
    const port = ctx.sim.port;
    await expectRefusedAfter101(url, { Origin: 'http://evil.example' });
    await expectRefusedAfter101(url, { Origin: `https://127.0.0.1:${port}` });
    await expectRefusedAfter101(url, { Origin: `wss://127.0.0.1:${port}` });
    await expectRefusedAfter101(url, { Origin: 'null' });
    // X-Forwarded-Proto takes the place of the Origin's scheme.
    await expectRefusedAfter101(url, { Origin: `http://127.0.0.1:${port}`, 'X-Forwarded-Proto': 'https' });
    for (const origin of [`http://127.0.0.1:${port}`, `ws://127.0.0.1`]) {
      const c = client(url, { headers: { Origin: origin } });
      expect(await c.opened).toBe(true);
      c.send('\r');
      await c.waitFor('login: ');
      c.ws.close();
      await c.closed;
    }
  });

  it('[console] allowed_origins adds host names; the scheme must still match', async () => {
    const { sim, token } = await startSim({ consoleAllowedOrigins: ['horizon.example'] });
    const url = await serialUrl(SERVER_IDS.web1, sim, token);
    const c = client(url, { headers: { Origin: 'http://horizon.example' } });
    expect(await c.opened).toBe(true);
    c.send('\r');
    await c.waitFor('login: ');
    c.ws.close();
    await c.closed;
    await expectRefusedAfter101(url, { Origin: 'https://horizon.example' });
    await expectRefusedAfter101(url, { Origin: 'http://other.example' });
  });
});

describe('frames (websockify _recvmsg)', () => {
  it('a text frame: close 1003 "Unsupported: Text frames are not supported"', async () => {
    const c = client(await serialUrl());
    await c.opened;
    c.ws.send('uname -a\r');
    expect(await c.closed).toMatchObject({ code: 1003, reason: 'Unsupported: Text frames are not supported' });
    expect(ctx.sim.serialGuest(SERVER_IDS.web1).received.includes('uname')).toBe(false);
  });

  it('an unmasked client frame: close 1002; the frame is not delivered', async () => {
    const raw = rawUpgrade(await serialUrl(SERVER_IDS.web10));
    await raw.head;
    raw.sendFrame(0x2, Buffer.from('x\r'), { mask: false });
    expect(closeOf(await raw.waitClose())).toEqual({ code: 1002, reason: 'Procotol error: Frame not masked' });
    // websockify waits for the client's close; answering it ends the connection.
    raw.sendFrame(0x8, Buffer.from([0x03, 0xe8]));
    await raw.ended;
    expect(ctx.sim.serialGuest(SERVER_IDS.web10).received.toString()).not.toContain('x');
  });

  it('ping → pong with the same payload; fragments of a binary message are joined', async () => {
    const raw = rawUpgrade(await serialUrl(SERVER_IDS.dupA));
    await raw.head;
    raw.sendFrame(0x9, Buffer.from('are you there'));
    const [pong] = await raw.waitFrames(1);
    expect(pong).toEqual({ opcode: 0xa, payload: Buffer.from('are you there') });
    const guest = ctx.sim.serialGuest(SERVER_IDS.dupA);
    const before = guest.received.length;
    raw.sendFrame(0x2, Buffer.from('ho'), { fin: false });
    raw.sendFrame(0x0, Buffer.from('st'), { fin: false });
    raw.sendFrame(0x0, Buffer.from('name'));
    await until(() => guest.received.length >= before + 8);
    expect(guest.received.subarray(before).toString()).toBe('hostname');
    // A continuation with nothing to continue: 1002.
    raw.sendFrame(0x0, Buffer.from('x'));
    expect(closeOf(await raw.waitClose())).toEqual({
      code: 1002,
      reason: 'Procotol error: Unexpected continuation frame',
    });
    raw.socket.destroy();
  });

  it("the client's close is echoed with its code and reason", async () => {
    const c = client(await serialUrl());
    await c.opened;
    c.ws.close(4000, 'bye');
    expect(await c.closed).toEqual({ code: 4000, reason: 'bye', wasClean: true });
  });

  it('output is cut into small binary frames, deterministically, even inside a UTF-8 character', async () => {
    const text = 'héllo wörld — ünïcödé ✓ 日本語\n';
    const run = async (sim: Simulator, token: string) => {
      const c = client(await serialUrl(SERVER_IDS.web1, sim, token));
      await c.opened;
      sim.serialGuest(SERVER_IDS.web1).print(text);
      await c.waitFor('日本語\r\n');
      c.ws.close();
      await c.closed;
      return c.frames.map((f) => f.length);
    };
    const a = await startSim({ serialFrameSplit: { seed: 7, maxBytes: 3 } });
    const b = await startSim({ serialFrameSplit: { seed: 7, maxBytes: 3 } });
    const sizes = await run(a.sim, a.token);
    expect(await run(b.sim, b.token)).toEqual(sizes);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(Buffer.byteLength(text) + 1);
    // Some frame on its own is not valid UTF-8: a character was cut in two.
    const c = client(await serialUrl(SERVER_IDS.web1, a.sim, a.token));
    await c.opened;
    a.sim.serialGuest(SERVER_IDS.web1).print(text);
    await c.waitFor('日本語');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    expect(c.frames.some((f) => !canDecode(decoder, f))).toBe(true);
    expect(c.text()).toBe(text.replace('\n', '\r\n'));
    c.ws.close();
    await c.closed;
    // With splitting off, one write is one frame.
    const whole = await startSim({ serialFrameSplit: false });
    expect(await run(whole.sim, whole.token)).toEqual([Buffer.byteLength(text) + 1]);
  });
});

function canDecode(d: { decode(b: Buffer): string }, b: Buffer): boolean {
  try {
    d.decode(b);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('the fake guest', () => {
  it('login, password (not echoed), a shell that echoes and answers, exit back to login; bytes pass through', async () => {
    const c = client(await serialUrl(SERVER_IDS.dupB));
    await c.opened;
    const sent: Buffer[] = [];
    const type = (s: string) => {
      const b = Buffer.from(s, 'utf8');
      sent.push(b);
      c.ws.send(b);
    };
    type('\r');
    await c.waitFor('dup login: ');
    type('root\r');
    await c.waitFor('root\r\nPassword: ');
    type('s3cret\r');
    const out = await c.waitFor('root@dup:~$ ');
    expect(out).not.toContain('s3cret');
    type('uname -a\r');
    await c.waitFor(/uname -a\r\nLinux dup 6\.1\.0-27-amd64 .* GNU\/Linux\r\nroot@dup:~\$ $/);
    type('hostname\r');
    await c.waitFor('hostname\r\ndup\r\nroot@dup:~$ ');
    type('echo héllo wörld ✓ 日本語\r');
    await c.waitFor('echo héllo wörld ✓ 日本語\r\nhéllo wörld ✓ 日本語\r\nroot@dup:~$ ');
    // DEL erases the last character, all of its bytes.
    type('echo ab✓\x7f\r');
    await c.waitFor('echo ab✓\b \b\r\nab\r\nroot@dup:~$ ');
    type('exit\r');
    await c.waitFor('exit\r\nlogout\r\n\r\ndup login: ');
    expect(ctx.sim.serialGuest(SERVER_IDS.dupB).received).toEqual(Buffer.concat(sent));
    expect(ctx.sim.serialGuest(SERVER_IDS.dupB).loginState).toBe('login');
    c.ws.close();
    await c.closed;
  });

  it('what the guest prints with no client connected is lost (QEMU drops it)', async () => {
    const guest = ctx.sim.serialGuest(SERVER_IDS.web1);
    guest.print('lost in the void\n');
    const c = client(await serialUrl());
    await c.opened;
    guest.print('kernel: hello\n');
    await c.waitFor('kernel: hello\r\n');
    expect(c.text()).toBe('kernel: hello\r\n');
    c.ws.close();
    await c.closed;
  });
});

describe('one client per serial port (QEMU chardev socket)', () => {
  it('a second client is accepted but silent, its input buffered; it takes over when the first leaves', async () => {
    const url = await serialUrl(SERVER_IDS.web10);
    const first = client(url);
    await first.opened;
    const second = client(url);
    expect(await second.opened).toBe(true);
    const sessions = ctx.sim.serialSessions(SERVER_IDS.web10);
    expect(sessions.map((s) => s.active)).toEqual([true, false]);
    const guest = ctx.sim.serialGuest(SERVER_IDS.web10);
    const before = guest.received.length;
    second.send('hostname\r');
    first.send('\r');
    await first.waitFor('web-10 login: ');
    await quiet(second);
    expect(second.frames).toEqual([]);
    expect(guest.received.subarray(before).toString()).toBe('\r');
    first.ws.close();
    await first.closed;
    // Now the second one is read: its buffered "hostname\r" is the login name typed.
    await second.waitFor('hostname\r\nPassword: ');
    expect(ctx.sim.serialSessions(SERVER_IDS.web10).map((s) => s.active)).toEqual([true]);
    expect(guest.activeLink).toBe(ctx.sim.serialSessions(SERVER_IDS.web10)[0]!.link);
    second.send('\r');
    await second.waitFor('web-10:~$ ');
    second.send('exit\r');
    await second.waitFor('login: ');
    second.ws.close();
    await second.closed;
  });
});

describe('lifecycle controls', () => {
  it('live migration: the session closes with 1000, the tokens are gone, a waiting client drops, a new console works', async () => {
    const { sim, token } = await startSim({});
    const url = await serialUrl(SERVER_IDS.web1, sim, token);
    const active = client(url);
    await active.opened;
    const waiting = client(url);
    await waiting.opened;
    sim.liveMigrate(SERVER_IDS.web1);
    expect(await active.closed).toEqual({ code: 1000, reason: 'Target closed', wasClean: true });
    expect((await waiting.closed).code).toBe(1006);
    expect(sim.findServer(SERVER_IDS.web1)?.server.host).toBe('compute-2');
    expect(sim.nova.RegionOne.consoleTokens.size).toBe(0);
    await expectRefusedAfter101(url);
    const fresh = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await fresh.opened;
    fresh.send('\r');
    await fresh.waitFor('web-1 login: ');
    fresh.ws.close();
    await fresh.closed;
  });

  it('deletion: the session closes with 1000, then the server is 404 and its console URL refused', async () => {
    const { sim, token } = await startSim({});
    const url = await serialUrl(SERVER_IDS.dupA, sim, token);
    const c = client(url);
    await c.opened;
    sim.deleteServer(SERVER_IDS.dupA);
    expect(await c.closed).toMatchObject({ code: 1000, reason: 'Target closed' });
    const show = await fetch(`${sim.url}/compute/v2.1/servers/${SERVER_IDS.dupA}`, {
      headers: { 'X-Auth-Token': token },
    });
    expect(show.status).toBe(404);
    expect(await show.json()).toEqual({
      itemNotFound: { code: 404, message: `Instance ${SERVER_IDS.dupA} could not be found.` },
    });
    expect((await createConsole(SERVER_IDS.dupA, { sim, token })).status).toBe(404);
    await expectRefusedAfter101(url);
  });

  it('dropping every session: the clients see 1006', async () => {
    const { sim, token } = await startSim({});
    const a = client(await serialUrl(SERVER_IDS.web1, sim, token));
    const b = client(await serialUrl(SERVER_IDS.web10, sim, token));
    await Promise.all([a.opened, b.opened]);
    expect(sim.dropConsoleSessions()).toBe(2);
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    expect(sim.serialSessions()).toEqual([]);
  });

  it('a BUILD server becomes ACTIVE after N GETs of /servers/{id} (409 for a console before)', async () => {
    const { sim, token } = await startSim({});
    const id = SERVER_IDS.building;
    expect((await createConsole(id, { sim, token })).status).toBe(409);
    sim.finishBuild(id, { afterGets: 2 });
    const show = async () => {
      const res = await fetch(`${sim.url}/compute/v2.1/servers/${id}`, { headers: { 'X-Auth-Token': token } });
      return ((await res.json()) as any).server;
    };
    expect(await show()).toMatchObject({ status: 'BUILD', 'OS-EXT-STS:task_state': 'scheduling' });
    expect(await show()).toMatchObject({ status: 'BUILD', 'OS-EXT-STS:vm_state': 'building' });
    const active = await show();
    expect(active).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': 1,
    });
    expect(active.fault).toBeUndefined();
    const c = client(await serialUrl(id, sim, token));
    await c.opened;
    c.send('\r');
    await c.waitFor('building-vm login: ');
    c.ws.close();
    await c.closed;
  });

  it('a BUILD server that fails shows ERROR with its fault (details hidden from non-admins for a 500)', async () => {
    const { sim, token } = await startSim({});
    sim.finishBuild(SERVER_IDS.building, { to: 'ERROR' });
    const res = await fetch(`${sim.url}/compute/v2.1/servers/${SERVER_IDS.building}`, {
      headers: { 'X-Auth-Token': token },
    });
    const server = ((await res.json()) as any).server;
    expect(server).toMatchObject({ status: 'ERROR', 'OS-EXT-STS:vm_state': 'error' });
    expect(Object.keys(server.fault)).toEqual(['code', 'created', 'message']);
    expect(server.fault).toMatchObject({
      code: 500,
      message: 'No valid host was found. There are not enough hosts available.',
    });
    const admin = await issueToken(sim, 'admin');
    const asAdmin = await fetch(`${sim.url}/compute/v2.1/servers/${SERVER_IDS.building}`, {
      headers: { 'X-Auth-Token': admin },
    });
    expect(((await asAdmin.json()) as any).server.fault.details).toMatch(/^Traceback/);
  });

  it('enforce_session_timeout: the session drops (no close frame) when its token expires; off, it lives on', async () => {
    const { sim, token } = await startSim({ enforceSessionTimeout: true, consoleTokenTtlSeconds: 30 });
    const c = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await c.opened;
    c.send('\r');
    await c.waitFor('login: ');
    sim.advance(29);
    await quiet(c, 100);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    sim.advance(2);
    expect(await c.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    // A fresh console gets a fresh token and works.
    const again = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await again.opened;
    again.send('\r');
    await again.waitFor('login: ');
    again.ws.close();
    await again.closed;

    // Default (False): the open session survives the token.
    const d = client(await serialUrl(SERVER_IDS.web10));
    await d.opened;
    ctx.sim.advance(700);
    d.send('\r');
    await d.waitFor('web-10 login: ');
    d.ws.close();
    await d.closed;
  });

  it('enforce_session_timeout with a real wait: a 1 s token ends the session about 1 s in', async () => {
    const { sim, token } = await startSim({ enforceSessionTimeout: true, consoleTokenTtlSeconds: 1 });
    // Before the token exists, so a slow machine cannot shorten what is measured.
    const t0 = Date.now();
    const c = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await c.opened;
    expect((await c.closed).code).toBe(1006);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });
});

describe('refusing connections on request', () => {
  it('the next N connections are refused after the 101 even with a live token; unused refusals fail the test', async () => {
    const url = await serialUrl();
    ctx.sim.refuseConsoleConnections(2);
    const refused = [client(url), client(url)];
    for (const c of refused) {
      expect(await c.opened).toBe(true);
      expect((await c.closed).code).toBe(1006);
    }
    const ok = client(url);
    await ok.opened;
    ok.send('\r');
    await ok.waitFor('login: ');
    ok.ws.close();
    await ok.closed;
    ctx.sim.refuseConsoleConnections(1);
    expect(takeSimulatorProblems()).toEqual([
      `${ctx.sim.url}: serial console refusals never used: 1 left of refuseConsoleConnections()`,
    ]);
    expect(takeSimulatorProblems()).toEqual([]);
  });

  it('over /__sim/serial/refuse', async () => {
    const url = await serialUrl();
    expect((await fetch(`${ctx.sim.url}/__sim/serial/refuse`, { method: 'POST', body: '{"count": 1}' })).status).toBe(
      204,
    );
    expect((await client(url).closed).code).toBe(1006);
  });
});

describe('websocket routes the simulator does not know', () => {
  it('an upgrade elsewhere is a 404 and fails the test unless expected', async () => {
    const raw = rawUpgrade(`ws://127.0.0.1:${ctx.sim.port}/console/novnc/websockify`);
    expect(await raw.head).toMatch(/^HTTP\/1\.1 404 /);
    await raw.ended;
    expect(takeSimulatorProblems()).toEqual([
      `${ctx.sim.url}: request to a route the simulator does not know: GET /console/novnc/websockify → 404`,
    ]);
  });

  it('fault rules apply to the upgrade (a 503 from a load balancer in front)', async () => {
    ctx.sim.addFault({ match: { path: /^\/console\/serial/ }, action: { kind: 'status', status: 503 } });
    const c = client(await serialUrl());
    expect(await c.opened).toBe(false);
    expect((await c.closed).code).toBe(1006);
  });
});

describe('control API for out-of-process use (/__sim)', () => {
  it('print, serial state, build, migrate, drop and delete over HTTP', async () => {
    const { sim, token } = await startSim({});
    const ctl = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${sim.url}/__sim${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const c = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await c.opened;
    expect((await ctl('POST', `/servers/${SERVER_IDS.web1}/print`, { text: 'boot ✓\n' })).status).toBe(204);
    await c.waitFor('boot ✓\r\n');
    c.send('root\r');
    await c.waitFor('Password: ');
    const state = await ctl('GET', `/servers/${SERVER_IDS.web1}/serial`);
    expect(state.body).toMatchObject({
      received_text: 'root\r',
      login_state: 'password',
      sessions: [{ active: true }],
    });
    expect(Buffer.from(state.body.received, 'base64').toString()).toBe('root\r');
    expect(await ctl('POST', `/servers/${SERVER_IDS.building}/build`, { afterGets: 0 })).toEqual({
      status: 200,
      body: { status: 'ACTIVE' },
    });
    expect(await ctl('POST', `/servers/${SERVER_IDS.web1}/migrate`)).toEqual({
      status: 200,
      body: { host: 'compute-2' },
    });
    expect((await c.closed).code).toBe(1000);
    const d = client(await serialUrl(SERVER_IDS.web1, sim, token));
    await d.opened;
    expect(await ctl('POST', '/serial/drop')).toEqual({ status: 200, body: { dropped: 1 } });
    expect((await d.closed).code).toBe(1006);
    expect((await ctl('DELETE', `/servers/${SERVER_IDS.web1}`)).status).toBe(204);
    expect(sim.findServer(SERVER_IDS.web1)).toBeUndefined();
    expect((await ctl('GET', `/servers/${SERVER_IDS.web1}/serial`)).status).toBe(404);
  });
});
