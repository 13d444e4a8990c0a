/**
 * The caller's side of `console attach`: the terminal or the pipes.
 *
 * On a terminal (stdin a TTY) stdin goes raw once the console is connected, so
 * every key reaches the guest (Ctrl-C included, as with `virsh console`), and
 * the escape byte ends the session; raw mode is left on every exit path
 * (dispose() runs in the command's finally; Node also restores the terminal
 * it found when the process exits, whatever the cause). Off a terminal stdin
 * is copied as is and paused while no console is connected, so nothing piped
 * in is lost across a reconnect.
 */
import { closeSync, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import type { AttachEvent, AttachIO, StopReason } from '../core/attach.js';
import type { Deps, ReadableLike } from '../deps.js';
import { OsconsoleError } from '../errors.js';

/** After EOF on a pipe, the session ends once the console has been quiet this long. */
export const EOF_QUIET_MS = 2000;

export interface IOOptions {
  /** The byte that ends the session on a terminal; null for none. */
  escape: number | null;
  /** --for: ends the session this long after it started. */
  forMs?: number;
  /** --log: console bytes are appended here too. */
  log?: LogFile;
  onEvent: (e: AttachEvent) => void;
  /** A write to the log failed: said once, and logging stops. */
  onLogError: (message: string) => void;
}

interface RawCapable extends ReadableLike {
  setRawMode?: (raw: boolean) => unknown;
  isRaw?: boolean;
}

export interface StreamIO {
  io: AttachIO;
  /** Raw mode is on (stderr lines then need to start on a fresh line). */
  readonly raw: boolean;
  /** The console's last byte ended a line (or nothing came yet): a line of ours needs no newline first. */
  atLineStart: boolean;
  /** Leaves raw mode, stops reading stdin, removes signal handlers and timers, closes the log. */
  dispose(): void;
}

export function streamIO(deps: Pick<Deps, 'stdin' | 'stdout' | 'onSignal'>, opts: IOOptions): StreamIO {
  const stdin = deps.stdin as RawCapable;
  const terminal = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const cleanups: Array<() => void> = [];
  let finish!: (r: StopReason) => void;
  let done = false;
  const stopped = new Promise<StopReason>((resolve) => {
    finish = (r) => {
      if (done) return;
      done = true;
      resolve(r);
    };
  });
  let raw = false;
  let eof = false;
  let quiet: NodeJS.Timeout | undefined;
  let log = opts.log;

  const armQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => finish('eof'), EOF_QUIET_MS);
  };
  if (opts.forMs !== undefined) {
    const t = setTimeout(() => finish('time'), opts.forMs);
    cleanups.push(() => clearTimeout(t));
  }
  // A reader of stdout that went away (`| head -1`) or a full disk ends the session; bin/osconsole.js reports it.
  const out = deps.stdout as Partial<NodeJS.EventEmitter>;
  if (typeof out.on === 'function' && typeof out.off === 'function') {
    const onError = () => finish('quit');
    out.on('error', onError);
    cleanups.push(() => out.off?.('error', onError));
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const off = deps.onSignal?.(sig, () => finish(sig));
    if (off) cleanups.push(off);
  }

  const self = { atLineStart: true };
  const io: AttachIO = {
    output(bytes) {
      deps.stdout.write(bytes);
      if (bytes.length > 0) self.atLineStart = bytes[bytes.length - 1] === 0x0a;
      if (log) {
        try {
          log.write(bytes);
        } catch (err) {
          opts.onLogError(`cannot write to the --log file ${log.path} (${errnoText(err)}); no longer logging`);
          log.close();
          log = undefined;
        }
      }
      if (eof && opts.forMs === undefined) armQuiet();
    },
    onInput(send) {
      const onData = (chunk: Buffer | string) => {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        const at = terminal && opts.escape !== null ? bytes.indexOf(opts.escape) : -1;
        if (at < 0) return send(bytes);
        if (at > 0) send(bytes.subarray(0, at));
        finish('quit');
      };
      const onEnd = () => {
        eof = true;
        // With --for the clock ends the session: `printf 'cmd\r' | attach vm --for 5s` reads 5 s of answer.
        if (opts.forMs === undefined) armQuiet();
      };
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.pause();
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
      });
    },
    setConnected(connected) {
      if (connected && terminal && !raw) {
        stdin.setRawMode?.(true);
        raw = true;
      }
      // A terminal keeps being read (the escape key must work while reconnecting); a pipe waits.
      if (connected || terminal) stdin.resume();
      else stdin.pause();
    },
    keepsInput: !terminal,
    stopped,
    event: (e) => opts.onEvent(e),
  };

  return {
    io,
    get raw() {
      return raw;
    },
    get atLineStart() {
      return self.atLineStart;
    },
    set atLineStart(v: boolean) {
      self.atLineStart = v;
    },
    dispose() {
      clearTimeout(quiet);
      for (const c of cleanups.splice(0)) c();
      if (raw) {
        stdin.setRawMode?.(false);
        raw = false;
      }
      log?.close();
      finish('quit');
    },
  };
}

/** "^]" → 0x1d, "^X" → 0x18, "^?" → 0x7f, "none" → null (telnet's and virsh's notation). */
export function parseEscape(spec: string): number | null {
  if (spec === 'none') return null;
  const m = /^\^([@A-Za-z[\\\]^_?])$/.exec(spec);
  if (!m) {
    throw new OsconsoleError(
      'E_USAGE',
      `--escape takes a control key such as '^]' or '^X', or 'none'; got ${JSON.stringify(spec)}`,
    );
  }
  const c = (m[1] as string).toUpperCase();
  if (c === '[') {
    throw new OsconsoleError(
      'E_USAGE',
      "--escape '^[' is ESC, which starts every arrow and function key; pick another key",
    );
  }
  return c === '?' ? 0x7f : c.charCodeAt(0) - 0x40;
}

/** 0x1d → "Ctrl-]", for the banner. */
export function describeEscape(byte: number): string {
  return byte === 0x7f ? 'Ctrl-?' : `Ctrl-${String.fromCharCode(byte + 0x40)}`;
}

export interface LogFile {
  path: string;
  write(bytes: Uint8Array): void;
  close(): void;
}

/** Opens --log for appending, readable by its owner only (a console shows what is typed, passwords at a getty included). */
export function openLogFile(path: string): LogFile {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
    if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
  } catch (err) {
    throw new OsconsoleError('E_USAGE', `cannot open the --log file ${path}: ${errnoText(err)}`);
  }
  let open = true;
  return {
    path,
    write(bytes) {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}
