/**
 * Websocket frames, client side (RFC 6455 section 5): what a probe needs to
 * talk to a console proxy over a raw upgraded socket. Client frames are
 * masked (a proxy closes with 1002 otherwise: websockify/websocket.py
 * _recvmsg); server frames are not. Payload lengths: 7 bits, or 126 + u16, or
 * 127 + u64, big-endian (section 5.2).
 */
import { randomBytes } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WsFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** Bytes the frame took in the buffer. */
  size: number;
}

/** One masked client frame with FIN set. */
export function encodeClientFrame(opcode: number, payload: Uint8Array, mask: Buffer = randomBytes(4)): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, 0x80 | n])
      : n < 0x10000
        ? Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), u64(n)]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, mask, body]);
}

/** A close frame's payload: the code (u16) and a UTF-8 reason; empty for "no code". */
export function closePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason, 'utf8')]);
}

/** The code and reason of a close frame's payload (code null when it carried none). */
export function parseClose(payload: Buffer): { code: number | null; reason: string } {
  if (payload.length < 2) return { code: null, reason: '' };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
}

/** The first complete frame at the front of `buf`, or undefined while it is incomplete. */
export function decodeFrame(buf: Buffer): WsFrame | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  const masked = (b1 & 0x80) !== 0;
  let at = 2;
  let len = b1 & 0x7f;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const maskAt = at;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (masked) for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (buf[maskAt + (i % 4)] as number);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload, size: at + len };
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
