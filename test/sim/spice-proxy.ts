/**
 * The SPICE server behind the simulated spice-direct and spice-html5 proxies,
 * as far as a client's first exchange goes: the link stage of spice-protocol
 * `spice/protocol.h` (all little-endian). The client speaks first:
 *   SpiceLinkHeader {u32 magic "REDQ", u32 major 2, u32 minor 2, u32 size}
 *   SpiceLinkMess   {u32 connection_id, u8 channel_type, u8 channel_id,
 *                    u32 num_common_caps, u32 num_channel_caps, u32 caps_offset} + caps
 * The server answers SpiceLinkHeader + SpiceLinkReply {u32 error,
 * u8 pub_key[SPICE_TICKET_PUBKEY_BYTES = 162], u32 num_common_caps,
 * u32 num_channel_caps, u32 caps_offset}. A wrong magic or major version gets
 * a reply carrying only the error (spice/enums.h SpiceLinkErr), then the end
 * (spice-server server/reds.c reds_handle_read_magic_done,
 * reds_handle_read_header_done, reds_send_link_error).
 * The ticket that would follow is never waited for: the connection ends a
 * moment after the reply, or when the client goes.
 *
 * Two ways in: a TCP listener on 127.0.0.1 (what the spice-direct .vv file
 * names), and the spice-html5 proxy's websocket, bridged in-process with no
 * security proxy (nova/cmd/spicehtml5proxy.py passes none to baseproxy.proxy).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { GuestLink } from './guest.js';
import type { WsConnection } from './ws-server.js';

export const SPICE_MAGIC = Buffer.from('REDQ', 'latin1');
const MAJOR = 2;
const MINOR = 2;
const HEADER_SIZE = 16;
/** SpiceLinkMess without capabilities. */
const LINK_MESS_SIZE = 18;
const PUBKEY_BYTES = 162;
/** error + pub_key + three u32 caps fields; caps_offset points past them (no caps). */
export const LINK_REPLY_SIZE = 4 + PUBKEY_BYTES + 12;
/** spice/enums.h SpiceLinkErr. */
export const LINK_ERR = { OK: 0, INVALID_MAGIC: 2, INVALID_DATA: 3, VERSION_MISMATCH: 4 } as const;
/** A link message bigger than this is nonsense for a first exchange. */
const MAX_LINK_SIZE = 4096;
/** How long the connection stays after the reply, the ticket never being read. */
const LINGER_MS = 1000;

/**
 * A deterministic stand-in for the server's RSA-1024 public key: 162 bytes is a DER
 * SubjectPublicKeyInfo of that size, so it starts like one; the rest is filler.
 */
const PUBKEY = (() => {
  const der = Buffer.from('30819f300d06092a864886f70d010101050003818d0030818902818100', 'hex');
  const key = Buffer.alloc(PUBKEY_BYTES);
  der.copy(key);
  for (let i = der.length; i < PUBKEY_BYTES; i++) key[i] = (i * 37 + 11) & 0xff;
  return key;
})();

/** One link message the server answered (no ticket, no password: none is ever read). */
export interface SpiceLink {
  via: 'tcp' | 'websocket';
  /** The console's server, for links through the spice-html5 proxy. */
  serverId?: string;
  major: number;
  minor: number;
  connectionId: number;
  channelType: number;
  channelId: number;
  /** The error the reply carried (0: OK). */
  error: number;
}

function header(size: number): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  SPICE_MAGIC.copy(h, 0);
  h.writeUInt32LE(MAJOR, 4);
  h.writeUInt32LE(MINOR, 8);
  h.writeUInt32LE(size, 12);
  return h;
}

/** SpiceLinkHeader + SpiceLinkReply; on an error the key and caps are zeros (reds_send_link_error). */
export function linkReply(error: number): Buffer {
  const r = Buffer.alloc(LINK_REPLY_SIZE);
  r.writeUInt32LE(error, 0);
  if (error === LINK_ERR.OK) PUBKEY.copy(r, 4);
  r.writeUInt32LE(0, 4 + PUBKEY_BYTES); // num_common_caps
  r.writeUInt32LE(0, 8 + PUBKEY_BYTES); // num_channel_caps
  r.writeUInt32LE(LINK_REPLY_SIZE, 12 + PUBKEY_BYTES); // caps_offset
  return Buffer.concat([header(LINK_REPLY_SIZE), r]);
}

export class SpiceProxy {
  readonly links: SpiceLink[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly conns = new Set<WsConnection>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** The TCP listener, port 0 on 127.0.0.1; resolves to its port. */
  async start(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    for (const c of this.conns) c.drop();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The spice-html5 proxy's websocket, past nova's token checks: websockify's plain bridge. */
  bridge(conn: WsConnection, serverId: string): void {
    this.conns.add(conn);
    const feed = this.respond(
      {
        write: (data) => conn.sendBinary(data),
        // websockify do_proxy: the target closed → CClose(1000, "Target closed").
        end: () => conn.close(1000, 'Target closed'),
        reset: () => conn.close(1000, 'Target closed'),
      },
      { via: 'websocket', serverId },
    );
    conn.onMessage = feed;
    conn.onClosed = () => {
      this.conns.delete(conn);
      feed.closed();
    };
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    const feed = this.respond(
      { write: (data) => socket.write(data), end: () => socket.end(), reset: () => socket.destroy() },
      { via: 'tcp' },
    );
    socket.on('data', feed);
    socket.on('close', () => {
      this.sockets.delete(socket);
      feed.closed();
    });
  }

  /** The link stage over any byte link: collect the header and message, reply once, linger, end. */
  private respond(
    link: GuestLink,
    origin: Pick<SpiceLink, 'via' | 'serverId'>,
  ): ((data: Buffer) => void) & { closed: () => void } {
    let buf = Buffer.alloc(0);
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (reply: Buffer, linger = LINGER_MS) => {
      done = true;
      link.write(reply);
      // reds_send_link_error, then reds_link_free: an error ends the connection at once.
      if (linger === 0) return link.end();
      timer = setTimeout(() => {
        this.timers.delete(timer!);
        link.end();
      }, linger);
      timer.unref();
      this.timers.add(timer);
    };
    const feed = (data: Buffer) => {
      if (done) return;
      buf = Buffer.concat([buf, data]);
      if (buf.length >= 4 && !buf.subarray(0, 4).equals(SPICE_MAGIC))
        return finish(linkReply(LINK_ERR.INVALID_MAGIC), 0);
      if (buf.length < HEADER_SIZE) return;
      const [major, minor, size] = [buf.readUInt32LE(4), buf.readUInt32LE(8), buf.readUInt32LE(12)];
      if (major !== MAJOR) return finish(linkReply(LINK_ERR.VERSION_MISMATCH), 0);
      if (size < LINK_MESS_SIZE || size > MAX_LINK_SIZE) return finish(linkReply(LINK_ERR.INVALID_DATA), 0);
      if (buf.length < HEADER_SIZE + size) return;
      const mess = buf.subarray(HEADER_SIZE);
      this.links.push({
        ...origin,
        major,
        minor,
        connectionId: mess.readUInt32LE(0),
        channelType: mess.readUInt8(4),
        channelId: mess.readUInt8(5),
        error: LINK_ERR.OK,
      });
      finish(linkReply(LINK_ERR.OK));
    };
    return Object.assign(feed, {
      closed: () => {
        done = true;
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
      },
    });
  }
}
