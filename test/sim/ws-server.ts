/**
 * A minimal RFC 6455 websocket server side, with websockify's rules, for the
 * simulated console proxies: the handshake websockify's WebSocket.accept()
 * does, its frame decoding (_decode_hybi) and its message rules (_recvmsg),
 * whose close codes and reasons a client sees. Facts: websockify 0.10/0.12
 * websockify/websocket.py, websocketserver.py, websockifyserver.py.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export type Handshake = { ok: true; accept: string; protocol: string } | { ok: false; message: string };

/**
 * websocket.py accept(): the checks that answer 400 before the upgrade, in
 * websockify's order and words. `protocols` is split on ',' without trimming,
 * as websockify does, so only a first-listed `binary` is recognised.
 */
export function checkHandshake(
  headers: Record<string, string | string[] | undefined>,
  select: (offered: string[]) => string,
): Handshake {
  const h = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  if ((h('upgrade') ?? '').toLowerCase() !== 'websocket')
    return { ok: false, message: 'Missing or incorrect upgrade header' };
  const ver = h('sec-websocket-version');
  if (ver === undefined) return { ok: false, message: 'Missing Sec-WebSocket-Version header' };
  if (!['7', '8', '13'].includes(ver)) return { ok: false, message: `Unsupported protocol version ${ver}` };
  const key = h('sec-websocket-key');
  if (key === undefined) return { ok: false, message: 'Missing Sec-WebSocket-Key header' };
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const offered = (h('sec-websocket-protocol') ?? '').split(',');
  const protocol = select(offered);
  if (!offered.includes(protocol)) return { ok: false, message: 'Invalid protocol selected' };
  return { ok: true, accept, protocol };
}

/** websockifyserver.py CompatibleWebSocket.select_subprotocol: `binary` if offered, else none. */
export function selectBinary(offered: string[]): string {
  return offered.includes('binary') ? 'binary' : '';
}

export function switchingProtocols(accept: string, protocol: string): string {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'];
  lines.push(`Sec-WebSocket-Accept: ${accept}`);
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * websocketserver.py handle_upgrade: send_error(400, str(exc)), i.e. Python's
 * http.server error page, with the message as the reason phrase too.
 */
export function badRequest(message: string): string {
  const esc = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body =
    '<!DOCTYPE HTML>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n' +
    '        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n' +
    `        <p>Error code: 400</p>\n        <p>Message: ${esc}.</p>\n` +
    '        <p>Error code explanation: 400 - Bad request syntax or unsupported method.</p>\n    </body>\n</html>\n';
  const bytes = Buffer.from(body);
  return (
    `HTTP/1.1 400 ${message}\r\nServer: WebSockify Python/3.13\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Connection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${bytes.length}\r\n\r\n${body}`
  );
}

export interface Frame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** Bytes the frame took in the buffer. */
  length: number;
}

/** websocket.py _decode_hybi: one frame from the front of `buf`, or undefined when incomplete. */
export function decodeFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined;
  const b1 = buf[0]!;
  const b2 = buf[1]!;
  const masked = (b2 & 0x80) !== 0;
  let hlen = masked ? 6 : 2;
  let len = b2 & 0x7f;
  if (len === 126) {
    hlen += 2;
    if (buf.length < hlen) return undefined;
    len = buf.readUInt16BE(2);
  } else if (len === 127) {
    hlen += 8;
    if (buf.length < hlen) return undefined;
    len = Number(buf.readBigUInt64BE(2));
  }
  if (buf.length < hlen + len) return undefined;
  const payload: Buffer = Buffer.from(buf.subarray(hlen, hlen + len));
  if (masked) {
    const key = buf.subarray(hlen - 4, hlen);
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i % 4]!;
  }
  return { fin: (b1 & 0x80) !== 0, opcode: b1 & 0x0f, masked, payload, length: hlen + len };
}

/** A server frame: FIN set, never masked (websocket.py _encode_hybi). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, n])
      : n < 0x10000
        ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(n)]);
  return Buffer.concat([head, payload]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function closePayload(code: number | undefined, reason: string | undefined): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason ?? '', 'utf8')]);
}

export interface Closed {
  /** The code websockify records: the peer's, 1000 for a close we started, 1005 none given, 1006 no close frame. */
  code: number;
  reason: string;
}

/**
 * One accepted websocket, server side, following websockify's WebSocket: data
 * only in binary frames (fragments joined), pings answered, the peer's close
 * echoed, protocol errors answered with a close frame (shutdown) after which
 * nothing more is sent and the peer's close is awaited.
 */
export class WsConnection {
  onMessage: (data: Buffer) => void = () => undefined;
  /** Once, when the websocket is over (the proxy's do_proxy would raise CClose now). */
  onClosed: (closed: Closed) => void = () => undefined;
  private buf = Buffer.alloc(0);
  private partial: Buffer | undefined;
  private sentClose = false;
  private receivedClose = false;
  private closed: Closed | undefined;
  private ended = false;

  constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A TCP end without a close frame: websocket.py _recv_frames records 1006.
    socket.on('end', () => this.finish({ code: 1006, reason: 'Connection closed abnormally' }));
    socket.on('close', () => this.finish({ code: 1006, reason: 'Connection closed abnormally' }));
    socket.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return !this.sentClose && !this.ended;
  }

  sendBinary(data: Buffer): void {
    // websocket.py: "Calls to send() and sendmsg() will be ignored" once closing.
    if (this.isOpen && data.length > 0) this.socket.write(encodeFrame(0x2, data));
  }

  /** websocket.py shutdown(): a close frame; the peer's close is awaited. */
  shutdown(code: number | undefined, reason?: string): void {
    if (this.sentClose || this.ended) return;
    if (!this.receivedClose) this.closed = { code: 1000, reason: 'Locally initiated close' };
    this.sentClose = true;
    this.socket.write(encodeFrame(0x8, closePayload(code, reason)));
  }

  /** CClose in websockifyserver.py handle_websocket: a close frame, then the handler returns and the TCP connection ends. */
  close(code: number, reason: string): void {
    this.shutdown(code, reason);
    this.end();
  }

  /** The TCP connection goes away with no close frame: the client sees 1006. */
  drop(): void {
    this.socket.destroy();
    this.finish({ code: 1006, reason: 'Connection closed abnormally' });
  }

  private end(): void {
    if (this.ended) return;
    this.socket.end();
    this.finish(this.closed ?? { code: 1000, reason: 'Locally initiated close' });
  }

  private finish(closed: Closed): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
    this.onClosed(this.closed ?? closed);
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.ended) return;
      const frame = decodeFrame(this.buf);
      if (!frame) return;
      this.buf = this.buf.subarray(frame.length);
      this.onFrame(frame);
    }
  }

  /** websocket.py _recvmsg, rule by rule (the "Procotol" typo is websockify's). */
  private onFrame(f: Frame): void {
    if (!f.masked) return this.shutdown(1002, 'Procotol error: Frame not masked');
    switch (f.opcode) {
      case 0x0:
        // An empty first fragment counts as no partial message in websockify too.
        if (!this.partial || this.partial.length === 0)
          return this.shutdown(1002, 'Procotol error: Unexpected continuation frame');
        this.partial = Buffer.concat([this.partial, f.payload]);
        if (f.fin) {
          const msg = this.partial;
          this.partial = undefined;
          this.deliver(msg);
        }
        return;
      case 0x1:
        return this.shutdown(1003, 'Unsupported: Text frames are not supported');
      case 0x2:
        if (this.partial && this.partial.length > 0) return this.shutdown(1002, 'Procotol error: Unexpected new frame');
        if (f.fin) this.deliver(f.payload);
        else this.partial = f.payload;
        return;
      case 0x8:
        return this.onClose(f);
      case 0x9:
        if (!f.fin) return this.shutdown(1003, 'Unsupported: Fragmented ping');
        if (!this.sentClose) this.socket.write(encodeFrame(0xa, f.payload));
        return;
      case 0xa:
        if (!f.fin) return this.shutdown(1003, 'Unsupported: Fragmented pong');
        return;
      default:
        return this.shutdown(1003, `Unsupported: Unknown opcode 0x${f.opcode.toString(16).padStart(2, '0')}`);
    }
  }

  private deliver(msg: Buffer): void {
    // After our close frame websockify still reads, but the proxy is on its way out.
    if (!this.sentClose) this.onMessage(msg);
  }

  private onClose(f: Frame): void {
    if (this.receivedClose) return;
    this.receivedClose = true;
    // The answer to our own close: done.
    if (this.sentClose) return this.end();
    if (!f.fin) return this.shutdown(1003, 'Unsupported: Fragmented close');
    let code: number | undefined;
    let reason: string | undefined;
    if (f.payload.length >= 2) {
      code = f.payload.readUInt16BE(0);
      if (f.payload.length > 2) {
        try {
          reason = new TextDecoder('utf-8', { fatal: true }).decode(f.payload.subarray(2));
        } catch {
          return this.shutdown(1002, 'Procotol error: Invalid UTF-8 in close');
        }
      }
    }
    this.closed =
      code === undefined
        ? { code: 1005, reason: 'No close status code specified by peer' }
        : { code, reason: reason ?? '' };
    // Echo the peer's close as it came (shutdown(None, code, reason)), then the proxy ends the connection.
    this.sentClose = true;
    this.socket.write(encodeFrame(0x8, closePayload(code, reason)));
    this.end();
  }
}
