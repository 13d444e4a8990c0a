/**
 * A byte stream a protocol probe reads in exact amounts (an RFB banner is 12
 * bytes, a SPICE link header 16), with a deadline per read and a record of
 * how the stream ended: a websocket close frame, a plain end of the
 * connection, or an error. The same shape for a websocket's binary frames
 * and for a TCP or TLS socket.
 */

export type StreamEnd =
  /** The peer's websocket close frame. */
  | { kind: 'close'; code: number | null; reason: string }
  /** The connection ended with no close frame (a websocket client would report 1006). */
  | { kind: 'eof' }
  /** A socket error (ECONNRESET, ...). */
  | { kind: 'error'; code?: string; message: string };

export interface Received {
  bytes: Buffer;
  /** Fewer bytes than asked for came before the deadline. */
  timedOut: boolean;
  /** The stream ended before the bytes asked for came. */
  end?: StreamEnd;
  /** When it ended, in ms after the stream opened. */
  endedAfterMs?: number;
}

export interface ByteStream {
  /** False when the stream is no longer open (nothing was sent). */
  write(bytes: Uint8Array): boolean;
  /** Exactly `n` bytes, or fewer with `end` or `timedOut` saying why. */
  read(n: number, timeoutMs: number): Promise<Received>;
  /** What has arrived once at least one byte has, or the end, or the deadline. */
  readSome(timeoutMs: number): Promise<Received>;
  /** Ends the connection politely (a websocket: close 1000, and a moment for the proxy's answer). */
  close(): Promise<void>;
  /** Total bytes received so far. */
  readonly received: number;
}

/** The receiving half: sources push bytes and the end; the probe reads. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private queued = 0;
  private total = 0;
  private ended?: { end: StreamEnd; at: number };
  private wake?: () => void;
  private readonly openedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.openedAt = now();
  }

  get received(): number {
    return this.total;
  }

  get end(): StreamEnd | undefined {
    return this.ended?.end;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.ended) return;
    this.chunks.push(Buffer.from(bytes));
    this.queued += bytes.length;
    this.total += bytes.length;
    this.wake?.();
  }

  /** The first end counts; later ones (an error after a close) are ignored. */
  finish(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = { end, at: this.now() - this.openedAt };
    this.wake?.();
  }

  read(n: number, timeoutMs: number): Promise<Received> {
    return this.wait(n, n, timeoutMs);
  }

  readSome(timeoutMs: number): Promise<Received> {
    return this.wait(1, Number.MAX_SAFE_INTEGER, timeoutMs);
  }

  private async wait(min: number, max: number, timeoutMs: number): Promise<Received> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.wake?.();
    }, timeoutMs);
    while (this.queued < min && !this.ended && !timedOut) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    clearTimeout(timer);
    const bytes = this.take(Math.min(max, this.queued));
    const short = bytes.length < min;
    return {
      bytes,
      timedOut: short && timedOut && !this.ended,
      ...(short && this.ended ? { end: this.ended.end, endedAfterMs: this.ended.at } : {}),
    };
  }

  private take(n: number): Buffer {
    const all = Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.queued = rest.length;
    return Buffer.from(out);
  }
}
