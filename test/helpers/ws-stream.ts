/**
 * A websocket client as a byte stream, over a raw TCP socket: the upgrade by
 * hand (status, headers), then binary frames' payloads as one readable stream
 * and writes sent as masked binary frames (RFC 6455 §5.2, §5.3). Unlike
 * undici it shows how the server ended: its close frame (answered with ours,
 * as browsers do), or a bare FIN/RST.
 * For tests that speak a console protocol (RFB, SPICE) through a proxy.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { ACCEPT, closeCode } from './ws-wire.js';

export interface RawWebSocket {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** The body after a refused upgrade (not 101). */
  body: Buffer;
  /** Payloads of binary frames, in order; writes become masked binary frames. */
  stream: Duplex;
  /** Payload sizes of the binary frames received so far. */
  frames: number[];
  /** The server's close frame, once received. */
  close?: { code: number | null; reason: string };
  /** Resolves when the TCP connection is over: how it ended. */
  ended: Promise<'FIN' | 'RST'>;
  /** One text frame (websockify refuses them). */
  sendText(text: string): void;
  /** Sends our close frame with this payload (done on the server's close). */
  answerClose(payload: Buffer): void;
  destroy(): void;
}

export interface RawWebSocketOptions {
  /** Sec-WebSocket-Protocol; default 'binary', null for none. */
  protocols?: string | null;
  origin?: string;
}

/** A masked client frame of any size. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 0x10000
        ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
        : (() => {
            const b = Buffer.from([0x80 | opcode, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
            b.writeBigUInt64BE(BigInt(n), 2);
            return b;
          })();
  const mask = Buffer.from([0x5a, 0x17, 0xc3, 0x08]);
  return Buffer.concat([head, mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

/** Opens `url` (ws://) by hand; resolves once the response head arrived. */
export function openRawWebSocket(url: string, o: RawWebSocketOptions = {}): Promise<RawWebSocket> {
  const u = new URL(url);
  const head = [
    `GET ${u.pathname}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...(o.protocols === null ? [] : [`Sec-WebSocket-Protocol: ${o.protocols ?? 'binary'}`]),
    ...(o.origin ? [`Origin: ${o.origin}`] : []),
  ];
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(Number(u.port), u.hostname);
    let buf: Buffer = Buffer.alloc(0);
    let ws: RawWebSocket | undefined;
    let how: 'FIN' | 'RST' = 'FIN';
    let endedResolve!: (how: 'FIN' | 'RST') => void;
    const ended = new Promise<'FIN' | 'RST'>((r) => (endedResolve = r));
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        sock.write(maskedFrame(2, chunk), () => cb());
      },
    });
    stream.on('error', () => undefined);
    sock.on('connect', () => sock.write(head.join('\r\n') + '\r\n\r\n'));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!ws) {
        const split = buf.indexOf('\r\n\r\n');
        if (split < 0) return;
        ws = response(buf.subarray(0, split), stream, ended, sock);
        buf = buf.subarray(split + 4);
        resolve(ws);
      }
      if (ws.status !== 101) {
        ws.body = Buffer.concat([ws.body, buf]);
        buf = Buffer.alloc(0);
        return;
      }
      buf = takeFrames(buf, ws);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (!ws) return reject(err);
      if (err.code === 'ECONNRESET') how = 'RST';
    });
    sock.on('close', () => {
      if (!ws) reject(new Error(`no response head: ${JSON.stringify(buf.toString('latin1'))}`));
      stream.push(null);
      endedResolve(how);
    });
  });
}

function response(raw: Buffer, stream: Duplex, ended: Promise<'FIN' | 'RST'>, sock: Socket): RawWebSocket {
  const [statusLine, ...lines] = raw.toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  if (m?.[1] === '101' && headers['sec-websocket-accept'] !== ACCEPT) throw new Error('bad Sec-WebSocket-Accept');
  return {
    status: Number(m?.[1]),
    reason: m?.[2] ?? '',
    headers,
    body: Buffer.alloc(0),
    stream,
    frames: [],
    ended,
    sendText: (text) => sock.write(maskedFrame(1, Buffer.from(text))),
    answerClose: (payload) => sock.write(maskedFrame(8, payload)),
    destroy: () => sock.destroy(),
  };
}

/** Takes whole server frames off `buf` into `ws`; returns what is left. */
function takeFrames(buf: Buffer, ws: RawWebSocket): Buffer {
  for (;;) {
    if (buf.length < 2) return buf;
    let len = buf[1]! & 0x7f;
    let at = 2;
    if (len === 126) [len, at] = buf.length >= 4 ? [buf.readUInt16BE(2), 4] : [Infinity, 4];
    else if (len === 127) [len, at] = buf.length >= 10 ? [Number(buf.readBigUInt64BE(2)), 10] : [Infinity, 10];
    if (at + len > buf.length) return buf;
    const opcode = buf[0]! & 0x0f;
    const payload = Buffer.from(buf.subarray(at, at + len));
    buf = buf.subarray(at + len);
    if (opcode === 8 && !ws.close) {
      ws.close = closeCode({ opcode, payload });
      // RFC 6455 §5.5.1: answer with a close frame (the same code), as browsers do.
      ws.answerClose(payload.subarray(0, 2));
    } else if (opcode === 2 || opcode === 0) {
      ws.frames.push(payload.length);
      ws.stream.push(payload);
    }
  }
}
