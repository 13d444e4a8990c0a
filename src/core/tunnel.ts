/**
 * `console tunnel`: a local TCP port for native VNC viewers, bridged to
 * Nova's noVNC proxy, which only speaks websockets.
 *
 * Every accepted TCP connection gets its own console (tokens die after
 * [consoleauth] token_ttl, 600 s by default) and its own websocket: the one
 * noVNC's page would open (console-url.ts novncWebSocketUrl), with the
 * subprotocol `binary`, binary frames and no Origin (http/websocket.ts).
 * Bytes pass unchanged both ways: nova's RFB security proxy already offers
 * the viewer security type None (nova/console/securityproxy/rfb.py), so
 * stock viewers connect.
 *
 * The console made at start (it proves the server has one, and waits with
 * --wait) serves the first connection if that comes within SPARE_MS: a viewer
 * started right after (`console view`) costs no second request.
 *
 * The core prints nothing: what happens goes to `onEvent`.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Selection } from '../config/resolve.js';
import { OsconsoleError, usageError } from '../errors.js';
import type { ConsoleSocket } from '../http/websocket.js';
import { openConsoleSocket } from '../http/websocket.js';
import { ComputeSession } from './compute-session.js';
import { novncWebSocketUrl, withLoopbackHint } from './console-url.js';
import type { ConsoleResult } from './console.js';
import { consoleOnce, waitingFor } from './console.js';
import type { Interaction, Runtime } from './runtime.js';
import type { ServerRef } from './servers.js';
import { checkServerArgument, resolveServer } from './servers.js';
import type { WaitProgress } from './wait.js';
import { describeClose, isRefusal, REFUSED } from './attach.js';

const SPARE_MS = 30_000;

/** A console as consoleOnce makes it. */
type Made = Omit<ConsoleResult, 'warnings'>;

export interface TunnelRequest {
  server: string;
  allProjects: boolean;
  /** Where to listen; loopback unless the user says otherwise. */
  address: string;
  /** 0 for an ephemeral port. */
  port: number;
  /** Stop listening after the first connection, end when it closes. */
  once: boolean;
  wait?: { timeoutMs: number; onProgress?: (p: WaitProgress) => void; signal?: AbortSignal };
}

export type TunnelEvent =
  | { kind: 'accepted'; id: number; peer: string }
  | { kind: 'connected'; id: number; protocol: string }
  | { kind: 'closed'; id: number; why: string; fromViewer: number; fromConsole: number; ms: number }
  | { kind: 'failed'; id: number; error: OsconsoleError };

export interface Tunnel {
  server: { id: string; name: string | null };
  type: 'novnc';
  host: string;
  port: number;
  /** vnc://host:port, what a viewer takes. */
  url: string;
  /** Resolves when --once's connection has ended (rejects if it failed); never otherwise. */
  done: Promise<void>;
  /** Stops listening, closes every connection and websocket. */
  close(): Promise<void>;
}

export async function openTunnel(
  rt: Runtime,
  sel: Selection,
  req: TunnelRequest,
  talk: Interaction,
  onEvent: (e: TunnelEvent) => void,
  /** A session and server already resolved (console view), so neither is done twice. */
  resolved?: { cs: ComputeSession; server: ServerRef },
): Promise<Tunnel> {
  checkServerArgument(req.server);
  const cs = resolved?.cs ?? (await ComputeSession.open(rt, sel, talk.notify));
  const server = resolved?.server ?? (await resolveServer(cs, req.server, req.allProjects, talk.prompter));
  const first = await waitingFor(cs, server, req.wait, () => consoleOnce(cs, server, 'novnc', false));
  // A URL noVNC could not use either is an error now, not at the first connection.
  novncWebSocketUrl(first.url);
  const bridge = new Bridge(cs, server, { console: first, at: rt.now() }, req.once, onEvent);
  const listener = await listen(req.address, req.port, (socket) => bridge.accept(socket));
  bridge.listener = listener;
  const { port } = listener.address() as AddressInfo;
  const host = req.address.includes(':') ? `[${req.address}]` : req.address;
  return {
    server: { id: server.id, name: server.name },
    type: 'novnc',
    host: req.address,
    port,
    url: `vnc://${host}:${port}`,
    done: bridge.done,
    close: () => bridge.close(),
  };
}

function listen(address: string, port: number, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Paused until the websocket is open: a viewer's first bytes must not be lost.
    const server = createServer({ pauseOnConnect: true, noDelay: true }, onConnection);
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(
        usageError(
          `cannot listen on ${address}:${port}: ${why}`,
          port === 0 ? undefined : 'pick another --port, or leave it out for a free one',
        ),
      );
    });
    server.listen({ host: address, port, exclusive: true }, () => resolve(server));
  });
}

class Bridge {
  listener?: Server;
  private next = 0;
  private spare?: { console: Made; at: number };
  private readonly open = new Set<{ socket: Socket; ws?: ConsoleSocket }>();
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    private readonly cs: ComputeSession,
    private readonly server: ServerRef,
    spare: { console: Made; at: number },
    private readonly once: boolean,
    private readonly onEvent: (e: TunnelEvent) => void,
  ) {
    this.spare = spare;
    // Nobody may be waiting on it (a tunnel without --once); an unobserved rejection must not crash.
    this.done.catch(() => undefined);
  }

  accept(socket: Socket): void {
    const id = ++this.next;
    if (this.once) this.listener?.close();
    const conn: { socket: Socket; ws?: ConsoleSocket } = { socket };
    this.open.add(conn);
    socket.on('error', () => undefined);
    this.onEvent({ kind: 'accepted', id, peer: `${socket.remoteAddress}:${socket.remotePort}` });
    this.bridge(id, conn).then(
      () => this.finished(conn),
      (err: unknown) => {
        socket.destroy();
        const error =
          err instanceof OsconsoleError ? err : new OsconsoleError('E_UNEXPECTED', String(err), { cause: err });
        this.onEvent({ kind: 'failed', id, error });
        this.finished(conn, error);
      },
    );
  }

  private finished(conn: { socket: Socket }, error?: OsconsoleError): void {
    this.open.delete(conn as { socket: Socket; ws?: ConsoleSocket });
    if (!this.once) return;
    if (error) this.settle.reject(error);
    else this.settle.resolve();
  }

  private async bridge(id: number, conn: { socket: Socket; ws?: ConsoleSocket }): Promise<void> {
    const { socket } = conn;
    const gone = new Promise<void>((r) => socket.once('close', () => r()));
    const console = await Promise.race([this.console(), gone.then(() => undefined)]);
    if (!console || socket.destroyed) return;
    const counts = { fromViewer: 0, fromConsole: 0 };
    const ws = await openConsoleSocket(novncWebSocketUrl(console.url), {
      dispatcher: this.cs.http.dispatcherForWebSocket(novncWebSocketUrl(console.url)),
      timeoutMs: this.cs.settings.timeoutMs,
      debug: (l) => this.cs.rt.debug(l),
      onData: (bytes) => {
        counts.fromConsole += bytes.length;
        socket.write(bytes);
      },
    }).catch((err: unknown) => {
      throw withLoopbackHint(err, console);
    });
    conn.ws = ws;
    const openedAt = this.cs.rt.now();
    this.onEvent({ kind: 'connected', id, protocol: ws.protocol });
    if (socket.destroyed) ws.close();
    socket.on('data', (bytes: Buffer) => {
      counts.fromViewer += bytes.length;
      ws.send(bytes);
    });
    socket.once('close', () => ws.close());
    socket.resume();
    const end = await ws.closed;
    socket.end();
    const ms = this.cs.rt.now() - openedAt;
    const why = end.byUs
      ? 'the viewer disconnected'
      : isRefusal(end, counts.fromConsole, ms)
        ? REFUSED
        : describeClose(end);
    this.onEvent({ kind: 'closed', id, why, ...counts, ms });
  }

  /** The start-up console while it is fresh and unused, else a new one. */
  private async console(): Promise<Made> {
    const spare = this.spare;
    this.spare = undefined;
    if (spare && this.cs.rt.now() - spare.at < SPARE_MS) return spare.console;
    return consoleOnce(this.cs, this.server, 'novnc', false);
  }

  async close(): Promise<void> {
    this.listener?.close();
    for (const { socket, ws } of this.open) {
      ws?.close();
      socket.destroy();
    }
    // The proxies' close frames, or give up waiting for them.
    const closing = Promise.all([...this.open].map(({ ws }) => ws?.closed));
    await Promise.race([closing, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.open.clear();
  }
}
