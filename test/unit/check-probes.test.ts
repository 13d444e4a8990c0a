/**
 * The probes of `console check` against real servers on 127.0.0.1: small
 * scripted RFB and SPICE servers over TCP, and websocket servers with
 * websockify's rules (test/sim/ws-server.ts), one per variant a console proxy
 * can show. The pure parts (frames, banners, link messages) are checked
 * byte for byte.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/http/byte-stream.js';
import { HttpClient } from '../../src/http/client.js';
import { probeWebSocket } from '../../src/http/websocket.js';
import type { WebSocketProbe } from '../../src/http/websocket.js';
import { OPCODE, decodeFrame, encodeClientFrame } from '../../src/http/ws-frames.js';
import { answerVersion, parseBanner, probeRfb } from '../../src/core/probes/rfb.js';
import { linkMessage, parseLinkHeader, probeSpiceLink } from '../../src/core/probes/spice.js';
import { openTcp } from '../../src/core/probes/tcp.js';
import type { SocketStream } from '../../src/core/probes/tcp.js';
import { closedPort } from '../helpers/attach.js';
import { startSpiceDirectProxy } from '../helpers/spice.js';
import { selfSigned } from '../helpers/tls.js';
import { probeSpiceDirect, subjectMatches } from '../../src/core/probes/spice-direct.js';
import { linkReply } from '../sim/spice-proxy.js';
import {
  WsConnection,
  badRequest,
  checkHandshake,
  encodeFrame,
  selectBinary,
  switchingProtocols,
} from '../sim/ws-server.js';

const servers: Array<{ close: () => void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Reads exact amounts from a server-side socket, for scripted servers. */
function reader(sock: Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  sock.on('error', () => undefined);
  return async (n) => {
    while (buf.length < n) await new Promise<void>((r) => (wake = r));
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}

/** A TCP server on 127.0.0.1 running `script` for each connection. */
async function tcpServer(
  script: (sock: Socket, read: (n: number) => Promise<Buffer>) => Promise<void>,
): Promise<number> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((sock) => {
    sockets.add(sock);
    void script(sock, reader(sock)).catch(() => sock.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push({
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  });
  return (srv.address() as AddressInfo).port;
}

async function tcp(port: number): Promise<SocketStream> {
  const p = await openTcp({ host: '127.0.0.1', port, timeoutMs: 2000 });
  if (p.kind !== 'open') throw new Error(p.failure.reason);
  return p.stream;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function serverInit(width: number, height: number, name: string): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt16BE(width, 0);
  head.writeUInt16BE(height, 2);
  head.writeUInt32BE(Buffer.byteLength(name), 20);
  return Buffer.concat([head, Buffer.from(name)]);
}

describe('websocket frames', () => {
  it.each([0, 5, 125, 126, 65535, 65536])('a %i-byte masked client frame decodes to its payload', (n) => {
    const payload = Buffer.alloc(n, 0xab);
    const frame = encodeClientFrame(OPCODE.binary, payload, Buffer.from([1, 2, 3, 4]));
    const f = decodeFrame(frame);
    expect(f).toMatchObject({ fin: true, opcode: 2, masked: true, size: frame.length });
    expect(f?.payload.equals(payload)).toBe(true);
    // On the wire the payload is masked.
    if (n > 0) expect(frame.subarray(frame.length - n).equals(payload)).toBe(false);
    expect(decodeFrame(frame.subarray(0, frame.length - 1))).toBeUndefined();
  });

  it('decodes what websockify sends (test/sim/ws-server.ts encodeFrame: unmasked)', () => {
    const f = decodeFrame(encodeFrame(0x8, Buffer.from([0x03, 0xeb, 0x68, 0x69])));
    expect(f).toMatchObject({ opcode: 8, masked: false });
    expect(f?.payload).toEqual(Buffer.from([0x03, 0xeb, 0x68, 0x69]));
  });
});

describe('byte queue', () => {
  it('reads exact amounts across chunks, then reports a short read with the end', async () => {
    const q = new ByteQueue();
    q.push(Buffer.from('RFB 0'));
    setTimeout(() => q.push(Buffer.from('03.008\nxy')), 10);
    expect((await q.read(12, 1000)).bytes.toString()).toBe('RFB 003.008\n');
    setTimeout(() => q.finish({ kind: 'eof' }), 10);
    const r = await q.read(4, 1000);
    expect(r).toMatchObject({ timedOut: false, end: { kind: 'eof' } });
    expect(r.bytes.toString()).toBe('xy');
  });

  it('times out with what it has', async () => {
    const q = new ByteQueue();
    q.push(Buffer.from('R'));
    const started = Date.now();
    const r = await q.read(12, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(r).toMatchObject({ timedOut: true });
    expect(r.end).toBeUndefined();
    expect(r.bytes.toString()).toBe('R');
  });
});

describe('RFB', () => {
  it('banners and the version a client answers', () => {
    expect(parseBanner(Buffer.from('RFB 003.008\n'))).toEqual([3, 8]);
    expect(parseBanner(Buffer.from('RFB 003.889\n'))).toEqual([3, 889]);
    expect(parseBanner(Buffer.from('SSH-2.0-Open'))).toBeUndefined();
    expect(
      [
        [3, 3],
        [3, 7],
        [3, 8],
        [3, 889],
        [4, 0],
      ].map((v) => answerVersion(v as [number, number])),
    ).toEqual([
      [3, 3],
      [3, 7],
      [3, 8],
      [3, 8],
      [3, 8],
    ]);
  });

  it('3.8 with None: banner, security, desktop, and the bytes a viewer sends', async () => {
    let sent: Buffer[] = [];
    const port = await tcpServer(async (sock, read) => {
      sock.write('RFB 003.008\n');
      const version = await read(12);
      sock.write(Buffer.from([1, 1]));
      const choice = await read(1);
      sock.write(u32(0));
      const shared = await read(1);
      sent = [version, choice, shared];
      sock.write(serverInit(640, 480, 'web-1 \x1b[31m'));
    });
    const stream = await tcp(port);
    const steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps).toEqual([
      { name: 'banner', ok: true, detail: 'RFB 003.008' },
      { name: 'security', ok: true, detail: 'security type None accepted (offered: None (1))' },
      // The desktop name is the cloud's text: escaped.
      { name: 'desktop', ok: true, detail: '640x480, desktop name "web-1 \\x1b[31m"' },
    ]);
    expect(sent.map((b) => b.toString('latin1'))).toEqual(['RFB 003.008\n', '\x01', '\x01']);
  });

  it('3.3: the server picks None itself; no SecurityResult', async () => {
    const port = await tcpServer(async (sock, read) => {
      sock.write('RFB 003.003\n');
      await read(12);
      sock.write(u32(1));
      await read(1);
      sock.write(serverInit(800, 600, 'old'));
    });
    const stream = await tcp(port);
    const steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps.map((s) => [s.name, s.ok, s.detail])).toEqual([
      ['banner', true, 'RFB 003.003'],
      ['security', true, 'security type None (offered: None (1))'],
      ['desktop', true, '800x600, desktop name "old"'],
    ]);
  });

  it('a server that wants a password: no None, the types named', async () => {
    const port = await tcpServer(async (sock, read) => {
      sock.write('RFB 003.008\n');
      await read(12);
      sock.write(Buffer.from([2, 2, 19]));
    });
    const stream = await tcp(port);
    const steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps[1]).toEqual({
      name: 'security',
      ok: false,
      detail: 'no security type None: the server offers VNC Authentication (2), VeNCrypt (19)',
      failure: { kind: 'auth', types: [2, 19] },
    });
  });

  it.each([
    [
      'a refusal with a reason (count 0)',
      Buffer.concat([Buffer.from([0]), u32(9), Buffer.from('too many!')]),
      'the VNC server refused the connection: "too many!"',
    ],
    [
      'a failed SecurityResult',
      Buffer.concat([Buffer.from([1, 1]), u32(1), u32(6), Buffer.from('denied')]),
      'security type None failed: "denied"',
    ],
  ])('%s', async (_what, answer, detail) => {
    const port = await tcpServer(async (sock, read) => {
      sock.write('RFB 003.008\n');
      await read(12);
      sock.write(answer);
    });
    const stream = await tcp(port);
    const steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps[1]).toMatchObject({
      name: 'security',
      ok: false,
      detail,
      failure: { kind: 'refused', protocol: 'rfb' },
    });
  });

  it('not a VNC server: what it sent, escaped', async () => {
    const port = await tcpServer(async (sock) => {
      sock.write('SSH-2.0-OpenSH_9.2\r\n');
    });
    const stream = await tcp(port);
    const steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps).toEqual([
      {
        name: 'banner',
        ok: false,
        detail: 'not a VNC server: it sent "SSH-2.0-Open"',
        failure: { kind: 'protocol', expected: 'rfb', got: '"SSH-2.0-Open"' },
      },
    ]);
  });

  it('a connection that ends after the banner, and one that stays silent', async () => {
    const drop = await tcpServer(async (sock, read) => {
      sock.write('RFB 003.008\n');
      await read(12);
      sock.end();
    });
    let stream = await tcp(drop);
    let steps = await probeRfb(stream, 2000);
    await stream.close();
    expect(steps[1]).toMatchObject({
      name: 'security',
      ok: false,
      failure: { kind: 'ended', end: { kind: 'eof' }, bytes: 0 },
    });
    expect(steps[1]?.detail).toMatch(
      /^the connection dropped with no close frame 0(\.\d)? s after the upgrade: no security types$/,
    );
    const silent = await tcpServer(async () => undefined);
    stream = await tcp(silent);
    steps = await probeRfb(stream, 200);
    await stream.close();
    expect(steps).toEqual([
      {
        name: 'banner',
        ok: false,
        detail: 'no RFB banner within 0.2 s after the upgrade',
        failure: { kind: 'silent', waitedMs: 200, bytes: 0 },
      },
    ]);
  });
});

describe('SPICE link', () => {
  it('the link message, byte for byte (spice/protocol.h, little-endian)', () => {
    expect(linkMessage().toString('hex')).toBe(
      '52454451' +
        '02000000' +
        '02000000' +
        '12000000' +
        '00000000' +
        '01' +
        '00' +
        '00000000' +
        '00000000' +
        '12000000',
    );
    expect(parseLinkHeader(linkMessage())).toEqual({ magic: true, major: 2, minor: 2, size: 18 });
  });

  // A server's link reply (header, error, a 162-byte key, no caps): the simulator's SPICE server builds it.
  const reply = linkReply;

  it.each([
    [0, true, '"REDQ" reply (SPICE 2.2), main channel link accepted'],
    [5, false, '"REDQ" reply (SPICE 2.2), link error NEED_SECURED (5)'],
    [7, false, '"REDQ" reply (SPICE 2.2), link error PERMISSION_DENIED (7)'],
  ])('link error %i', async (error, ok, detail) => {
    let got: Buffer | undefined;
    const port = await tcpServer(async (sock, read) => {
      got = await read(16 + 18);
      sock.write(reply(error));
    });
    const stream = await tcp(port);
    const r = await probeSpiceLink(stream, 2000, 'after connecting');
    await stream.close();
    expect(r.step).toMatchObject({ name: 'link', ok, detail });
    expect(r.error).toBe(error);
    expect(got?.equals(linkMessage())).toBe(true);
  });

  it('a VNC server where SPICE was expected', async () => {
    const port = await tcpServer(async (sock) => {
      sock.write('RFB 003.008\n');
    });
    const stream = await tcp(port);
    const r = await probeSpiceLink(stream, 300);
    await stream.close();
    expect(r.step).toMatchObject({
      ok: false,
      detail: 'not a SPICE server: it answered "RFB 003.008\\n"',
      failure: { kind: 'protocol', expected: 'spice' },
    });
  });
});

describe('websocket probe', () => {
  type Script = (req: IncomingMessage, socket: Duplex) => void;

  /** An HTTP server whose upgrades run `script` (websockify's handshake from test/sim/ws-server.ts unless the script answers itself). */
  async function wsServer(script: Script): Promise<string> {
    const srv = createHttpServer((_req, res) => res.writeHead(404).end());
    const sockets = new Set<Duplex>();
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      script(req, socket);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push({
      close: () => {
        for (const s of sockets) s.destroy();
        srv.close();
      },
    });
    return `ws://127.0.0.1:${(srv.address() as AddressInfo).port}/?token=0123456789abcdef`;
  }

  /** websockify's accept, then `after` with the open connection. */
  function websockify(after: (conn: WsConnection, socket: Duplex, req: IncomingMessage) => void): Script {
    return (req, socket) => {
      const hs = checkHandshake(req.headers, selectBinary);
      if (!hs.ok) return void socket.end(badRequest(hs.message));
      socket.write(switchingProtocols(hs.accept, hs.protocol));
      after(new WsConnection(socket), socket, req);
    };
  }

  const http = new HttpClient({ timeoutMs: 2000 });
  const probe = (url: string, opts: { origin?: string; protocols?: string[]; timeoutMs?: number } = {}) =>
    probeWebSocket(url, { dispatcher: http.dispatcherForWebSocket(url), timeoutMs: opts.timeoutMs ?? 2000, ...opts });

  async function open(p: Promise<WebSocketProbe>) {
    const r = await p;
    if (r.kind !== 'open') throw new Error(`not open: ${JSON.stringify(r)}`);
    return r;
  }

  it('101 with binary: bytes across frames, our frames reach the proxy, a ping is answered, our close is echoed', async () => {
    const received: Buffer[] = [];
    let closedWith: unknown;
    const url = await wsServer(
      websockify((conn, socket) => {
        conn.onMessage = (d) => received.push(d);
        conn.onClosed = (c) => (closedWith = c);
        conn.sendBinary(Buffer.from('RFB 00'));
        socket.write(encodeFrame(0x9, Buffer.from('hi')));
        conn.sendBinary(Buffer.from('3.008\n'));
      }),
    );
    const r = await open(probe(url));
    expect(r).toMatchObject({ protocol: 'binary', acceptValid: true });
    expect((await r.stream.read(12, 1000)).bytes.toString()).toBe('RFB 003.008\n');
    r.stream.write(Buffer.from('RFB 003.008\n'));
    await new Promise((res) => setTimeout(res, 50));
    expect(Buffer.concat(received).toString()).toBe('RFB 003.008\n');
    await r.stream.close();
    expect(closedWith).toEqual({ code: 1000, reason: '' });
    const end = await r.stream.read(1, 100);
    expect(end.end).toEqual({ kind: 'close', code: 1000, reason: '' });
  });

  it('a drop right after the 101 (nova refusing a token): an end with no close frame, and when', async () => {
    let droppedAt = 0;
    const url = await wsServer(
      websockify((_conn, socket) =>
        setTimeout(() => {
          droppedAt = Date.now();
          socket.destroy();
        }, 300),
      ),
    );
    // The stream's clock starts somewhere between these two instants; bound
    // "when" by them rather than by the server's delay, which a loaded machine
    // stretches on either side.
    const beforeOpen = Date.now();
    const r = await open(probe(url));
    const opened = Date.now();
    const got = await r.stream.read(12, 2000);
    const readDone = Date.now();
    expect(got).toMatchObject({ timedOut: false, end: { kind: 'eof' } });
    expect(got.bytes.length).toBe(0);
    expect(droppedAt).toBeGreaterThan(0);
    expect(got.endedAfterMs).toBeGreaterThanOrEqual(droppedAt - opened);
    expect(got.endedAfterMs).toBeLessThanOrEqual(readDone - beforeOpen);
  });

  it("a close frame: its code and reason (websockify's answer to a text frame)", async () => {
    const url = await wsServer(websockify((conn) => conn.close(1003, 'Unsupported: Text frames are not supported')));
    const r = await open(probe(url));
    const got = await r.stream.read(12, 2000);
    expect(got.end).toEqual({ kind: 'close', code: 1003, reason: 'Unsupported: Text frames are not supported' });
  });

  it("a 400 with websockify's reason phrase, and its body", async () => {
    const url = await wsServer(websockify(() => undefined));
    const r = await probe(url, { protocols: ['base64'] });
    expect(r).toMatchObject({ kind: 'http', status: 400, statusText: 'Invalid protocol selected' });
    expect(r.kind === 'http' && r.body).toMatch(/Message: Invalid protocol selected\./);
  });

  it('a wrong Sec-WebSocket-Accept, and no subprotocol chosen', async () => {
    const url = await wsServer((_req, socket) => {
      socket.write(switchingProtocols('bm90IHRoZSByaWdodCBrZXk=', ''));
    });
    const r = await open(probe(url));
    expect(r).toMatchObject({ acceptValid: false, protocol: '' });
    await r.stream.close();
  });

  it('Origin only when asked for', async () => {
    const origins: Array<string | undefined> = [];
    const url = await wsServer(
      websockify((conn, _s, req) => {
        origins.push(req.headers.origin);
        conn.close(1000, '');
      }),
    );
    await (await open(probe(url))).stream.close();
    await (await open(probe(url, { origin: 'http://127.0.0.1:6080' }))).stream.close();
    expect(origins).toEqual([undefined, 'http://127.0.0.1:6080']);
  });

  it('connection refused, and a server that never answers the upgrade', async () => {
    const port = await closedPort();
    expect(await probe(`ws://127.0.0.1:${port}/?token=0123456789abcdef`)).toEqual({
      kind: 'failed',
      failure: { code: 'ECONNREFUSED', reason: 'connection refused', tls: false, timedOut: false },
    });
    const url = await wsServer(() => undefined);
    const started = Date.now();
    const r = await probe(url, { timeoutMs: 300 });
    expect(r).toMatchObject({ kind: 'failed', failure: { timedOut: true } });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('spice-direct', () => {
  it('host-subject against a certificate subject: every entry, in any order, no more and no fewer', () => {
    const subject = { C: 'XX', O: 'Kerbside', CN: 'kerbside.example.com' };
    expect(subjectMatches('C=XX,O=Kerbside,CN=kerbside.example.com', subject)).toBe(true);
    expect(subjectMatches('CN=kerbside.example.com, O=Kerbside, C=XX', subject)).toBe(true);
    expect(subjectMatches('CN=kerbside.example.com', subject)).toBe(false);
    expect(subjectMatches('C=XX,O=Other,CN=kerbside.example.com', subject)).toBe(false);
    expect(subjectMatches('C=XX,O=Kerbside,CN=kerbside.example.com,L=City', subject)).toBe(false);
  });

  it("TLS with the file's host-subject: the matching subject passes, another one fails as TLS", async () => {
    const tls = selfSigned();
    const http = new HttpClient({ timeoutMs: 2000 });
    try {
      for (const [hostSubject, ok] of [
        ['CN=127.0.0.1', true],
        ['CN=kerbside.example.com', false],
      ] as const) {
        const proxy = await startSpiceDirectProxy({ tls, hostSubject });
        servers.push({ close: proxy.stop });
        const steps = await probeSpiceDirect(http, `${proxy.baseUrl}?token=0123456789abcdef`, 2000);
        const step = steps.find((x) => x.name === 'tls');
        expect(step?.ok).toBe(ok);
        if (ok)
          expect(step?.detail).toBe(
            `TLS 127.0.0.1:${proxy.tlsPort}, certificate verified (host-subject) against the file's ca`,
          );
        else expect(step?.failure).toMatchObject({ kind: 'connect', failure: { tls: true } });
        expect(steps.map((x) => x.name)).toEqual(ok ? ['file', 'connect', 'tls', 'link'] : ['file', 'connect', 'tls']);
      }
    } finally {
      tls.cleanup();
      await http.close();
    }
  });

  it('a file with no usable host and port, or not for SPICE, fails the file step', async () => {
    const srv = createHttpServer((req, res) => {
      const body = req.url?.includes('vnc')
        ? '[virt-viewer]\ntype=vnc\nhost=h\nport=5900\n'
        : '[virt-viewer]\ntype=spice\nhost=h\n';
      res.writeHead(200, { 'Content-Type': 'application/x-virt-viewer' }).end(body);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push({ close: () => srv.close() });
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const http = new HttpClient({ timeoutMs: 2000 });
    const [spice] = await probeSpiceDirect(http, `${base}/nova-console.vv?token=x`, 2000);
    const [vnc] = await probeSpiceDirect(http, `${base}/vnc.vv?token=x`, 2000);
    await http.close();
    expect(spice).toMatchObject({ ok: false, detail: expect.stringMatching(/but the file names no host and port$/) });
    expect(vnc).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/but a virt-viewer file for "vnc", not spice$/),
    });
  });
});
