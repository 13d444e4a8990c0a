/**
 * A plain TCP or TLS connection as a byte stream, for the hosts a
 * spice-direct file names (the SPICE proxy's own ports). TLS is verified
 * against the file's `ca` when it has one (virt-viewer passes it to
 * spice-gtk as the CA), else the system's CAs.
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { ByteStream, Received } from '../../http/byte-stream.js';
import { ByteQueue } from '../../http/byte-stream.js';
import type { ConnectFailure } from '../../http/websocket.js';
import { connectFailure } from '../../http/websocket.js';

export interface TcpOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** Connect with TLS, with these settings (ca, servername, checkServerIdentity). */
  tls?: ConnectionOptions;
}

export type TcpProbe = { kind: 'open'; stream: SocketStream } | { kind: 'failed'; failure: ConnectFailure };

export function openTcp(opts: TcpOptions): Promise<TcpProbe> {
  return new Promise((resolve) => {
    const ready = opts.tls ? 'secureConnect' : 'connect';
    const socket = opts.tls
      ? tlsConnect({ host: opts.host, port: opts.port, ...opts.tls })
      : netConnect({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({
        kind: 'failed',
        failure: { code: 'ETIMEDOUT', reason: 'connection timed out', tls: false, timedOut: true },
      });
    }, opts.timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'failed', failure: connectFailure(err) });
    });
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ kind: 'open', stream: new SocketStream(socket) });
    });
  });
}

/** A connected socket's bytes; its end (FIN or error) is recorded for the probe. */
export class SocketStream implements ByteStream {
  private readonly queue = new ByteQueue();

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.queue.push(chunk));
    socket.on('end', () => this.queue.finish({ kind: 'eof' }));
    socket.on('close', () => this.queue.finish({ kind: 'eof' }));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.queue.finish({ kind: 'error', code: err.code, message: err.message }),
    );
  }

  get received(): number {
    return this.queue.received;
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || this.socket.writableEnded) return false;
    this.socket.write(bytes);
    return true;
  }

  read(n: number, timeoutMs: number): Promise<Received> {
    return this.queue.read(n, timeoutMs);
  }

  readSome(timeoutMs: number): Promise<Received> {
    return this.queue.readSome(timeoutMs);
  }

  async close(): Promise<void> {
    this.socket.destroy();
  }
}
