/**
 * A byte pipe to a console proxy over undici's WebSocket, with the rules nova's
 * proxies (websockify servers) set (docs/facts/console-proxies.md):
 * - offer the subprotocol `binary` (websockify/websockifyserver.py picks it;
 *   a proxy that only knows `base64` answers 400 "Invalid protocol selected");
 * - send binary frames only: a text frame gets close 1003 (websockify/websocket.py);
 * - no Origin header (nova/console/websocketproxy.py accepts a missing one; a
 *   wrong one drops the connection after the 101);
 * - bytes arrive split anywhere, so they are handed on as bytes, never decoded.
 *
 * undici reports a failed handshake as a bare close 1006; the reason (refused,
 * TLS, an HTTP status) is taken from undici's diagnostics channels for this
 * one request, so the error can name it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { OsconsoleError } from '../errors.js';
import type { ByteStream, Received } from './byte-stream.js';
import { ByteQueue } from './byte-stream.js';
import { redactUrl } from './redact.js';
import { hostOf } from './url.js';
import { OPCODE, closePayload, decodeFrame, encodeClientFrame, parseClose } from './ws-frames.js';

export interface SocketClose {
  code: number;
  reason: string;
  /** A close frame came from the proxy (1006 means none came: the TCP connection just dropped). */
  wasClean: boolean;
  /** We asked for the close. */
  byUs: boolean;
}

export interface ConsoleSocket {
  /** The subprotocol the proxy chose ('' for none). */
  readonly protocol: string;
  /** False when the socket is not open (the bytes were not sent). */
  send(bytes: Uint8Array): boolean;
  /** Closes with 1000; `closed` resolves when the proxy answers or the connection drops. */
  close(): void;
  readonly closed: Promise<SocketClose>;
}

export interface ConsoleSocketOptions {
  dispatcher: Dispatcher;
  /** Connect-and-handshake deadline. */
  timeoutMs: number;
  onData: (bytes: Uint8Array) => void;
  debug?: (line: string) => void;
}

interface WebSocketModule {
  WebSocket: new (url: string, init: { protocols: string[]; dispatcher: Dispatcher }) => WebSocketLike;
}

interface WebSocketLike {
  binaryType: string;
  readonly protocol: string;
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: (() => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Connects; rejects with E_NETWORK saying why when the handshake fails. */
export async function openConsoleSocket(url: string, opts: ConsoleSocketOptions): Promise<ConsoleSocket> {
  // Loaded here only: undici's WebSocket brings fetch with it (tens of ms at start-up).
  const mod = (await import('undici/lib/web/websocket/websocket.js')) as WebSocketModule & {
    default?: WebSocketModule;
  };
  // A CommonJS module: Node names its exports, the bundle's interop keeps them under `default`.
  const WebSocket = mod.WebSocket ?? (mod.default as WebSocketModule).WebSocket;
  const watch = watchHandshake(url);
  opts.debug?.(`→ websocket ${redactUrl(url)} (subprotocol binary)`);
  const ws = new WebSocket(url, { protocols: ['binary'], dispatcher: opts.dispatcher });
  ws.binaryType = 'arraybuffer';
  let byUs = false;
  let resolveClosed!: (c: SocketClose) => void;
  const closed = new Promise<SocketClose>((r) => (resolveClosed = r));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.onclose = null;
        ws.close();
        reject(
          new OsconsoleError(
            'E_NETWORK',
            `no websocket handshake from ${hostOf(url)} within ${opts.timeoutMs / 1000} s`,
          ),
        );
      }, opts.timeoutMs);
      // The connection holds the process while it is being made; the deadline alone must not.
      timer.unref?.();
      ws.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        reject(handshakeError(url, watch.outcome(), e.code));
      };
    });
  } finally {
    watch.stop();
  }
  opts.debug?.(`← websocket open, subprotocol ${ws.protocol || '(none)'}`);
  ws.onmessage = (e) => {
    // Binary frames only (binaryType arraybuffer); a text frame from a proxy is passed on as its bytes.
    opts.onData(typeof e.data === 'string' ? Buffer.from(e.data) : new Uint8Array(e.data as ArrayBuffer));
  };
  ws.onerror = () => undefined;
  ws.onclose = (e) => {
    opts.debug?.(
      `← websocket closed: ${e.code}${e.reason ? ` ${e.reason}` : ''}${e.wasClean ? '' : ' (no close frame)'}`,
    );
    resolveClosed({ code: e.code, reason: e.reason, wasClean: e.code !== 1006, byUs });
  };
  return {
    protocol: ws.protocol,
    send: (bytes) => {
      if (ws.readyState !== 1) return false;
      ws.send(bytes);
      return true;
    },
    close: () => {
      byUs = true;
      ws.close(1000);
    },
    closed,
  };
}

interface HandshakeOutcome {
  status?: number;
  statusText?: string;
  error?: { code?: string; message: string };
}

/** Listens on undici's request channels for the handshake request of `url` only. */
function watchHandshake(url: string): { outcome: () => HandshakeOutcome; stop: () => void } {
  const u = new URL(url);
  const origin = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  const path = `${u.pathname}${u.search}`;
  const seen: HandshakeOutcome = {};
  const ours = (req: { origin?: unknown; path?: unknown }) => String(req.origin) === origin && req.path === path;
  const onHeaders = (m: unknown) => {
    const { request, response } = m as {
      request: { origin: unknown; path: unknown };
      response: { statusCode: number; statusText: string };
    };
    if (ours(request)) Object.assign(seen, { status: response.statusCode, statusText: response.statusText });
  };
  const onError = (m: unknown) => {
    const { request, error } = m as {
      request: { origin: unknown; path: unknown };
      error: { code?: string; message: string };
    };
    if (ours(request)) seen.error = { code: error.code, message: error.message };
  };
  subscribe('undici:request:headers', onHeaders);
  subscribe('undici:request:error', onError);
  return {
    outcome: () => seen,
    stop: () => {
      unsubscribe('undici:request:headers', onHeaders);
      unsubscribe('undici:request:error', onError);
    },
  };
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function handshakeError(url: string, seen: HandshakeOutcome, code: number): OsconsoleError {
  const where = `the console proxy at ${hostOf(url)}`;
  if (seen.status !== undefined) {
    const text = seen.statusText ? ` ${seen.statusText}` : '';
    return new OsconsoleError('E_NETWORK', `${where} refused the websocket upgrade: HTTP ${seen.status}${text}`, {
      hint:
        seen.status === 400
          ? 'a websockify older than 0.9 wants the base64 subprotocol, which osconsole does not speak'
          : undefined,
    });
  }
  if (seen.error) {
    const why = (seen.error.code && CONNECT_ERRORS[seen.error.code]) ?? seen.error.message.split('\n')[0];
    const tls = seen.error.code?.startsWith('ERR_SSL') || /certificate/i.test(seen.error.message);
    return new OsconsoleError('E_NETWORK', `cannot connect to ${where}: ${why}`, {
      hint: tls
        ? 'check --os-cacert (or --insecure) for a wss:// console proxy'
        : 'is the console proxy running and reachable from here?',
    });
  }
  return new OsconsoleError(
    'E_NETWORK',
    `cannot open a websocket to ${where} (closed with ${code} before the upgrade)`,
    {
      hint: 'browsers and undici refuse some ports outright (the fetch standard\'s "bad ports", such as 6000 and 6665-6669)',
    },
  );
}

/** Sec-WebSocket-Accept for a key (RFC 6455 section 4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

export interface WebSocketProbeOptions {
  /** The session's dispatcher for this URL (HttpClient.dispatcherForWebSocket): its TLS settings and proxy. */
  dispatcher: Dispatcher;
  /** Connect-and-handshake deadline. */
  timeoutMs: number;
  /** Subprotocols offered, in order (default: `binary`, as osconsole always offers). */
  protocols?: string[];
  /** An Origin header, as a browser on that page would send; none by default (nova accepts none). */
  origin?: string;
  debug?: (line: string) => void;
}

/** Why a connection could not be made or answered. */
export interface ConnectFailure {
  /** ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT, a TLS code, ... */
  code?: string;
  /** "connection refused", or the error's first line. */
  reason: string;
  tls: boolean;
  timedOut: boolean;
}

export type WebSocketProbe =
  /** 101: the raw upgraded connection, data from binary frames. */
  | {
      kind: 'open';
      /** The subprotocol the proxy chose ('' for none). */
      protocol: string;
      /** Sec-WebSocket-Accept matched the key (a websocket server, not something answering 101 blindly). */
      acceptValid: boolean;
      headers: Record<string, string>;
      stream: WebSocketStream;
    }
  /** Answered, but not with 101 (websockify's handshake errors are 400 with the reason as status text). */
  | { kind: 'http'; status: number; statusText: string; headers: Record<string, string>; body: string }
  | { kind: 'failed'; failure: ConnectFailure };

/**
 * One websocket handshake, reported as it happened rather than as an error:
 * the status of a refusal with its reason phrase and body, the subprotocol
 * chosen, and after a 101 the connection itself, whose end tells a close
 * frame from a dropped connection (what undici's WebSocket reports as 1006
 * either way). For `console check`, and for callers that need those facts.
 */
export function probeWebSocket(url: string, opts: WebSocketProbeOptions): Promise<WebSocketProbe> {
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const protocols = opts.protocols ?? ['binary'];
  const headers: Record<string, string> = {
    'sec-websocket-key': key,
    'sec-websocket-version': '13',
    ...(protocols.length > 0 ? { 'sec-websocket-protocol': protocols.join(', ') } : {}),
    ...(opts.origin ? { origin: opts.origin } : {}),
  };
  opts.debug?.(
    `→ websocket ${redactUrl(url)} (subprotocol ${protocols.join(', ') || 'none'}${opts.origin ? `, Origin ${opts.origin}` : ''})`,
  );
  return new Promise<WebSocketProbe>((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let answer: { status: number; statusText: string; headers: Record<string, string>; body: Buffer[]; size: number };
    let settled = false;
    const settle = (p: WebSocketProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(p);
    };
    const timer = setTimeout(() => {
      const failure = {
        code: 'ETIMEDOUT',
        reason: `no answer within ${opts.timeoutMs / 1000} s`,
        tls: false,
        timedOut: true,
      };
      settle({ kind: 'failed', failure });
      controller?.abort(new Error(failure.reason));
    }, opts.timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c;
      },
      onRequestUpgrade: (_c, status, raw, socket) => {
        const h = flatHeaders(raw);
        const protocol = h['sec-websocket-protocol'] ?? '';
        opts.debug?.(`← ${status} websocket open, subprotocol ${protocol || '(none)'}`);
        const stream = new WebSocketStream(socket, opts.debug);
        if (settled) return void stream.close();
        settle({
          kind: 'open',
          protocol,
          acceptValid: h['sec-websocket-accept'] === acceptFor(key),
          headers: h,
          stream,
        });
      },
      onResponseStart: (_c, status, raw, statusText) => {
        answer = { status, statusText: statusText ?? '', headers: flatHeaders(raw), body: [], size: 0 };
      },
      onResponseData: (_c, chunk) => {
        if (answer.size < 4096) answer.body.push(chunk);
        answer.size += chunk.length;
      },
      onResponseEnd: () => {
        opts.debug?.(`← ${answer.status} ${answer.statusText} (no upgrade)`);
        const body = Buffer.concat(answer.body).subarray(0, 4096).toString('utf8');
        settle({ kind: 'http', status: answer.status, statusText: answer.statusText, headers: answer.headers, body });
      },
      onResponseError: (_c, err) => {
        const failure = connectFailure(err);
        opts.debug?.(`← websocket failed: ${failure.reason}${failure.code ? ` (${failure.code})` : ''}`);
        settle({ kind: 'failed', failure });
      },
    };
    const origin = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
    try {
      opts.dispatcher.dispatch(
        { origin, path: `${u.pathname}${u.search}`, method: 'GET', upgrade: 'websocket', headers },
        handler,
      );
    } catch (err) {
      settle({ kind: 'failed', failure: connectFailure(err) });
    }
  });
}

/** A transport error, named as CONNECT_ERRORS names it, with TLS and time-outs told apart. */
export function connectFailure(err: unknown): ConnectFailure {
  let code: string | undefined;
  let message = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && c !== 'UND_ERR') {
      code = c;
      message = (e as Error).message ?? message;
      break;
    }
  }
  const tls =
    /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code ?? '') || /certificate/i.test(message);
  const timedOut = /TIMEOUT|ETIMEDOUT/.test(code ?? '');
  return { code, reason: (code && CONNECT_ERRORS[code]) ?? message.split('\n')[0] ?? message, tls, timedOut };
}

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * An upgraded connection as a byte stream: binary (and text) frame payloads
 * in order, pings answered, the proxy's close frame echoed and recorded, a
 * connection that ends without one recorded as such.
 */
export class WebSocketStream implements ByteStream {
  private readonly queue = new ByteQueue();
  private buf = Buffer.alloc(0);
  private sentClose = false;
  private done = false;
  /** Text frames received (websockify never sends one). */
  textFrames = 0;

  constructor(
    private readonly socket: Duplex,
    private readonly debug?: (line: string) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.ended({ kind: 'eof' }));
    socket.on('close', () => this.ended({ kind: 'eof' }));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.ended({ kind: 'error', code: err.code, message: err.message }),
    );
  }

  get received(): number {
    return this.queue.received;
  }

  write(bytes: Uint8Array): boolean {
    if (this.sentClose || this.done) return false;
    this.socket.write(encodeClientFrame(OPCODE.binary, bytes));
    return true;
  }

  read(n: number, timeoutMs: number): Promise<Received> {
    return this.queue.read(n, timeoutMs);
  }

  readSome(timeoutMs: number): Promise<Received> {
    return this.queue.readSome(timeoutMs);
  }

  /** Close 1000, then up to a second for the proxy's close frame or the end of the connection. */
  async close(): Promise<void> {
    if (!this.done && !this.sentClose) {
      this.sentClose = true;
      this.socket.write(encodeClientFrame(OPCODE.close, closePayload(1000)));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.socket.destroy();
  }

  private ended(end: Parameters<ByteQueue['finish']>[0]): void {
    if (!this.done) this.debug?.(`← websocket ended: ${describeEnd(end)}`);
    this.done = true;
    this.queue.finish(end);
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (let f = decodeFrame(this.buf); f; f = decodeFrame(this.buf)) {
      this.buf = this.buf.subarray(f.size);
      if (f.opcode === OPCODE.binary || f.opcode === OPCODE.continuation) this.queue.push(f.payload);
      else if (f.opcode === OPCODE.text) {
        this.textFrames++;
        this.queue.push(f.payload);
      } else if (f.opcode === OPCODE.ping && !this.sentClose)
        this.socket.write(encodeClientFrame(OPCODE.pong, f.payload));
      else if (f.opcode === OPCODE.close) {
        const { code, reason } = parseClose(f.payload);
        this.ended({ kind: 'close', code, reason });
        if (!this.sentClose) {
          this.sentClose = true;
          this.socket.write(
            encodeClientFrame(OPCODE.close, code === null ? Buffer.alloc(0) : closePayload(code, reason)),
          );
        }
        this.socket.end();
      }
    }
  }
}

function describeEnd(end: Parameters<ByteQueue['finish']>[0]): string {
  if (end.kind === 'close') return `close frame ${end.code ?? '(no code)'}${end.reason ? ` ${end.reason}` : ''}`;
  if (end.kind === 'eof') return 'connection ended (no close frame)';
  return `${end.code ?? 'error'}: ${end.message}`;
}
