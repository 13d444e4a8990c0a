/**
 * `console attach`: a serial console as a byte pipe between the caller's
 * input/output and the console proxy, kept up across the proxy's closes.
 *
 * A session: create a serial console (as `console get --type serial`, with
 * --wait), open the websocket, send "\r" once to wake the getty (Horizon's
 * serial console did), then copy bytes both ways until the caller stops or the
 * proxy closes. Why a proxy closes, and what follows (facts:
 * docs/facts/console-proxies.md):
 * - right after the 101, no close frame, no byte: nova refused the token
 *   (expired, deleted by a migration, or a bad Origin) — a fresh console, once;
 * - 1000 from the proxy: a live migration or the server's deletion
 *   (nova/compute/manager.py _clean_instance_console_tokens), or the token's
 *   end with [consoleauth] enforce_session_timeout — a fresh console;
 * - a dropped connection — a fresh console, with backoff.
 * At most MAX_RETRIES reconnects in a row; a connection that carried data
 * resets the count. A server that is gone ends with exit 4.
 *
 * The core prints nothing: bytes go to `io.output`, what happens to `io.event`.
 */
import type { Selection } from '../config/resolve.js';
import { OsconsoleError } from '../errors.js';
import type { ConsoleSocket, SocketClose } from '../http/websocket.js';
import { openConsoleSocket } from '../http/websocket.js';
import { getServer } from '../openstack/compute.js';
import { ComputeSession } from './compute-session.js';
import { withLoopbackHint } from './console-url.js';
import type { ConsoleResult } from './console.js';
import { WaitStopped, consoleOnce, waitingFor } from './console.js';
import type { Interaction, Runtime } from './runtime.js';
import type { ServerRef } from './servers.js';
import { checkServerArgument, resolveServer, serverGone } from './servers.js';
import type { WaitProgress } from './wait.js';
import { waitUntilActive } from './wait.js';

export const MAX_RETRIES = 5;
const FIRST_BACKOFF_MS = 250;
/** How long a console may stay silent after the wake-up "\r" before the user hears a likely reason. */
export const SILENT_HINT_MS = 2000;
/** A migration or rebuild in progress when reconnecting is waited for this long. */
const RECONNECT_WAIT_MS = 5 * 60_000;
/** A close this soon after the 101, with no close frame and no byte, is nova refusing the token. */
const REFUSAL_WINDOW_MS = 2000;
/**
 * A connection that stayed up this long resets the count of reconnects in a
 * row. Not "it carried data": the wake-up "\r" always brings a prompt back,
 * so a proxy that drops every session after a second would be retried forever.
 */
const STABLE_MS = 30_000;
/** Piped input read while no console is connected, kept for the next one (then stdin is paused anyway). */
const MAX_PENDING_BYTES = 1 << 20;

export const WAKE = new Uint8Array([0x0d]);

/** Why the caller ended the session. */
export type StopReason = 'quit' | 'eof' | 'time' | 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface AttachRequest {
  server: string;
  allProjects: boolean;
  reconnect: boolean;
  wait?: { timeoutMs: number };
}

export type AttachEvent =
  /** A console exists; the websocket is about to open. */
  | { kind: 'console'; console: ConsoleResult; reconnect: boolean }
  | { kind: 'connected'; protocol: string; reconnect: boolean }
  | { kind: 'silent'; afterMs: number }
  | { kind: 'dropped'; why: string; retryInMs: number; attempt: number }
  | { kind: 'waiting'; progress: WaitProgress }
  | { kind: 'warning'; text: string };

/** The caller's side of the pipe. */
export interface AttachIO {
  /** Console bytes, as they arrive. */
  output(bytes: Uint8Array): void;
  /** Starts delivering the user's bytes to `send` (after a connect); the core calls it once. */
  onInput(send: (bytes: Uint8Array) => void): void;
  /** Hold input while no console is connected (a pipe is paused; a terminal drops keys). */
  setConnected(connected: boolean): void;
  /** Input that arrives while no console is connected is kept for the next one (a pipe), not dropped (keys). */
  keepsInput: boolean;
  /** Resolves when the caller ends the session (escape key, EOF, --for, a signal). */
  stopped: Promise<StopReason>;
  event(e: AttachEvent): void;
}

export interface AttachOutcome {
  /** How it ended: the caller's reason, or 'closed' when the proxy closed and no reconnect was wanted. */
  reason: StopReason | 'closed';
  server: { id: string; name: string | null };
  /** Reconnects made. */
  reconnects: number;
}

export async function attachSerial(
  rt: Runtime,
  sel: Selection,
  req: AttachRequest,
  talk: Interaction,
  io: AttachIO,
): Promise<AttachOutcome> {
  checkServerArgument(req.server);
  let stop: StopReason | undefined;
  void io.stopped.then((r) => (stop = r));
  const setup = async () => {
    const cs = await ComputeSession.open(rt, sel, talk.notify);
    return { cs, server: await resolveServer(cs, req.server, req.allProjects, talk.prompter) };
  };
  // A signal while logging in or looking the name up ends the command now, not after the request.
  const ready = await Promise.race([setup(), io.stopped]);
  if (typeof ready === 'string') return { reason: ready, server: { id: req.server, name: null }, reconnects: 0 };
  const session = new SerialSession(ready.cs, ready.server, req, io, () => stop);
  return session.run();
}

class SerialSession {
  private socket?: ConsoleSocket;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private reconnects = 0;
  /** Aborted when the caller stops: ends waits and backoff sleeps at once, timers included. */
  private readonly abort = new AbortController();

  constructor(
    private readonly cs: ComputeSession,
    private readonly server: ServerRef,
    private readonly req: AttachRequest,
    private readonly io: AttachIO,
    private readonly stop: () => StopReason | undefined,
  ) {
    io.onInput((bytes) => this.send(bytes));
    void io.stopped.then(() => this.abort.abort());
  }

  private send(bytes: Uint8Array): void {
    if (this.socket?.send(bytes)) return;
    if (!this.io.keepsInput || this.pendingBytes + bytes.length > MAX_PENDING_BYTES) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  async run(): Promise<AttachOutcome> {
    let retries = 0;
    let refusedBefore = false;
    for (let reconnect = false; ; reconnect = true) {
      const stopped = this.stop();
      if (stopped) return this.outcome(stopped);
      let opened: Awaited<ReturnType<SerialSession['connect']>>;
      try {
        opened = await this.connect(reconnect);
      } catch (err) {
        if (err instanceof WaitStopped) return this.outcome(this.stop() ?? 'quit');
        if (!this.req.reconnect || !reconnect || !isTransient(err) || retries >= MAX_RETRIES) throw err;
        retries++;
        await this.backoff((err as Error).message, retries);
        continue;
      }
      if (opened === 'stopped') return this.outcome(this.stop() ?? 'quit');
      const { socket, openedAt, data } = opened;
      const end = await Promise.race([socket.closed, this.io.stopped]);
      this.io.setConnected(false);
      this.socket = undefined;
      if (typeof end === 'string') {
        socket.close();
        // The proxy's close frame, or give up waiting for it.
        await Promise.race([socket.closed, delay(1000)]);
        return this.outcome(end);
      }
      const refused = isRefusal(end, data.bytes, this.cs.rt.now() - openedAt);
      if (refused) {
        // Once: the token may have died between creation and use; a fresh one settles it.
        if (refusedBefore) {
          throw new OsconsoleError(
            'E_NETWORK',
            'the console proxy refused a fresh console token too (expired, migrated, or Origin)',
            {
              hint: "the proxy's [console] allowed_origins or its clock may be wrong; give the operator the time of this attempt",
            },
          );
        }
        refusedBefore = true;
        this.io.event({ kind: 'dropped', why: REFUSED, retryInMs: 0, attempt: 1 });
        continue;
      }
      refusedBefore = false;
      if (this.cs.rt.now() - openedAt >= STABLE_MS) retries = 0;
      const why = describeClose(end);
      if (!this.req.reconnect) {
        if (end.code !== 1000) throw new OsconsoleError('E_NETWORK', `${why}; not reconnecting (--no-reconnect)`);
        this.io.event({ kind: 'warning', text: `${why}; not reconnecting (--no-reconnect)` });
        await this.checkServerExists();
        return this.outcome('closed');
      }
      if (retries >= MAX_RETRIES) {
        throw new OsconsoleError('E_NETWORK', `${why}; gave up after ${MAX_RETRIES} reconnects in a row`);
      }
      retries++;
      await this.backoff(why, retries);
    }
  }

  /** Tells why and waits before the next try (or until the caller stops). */
  private async backoff(why: string, attempt: number): Promise<void> {
    const ms = FIRST_BACKOFF_MS * 2 ** (attempt - 1);
    this.io.event({ kind: 'dropped', why, retryInMs: ms, attempt });
    await this.cs.rt.sleep(ms, this.abort.signal);
  }

  /** After a normal close without reconnecting: a deleted server is still exit 4. */
  private async checkServerExists(): Promise<void> {
    try {
      await this.cs.withAuth((token) =>
        getServer(this.cs.http, { endpoint: this.cs.endpoint, token, serverId: this.server.id }),
      );
    } catch (err) {
      if (err instanceof OsconsoleError && err.http?.status === 404) {
        throw serverGone(this.server, err);
      }
      // Anything else: the close was normal, and the status check was a courtesy.
    }
  }

  /** A fresh console and an open websocket; 'stopped' when the caller quit on the way. */
  private async connect(
    reconnect: boolean,
  ): Promise<{ socket: ConsoleSocket; openedAt: number; data: { bytes: number } } | 'stopped'> {
    // A quit while a request is under way ends the session now; the request's answer is dropped.
    const console = await Promise.race([this.createConsole(reconnect), this.io.stopped.then(() => undefined)]);
    if (!console || this.stop()) return 'stopped';
    this.io.event({ kind: 'console', console, reconnect });
    if (reconnect) this.reconnects++;
    const data = { bytes: 0 };
    // Armed once the socket is open: a pending handshake is not a silent console.
    const hint: { timer?: NodeJS.Timeout } = {};
    const opening = openConsoleSocket(console.url, {
      dispatcher: this.cs.http.dispatcherForWebSocket(console.url),
      timeoutMs: this.cs.settings.timeoutMs,
      debug: (l) => this.cs.rt.debug(l),
      onData: (bytes) => {
        clearTimeout(hint.timer);
        data.bytes += bytes.length;
        this.io.output(bytes);
      },
    });
    // A quit during the handshake ends the session now; a socket that opens later is closed.
    const socket = await Promise.race([
      opening.catch((err: unknown) => {
        throw withLoopbackHint(err, console);
      }),
      this.io.stopped.then(() => undefined),
    ]);
    if (!socket || this.stop()) {
      void opening.then((s) => s.close()).catch(() => undefined);
      socket?.close();
      return 'stopped';
    }
    hint.timer = setTimeout(() => this.io.event({ kind: 'silent', afterMs: SILENT_HINT_MS }), SILENT_HINT_MS);
    hint.timer.unref?.();
    void socket.closed.then(() => clearTimeout(hint.timer));
    const openedAt = this.cs.rt.now();
    this.io.event({ kind: 'connected', protocol: socket.protocol, reconnect });
    socket.send(WAKE);
    for (const bytes of this.pending.splice(0)) socket.send(bytes);
    this.pendingBytes = 0;
    this.socket = socket;
    this.io.setConnected(true);
    return { socket, openedAt, data };
  }

  /**
   * The serial console; on a reconnect a server that is migrating or being
   * rebuilt (409, or nova's 500 for serial while a task runs) is waited for.
   */
  private async createConsole(reconnect: boolean): Promise<ConsoleResult | undefined> {
    const wait = this.req.wait ?? (reconnect ? { timeoutMs: RECONNECT_WAIT_MS } : undefined);
    const onProgress = (progress: WaitProgress) => this.io.event({ kind: 'waiting', progress });
    const signal = this.abort.signal;
    const create = () =>
      waitingFor(this.cs, this.server, wait && { ...wait, onProgress, signal }, () =>
        consoleOnce(this.cs, this.server, 'serial', false),
      );
    try {
      return { ...(await create()), warnings: this.takeWarnings() };
    } catch (err) {
      if (!reconnect) throw err;
      if (err instanceof OsconsoleError && err.code === 'E_NOT_FOUND') {
        throw serverGone(this.server, err);
      }
      if (err instanceof OsconsoleError && err.http?.status === 500) {
        const ready = await waitUntilActive(this.cs, this.server, { timeoutMs: RECONNECT_WAIT_MS, onProgress, signal });
        if (!ready) return undefined;
        return { ...(await create()), warnings: this.takeWarnings() };
      }
      throw err;
    }
  }

  private takeWarnings(): string[] {
    return this.cs.warnings.splice(0);
  }

  private outcome(reason: AttachOutcome['reason']): AttachOutcome {
    return { reason, server: { id: this.server.id, name: this.server.name }, reconnects: this.reconnects };
  }
}

export const REFUSED = 'the console token was refused (expired, migrated, or Origin)';

/** A drop right after the 101 with no close frame and no byte: nova checked the token (and Origin) and said no. */
export function isRefusal(c: SocketClose, bytes: number, openMs: number): boolean {
  return !c.byUs && !c.wasClean && bytes === 0 && openMs < REFUSAL_WINDOW_MS;
}

/** Why a websocket ended, for a person (close codes: RFC 6455 section 7.4.1). */
export function describeClose(c: SocketClose): string {
  const reason = c.reason ? `: ${c.reason}` : '';
  switch (c.code) {
    case 1000:
      return `the console proxy closed the session (1000${reason}; the server was migrated or deleted, or its console token ran out)`;
    case 1001:
      return `the console proxy is going away (1001${reason})`;
    case 1006:
      return 'the connection to the console proxy dropped (no close frame)';
    case 1011:
      return `the console proxy failed (1011${reason}); the hypervisor's serial port may be gone`;
    default:
      return `the console proxy closed the session (${c.code}${reason})`;
  }
}

/** Errors worth another try while reconnecting: the network, a proxy restarting, a task running. */
function isTransient(err: unknown): boolean {
  return err instanceof OsconsoleError && (err.code === 'E_NETWORK' || err.code === 'E_CONFLICT');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
