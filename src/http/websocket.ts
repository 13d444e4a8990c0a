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
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Dispatcher } from 'undici';
import { OsconsoleError } from '../errors.js';
import { redactUrl } from './redact.js';
import { hostOf } from './url.js';

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
