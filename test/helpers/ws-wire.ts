/**
 * A websocket client on the wire, for tests that must see what undici hides:
 * the raw upgrade (status line, headers, whether the TCP connection ended
 * with FIN or RST) and frames as bytes, plus an undici Session that records
 * frames and the close. Used by the real tier's serial proxy tests
 * (test/openstack/serial-proxy.ts) and the simulator's reality check against
 * what they recorded (test/sim/reality-serial.test.ts).
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'undici';

export function withToken(url: string, token: string | null): string {
  const u = new URL(url);
  if (token === null) u.searchParams.delete('token');
  else u.searchParams.set('token', token);
  return u.toString();
}

// ------------------------------------------------------------------ raw websocket over node:net

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** A masked client frame (RFC 6455 5.3: clients must mask). */
export function clientFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const p = Buffer.from(payload);
  if (p.length > 125) throw new Error('short frames only');
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | p.length]), mask, p.map((b, i) => b ^ mask[i % 4]!)]);
}

/** Server frames (unmasked) in `buf`; a trailing partial frame is left out. */
export function parseFrames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    let len = buf[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) [len, at] = [buf.readUInt16BE(at), at + 2];
    else if (len === 127) [len, at] = [Number(buf.readBigUInt64BE(at)), at + 8];
    if (at + len > buf.length) break;
    out.push({ opcode: buf[i]! & 0x0f, payload: buf.subarray(at, at + len) });
    i = at + len;
  }
  return out;
}

export function closeCode(frame: Frame): { code: number | null; reason: string } {
  return frame.payload.length >= 2
    ? { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') }
    : { code: null, reason: '' };
}

export interface RawResult {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** what came after the response head (websocket frames, or an error page) */
  rest: Buffer;
  /** the server closed its side (FIN) */
  ended: boolean;
  /** the server reset the connection (RST: it closed with our bytes unread) */
  reset: boolean;
  /** ms from the request to the server's FIN, or null */
  endedAfterMs: number | null;
}

export interface RawOptions {
  protocols?: string | null;
  origin?: string;
  version?: boolean;
  /** frames to send after the 101, at ms offsets */
  send?: [number, Buffer][];
  /** give up (and close our side) after this many ms */
  waitMs?: number;
  /** close our side as soon as the server sent a close frame */
  untilClose?: boolean;
  /** close our side as soon as this many bytes followed the response head (a banner: no fixed wait) */
  untilBytes?: number;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const ACCEPT = createHash('sha1').update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** The upgrade request's head, as a browser sends it (subprotocol binary unless told otherwise), blank line included. */
export function upgradeHead(u: URL, o: Pick<RawOptions, 'protocols' | 'origin' | 'version'> = {}): string {
  const head = [
    `GET ${u.pathname}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    ...(o.version === false ? [] : ['Sec-WebSocket-Version: 13']),
    ...(o.protocols === null ? [] : [`Sec-WebSocket-Protocol: ${o.protocols ?? 'binary'}`]),
    ...(o.origin ? [`Origin: ${o.origin}`] : []),
  ];
  return `${head.join('\r\n')}\r\n\r\n`;
}

/** One upgrade request by hand, then what the server sends until it closes or waitMs passes. */
export function rawUpgrade(url: string, o: RawOptions = {}): Promise<RawResult> {
  const u = new URL(url);
  const head = upgradeHead(u, o);
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock: Socket = connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    let endedAfterMs: number | null = null;
    let reset = false;
    const timers: NodeJS.Timeout[] = [setTimeout(() => sock.destroy(), o.waitMs ?? 5000)];
    sock.on('connect', () => sock.write(head));
    sock.on('data', (d: Buffer) => {
      const first = buf.length === 0;
      buf = Buffer.concat([buf, d]);
      const split = buf.indexOf('\r\n\r\n');
      if (o.untilClose && split >= 0 && parseFrames(buf.subarray(split + 4)).some((fr) => fr.opcode === 8)) {
        sock.destroy();
      }
      if (o.untilBytes !== undefined && split >= 0 && buf.length - split - 4 >= o.untilBytes) sock.destroy();
      if (first) for (const [at, frame] of o.send ?? []) timers.push(setTimeout(() => sock.write(frame), at));
    });
    sock.on('end', () => {
      endedAfterMs = Date.now() - t0;
      sock.end();
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') return reject(err);
      reset = true;
      endedAfterMs ??= Date.now() - t0;
    });
    sock.on('close', () => {
      timers.forEach(clearTimeout);
      const split = buf.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no response head: ${JSON.stringify(buf.toString('latin1'))}`));
      const [statusLine, ...lines] = buf.subarray(0, split).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine ?? '');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: Number(m?.[1]),
        reason: m?.[2] ?? '',
        headers,
        rest: buf.subarray(split + 4),
        ended: endedAfterMs !== null,
        reset,
        endedAfterMs,
      });
    });
  });
}

// ------------------------------------------------------------------ undici WebSocket

export interface Closed {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** An undici WebSocket session: bytes received (as one stream), frame sizes, the close. */
export class Session {
  readonly ws: WebSocket;
  readonly opened: Promise<string>;
  readonly closed: Promise<Closed>;
  bytes = Buffer.alloc(0);
  frames: number[] = [];
  textFrames = 0;
  errored = false;

  constructor(url: string, protocols: string[] | undefined = ['binary']) {
    this.ws = new WebSocket(url, protocols ? { protocols } : {});
    this.ws.binaryType = 'arraybuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve(this.ws.protocol));
      this.ws.addEventListener('close', () => reject(new Error('closed before open')));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      this.ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })),
    );
    this.ws.addEventListener('error', () => (this.errored = true));
    this.ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') {
        this.textFrames++;
        return;
      }
      const chunk = Buffer.from(e.data as ArrayBuffer);
      this.frames.push(chunk.length);
      this.bytes = Buffer.concat([this.bytes, chunk]);
    });
  }

  /** Bytes as binary frames (never text: websockify closes with 1003 on text). */
  type(s: string): void {
    this.ws.send(Buffer.from(s, 'latin1'));
  }

  text(): string {
    return this.bytes.toString('latin1');
  }

  /** Waits until the stream received since `from` matches `re`; returns that part. */
  async waitFor(re: RegExp, from = 0, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const part = this.bytes.subarray(from).toString('latin1');
      if (re.test(part)) return part;
      await sleep(25);
    }
    throw new Error(`no ${re} in ${JSON.stringify(this.bytes.subarray(from).toString('latin1'))}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
