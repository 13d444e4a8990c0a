/**
 * A small VNC (RFB 3.8) client for tests, over a TCP socket: what a stock
 * viewer does first through nova's RFB security proxy. Facts: RFC 6143
 * §7.1.1 ProtocolVersion (12 bytes, "RFB 003.008\n"), §7.1.2 Security (u8
 * count + types; None = 1), §7.1.3 SecurityResult (u32 0 = OK), §7.3.1
 * ClientInit (u8 shared), §7.3.2 ServerInit (u16 width, u16 height, 16-byte
 * pixel format, u32 name length, name), §7.5.3 FramebufferUpdateRequest,
 * §7.6.1 FramebufferUpdate (u8 0, pad, u16 rects; each rect u16 x, y, w, h,
 * s32 encoding; raw = w*h*bytesPerPixel bytes).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Reads exact byte counts from a socket (or a websocket as a stream), however the bytes were split. */
export class ByteReader {
  private buf = Buffer.alloc(0);
  private waiter?: () => void;
  private ended = false;

  constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    const end = () => {
      this.ended = true;
      this.waiter?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`the connection ended after ${this.buf.length} of ${n} bytes`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves once the peer has closed (or ended) the connection. */
  async closed(timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > until) throw new Error('the connection stayed open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export interface ServerInit {
  banner: string;
  securityTypes: number[];
  width: number;
  height: number;
  bitsPerPixel: number;
  name: string;
}

export function tcpConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The RFB 3.8 handshake with security type None, up to ServerInit. */
export async function rfbHandshake(r: ByteReader): Promise<ServerInit> {
  const banner = (await r.read(12)).toString('latin1');
  if (!/^RFB \d{3}\.\d{3}\n$/.test(banner)) throw new Error(`not an RFB banner: ${JSON.stringify(banner)}`);
  r.socket.write('RFB 003.008\n');
  const count = (await r.read(1))[0] as number;
  if (count === 0) throw new Error(`the server refused: ${await failureReason(r)}`);
  const securityTypes = [...(await r.read(count))];
  if (!securityTypes.includes(1)) throw new Error(`no security type None in ${securityTypes.join(',')}`);
  r.socket.write(Buffer.from([1]));
  const result = (await r.read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`SecurityResult ${result}: ${await failureReason(r)}`);
  r.socket.write(Buffer.from([1])); // ClientInit: shared
  const init = await r.read(24);
  const name = (await r.read(init.readUInt32BE(20))).toString('utf8');
  return {
    banner,
    securityTypes,
    width: init.readUInt16BE(0),
    height: init.readUInt16BE(2),
    bitsPerPixel: init[4] as number,
    name,
  };
}

async function failureReason(r: ByteReader): Promise<string> {
  const len = (await r.read(4)).readUInt32BE(0);
  return (await r.read(len)).toString('utf8');
}

/** Asks for the whole screen and reads one FramebufferUpdate of raw rectangles; returns the pixel bytes. */
export async function rfbFrame(r: ByteReader, init: ServerInit): Promise<Buffer> {
  const req = Buffer.alloc(10);
  req.writeUInt8(3, 0); // FramebufferUpdateRequest
  req.writeUInt8(0, 1); // not incremental
  req.writeUInt16BE(init.width, 6);
  req.writeUInt16BE(init.height, 8);
  r.socket.write(req);
  const head = await r.read(4);
  if (head[0] !== 0) throw new Error(`expected a FramebufferUpdate, got message type ${head[0]}`);
  const pixels: Buffer[] = [];
  for (let i = head.readUInt16BE(2); i > 0; i--) {
    const rect = await r.read(12);
    const [w, h, encoding] = [rect.readUInt16BE(4), rect.readUInt16BE(6), rect.readInt32BE(8)];
    if (encoding !== 0) throw new Error(`expected raw encoding, got ${encoding}`);
    pixels.push(await r.read((w * h * init.bitsPerPixel) / 8));
  }
  return Buffer.concat(pixels);
}
