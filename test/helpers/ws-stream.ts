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
import { decodeFrame, encodeClientFrame } from '../../src/http/ws-frames.js';
import { ACCEPT, closeCode, upgradeHead } from './ws-wire.js';

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

const MASK = Buffer.from([0x5a, 0x17, 0xc3, 0x08]);

/** A masked client frame of any size (a fixed mask: the tests' bytes are reproducible). */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  return encodeClientFrame(opcode, payload, MASK);
}

/** Opens `url` (ws://) by hand; resolves once the response head arrived. */
export function openRawWebSocket(url: string, o: RawWebSocketOptions = {}): Promise<RawWebSocket> {
  const u = new URL(url);
  const head = upgradeHead(u, o);
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
    sock.on('connect', () => sock.write(head));
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
  for (let f = decodeFrame(buf); f; f = decodeFrame(buf)) {
    buf = buf.subarray(f.size);
    if (f.opcode === 8 && !ws.close) {
      ws.close = closeCode({ opcode: f.opcode, payload: f.payload });
      // RFC 6455 §5.5.1: answer with a close frame (the same code), as browsers do.
      ws.answerClose(f.payload.subarray(0, 2));
    } else if (f.opcode === 2 || f.opcode === 0) {
      ws.frames.push(f.payload.length);
      ws.stream.push(f.payload);
    }
  }
  return buf;
}
