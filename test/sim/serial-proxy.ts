/**
 * The simulated nova-serialproxy: websockify's handshake and frames
 * (ws-server.ts), then what nova/console/websocketproxy.py
 * NovaProxyRequestHandler.new_websocket_client does AFTER the 101: the token
 * from `?token=` or a `token` cookie, ConsoleAuthToken.validate, the console
 * port check, the Origin check, and the bridge to the guest's serial port.
 * Every refusal there is an exception that is not websockify's CClose, so
 * the handler dies and the TCP connection drops with no close frame: the
 * client sees 1006 right after the upgrade.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GuestLink } from './guest.js';
import { FakeGuest } from './guest.js';
import type { ConsoleTokenRecord } from './nova.js';
import type { Server } from './seed.js';
import { FakeRfb } from './rfb-server.js';
import { WsConnection, badRequest, checkHandshake, selectBinary, switchingProtocols } from './ws-server.js';

/** nova's token lookup after the 101 (the real Zed tier took 0.3-0.6 s; shorter keeps tests quick). */
const REFUSAL_DELAY_MS = 100;

export interface SerialProxyOptions {
  now: () => number;
  /** What a server's guest writes to its serial port (also its console log). */
  guestOutput?: (server: Server, data: Buffer) => void;
  /** A live token (any region) and its server, if the server still exists. */
  lookup: (token: string) => { record: ConsoleTokenRecord; server: Server | undefined } | undefined;
  /** The scheme of the proxy's base URL (nova.conf [serial_console] base_url): ws or wss. */
  baseScheme: () => string;
  /** nova.conf [console] allowed_origins: host names accepted besides the Host header's. */
  allowedOrigins: string[];
  /** nova.conf [consoleauth] enforce_session_timeout (nova 29.0.0+). */
  enforceSessionTimeout: boolean;
  /** How guest output is cut into frames: at most maxBytes per frame, sizes from a seeded generator; false: one frame per write. */
  split: { seed: number; maxBytes: number } | false;
  /** The SPICE server behind the spice-html5 proxy (spice-proxy.ts), past the token checks. */
  spice?: (conn: WsConnection, serverId: string) => void;
}

/**
 * Which proxy took the upgrade. The simulator has one listener where nova runs one proxy per port:
 * '/' stands for both noVNC's and spice-html5's root, so the token's type picks the backend there.
 */
export type ProxyKind = 'serial' | 'novnc' | 'spice' | 'root';

export interface SerialSession {
  id: number;
  serverId: string;
  token: string;
  origin: string | undefined;
  /** The subprotocol chosen ('binary' or ''). */
  protocol: string;
  /** Whether the guest is reading this one (the others wait in QEMU's backlog). */
  readonly active: boolean;
  conn: WsConnection;
  link: GuestLink;
  expiresAt: number;
}

/** A noVNC session: a websocket bridged to a server's fake VNC display. */
export interface VncSession {
  serverId: string;
  token: string;
  origin: string | undefined;
  protocol: string;
  conn: WsConnection;
}

/** What is wrong with a server's VNC server, as nova-novncproxy meets it after the 101. */
export type VncBackendFault = 'down' | 'not-rfb-3.8';

export type UpgradeOutcome = { status: 101 | 400; session?: SerialSession; refused?: string };

export class SerialProxy {
  readonly sessions = new Set<SerialSession>();
  readonly vncSessions = new Set<VncSession>();
  private readonly guests = new Map<string, FakeGuest>();
  private readonly displays = new Map<string, FakeRfb>();
  /** Servers whose VNC server nova cannot use: the hypervisor's port is closed, or its server is not RFB 3.8. */
  readonly vncBackend = new Map<string, VncBackendFault>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  /** Connections still to refuse after the 101 whatever their token (refuseNext). */
  pendingRefusals = 0;
  private rand: () => number;

  constructor(private readonly opts: SerialProxyOptions) {
    this.rand = mulberry32(opts.split ? opts.split.seed : 0);
  }

  /** The guest of a server, created on first use (hostname = the server's name, as cloud-init sets it). */
  guest(server: Server): FakeGuest {
    let g = this.guests.get(server.id);
    if (!g) {
      g = new FakeGuest(server.name.replace(/[^A-Za-z0-9-]/g, '-'), (data) => this.opts.guestOutput?.(server, data));
      this.guests.set(server.id, g);
    }
    return g;
  }

  /** The VNC display of a server (its name is the desktop name), created on first use. */
  display(server: Server): FakeRfb {
    let d = this.displays.get(server.id);
    if (!d) {
      d = new FakeRfb(server.name);
      this.displays.set(server.id, d);
    }
    return d;
  }

  existingGuest(serverId: string): FakeGuest | undefined {
    return this.guests.get(serverId);
  }

  /** `kind`: which proxy's address the upgrade came to (the serial proxy cannot reach a VNC or SPICE server). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, kind: ProxyKind = 'serial'): UpgradeOutcome {
    socket.on('error', () => undefined);
    const hs = checkHandshake(req.headers, selectBinary);
    if (!hs.ok) {
      socket.end(badRequest(hs.message));
      return { status: 400 };
    }
    socket.write(switchingProtocols(hs.accept, hs.protocol));
    if (head.length > 0) socket.unshift(head);
    const refused = this.refusal(req, kind);
    if (typeof refused === 'string') {
      this.refuseLater(socket);
      return { status: 101, refused };
    }
    const conn = new WsConnection(socket);
    if (refused.record.type === 'novnc') {
      this.bridgeVnc(conn, refused, req, hs.protocol);
      return { status: 101 };
    }
    if (refused.record.type === 'spice-html5' && this.opts.spice) {
      this.opts.spice(conn, refused.server.id);
      return { status: 101 };
    }
    return { status: 101, session: this.bridge(conn, refused, req, hs.protocol) };
  }

  /**
   * nova looks the token up after the 101 (a database read: 0.3-0.6 s on the
   * real Zed tier) and then closes the socket without a close frame. What the
   * client sent meanwhile is unread then, so the kernel answers with RST
   * instead of FIN (test/fixtures/real/serial/*.json: tcp_end_after_sending).
   */
  private refuseLater(socket: Duplex): void {
    let typed = false;
    socket.on('data', () => (typed = true));
    const t = setTimeout(() => {
      this.timers.delete(t);
      const tcp = socket as Socket;
      if (typed && typeof tcp.resetAndDestroy === 'function') tcp.resetAndDestroy();
      else socket.destroy();
    }, REFUSAL_DELAY_MS);
    t.unref();
    this.timers.add(t);
  }

  /** QEMU leaves the port (migration, deletion): the active session gets 1000 "Target closed", waiting ones a reset. */
  closePort(serverId: string, forGood: boolean): void {
    const g = this.guests.get(serverId);
    if (forGood) g?.destroy();
    else g?.shutdown();
  }

  /**
   * The next `count` connections are refused after the 101 as an invalid token
   * is, even with a live token: the token deleted between the API call and the
   * connect (a migration in between), or an Origin nova does not like.
   */
  refuseNext(count: number): void {
    this.pendingRefusals += count;
  }

  /** Every session's TCP connection goes away at once (no close frames). */
  dropAll(): number {
    const all = [...this.sessions];
    for (const s of all) s.conn.drop();
    return all.length;
  }

  /** enforce_session_timeout: sessions whose token expired by the simulator's clock end now. */
  checkExpiry(): void {
    if (!this.opts.enforceSessionTimeout) return;
    const now = this.opts.now();
    for (const s of [...this.sessions]) if (s.expiresAt <= now) this.expire(s);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of [...this.sessions]) s.conn.drop();
    for (const s of [...this.vncSessions]) s.conn.drop();
  }

  /** new_websocket_client up to "Start proxying": a reason to refuse, or the token's server. */
  private refusal(req: IncomingMessage, kind: ProxyKind): string | { record: ConsoleTokenRecord; server: Server } {
    const novnc = kind === 'novnc' || kind === 'root';
    if (this.pendingRefusals > 0) {
      this.pendingRefusals--;
      return 'refused on request';
    }
    const token = tokenOf(req);
    const found = token ? this.opts.lookup(token) : undefined;
    // ConsoleAuthToken.validate: unknown or expired → InvalidToken.
    if (!found) return 'invalid token';
    // _check_console_port: a deleted instance or another port → InvalidToken.
    if (!found.server || !found.server.host) return 'instance not found';
    const originProblem = this.checkOrigin(req);
    if (originProblem) return originProblem;
    // Other console types pass validate_console_port, but their backends (VNC, SPICE, MKS servers at
    // the hypervisor's address) do not exist here: the connect fails, and that is not a CClose either.
    const { type, host, port } = found.record;
    if (type === 'novnc' && novnc) {
      const fault = this.vncBackend.get(found.server.id);
      // rfb.py RFBSecurityProxy.connect reads the server's 12-byte banner first: not 3.8 → an exception.
      if (fault === 'not-rfb-3.8')
        return 'Security proxying requires RFB protocol version 3.8, but server sent RFB 003.003';
      if (fault === undefined) return { record: found.record, server: found.server };
    }
    // nova-spicehtml5proxy: a plain bridge to the token's host and port, no security proxy.
    if (type === 'spice-html5' && (kind === 'spice' || kind === 'root') && this.opts.spice)
      return { record: found.record, server: found.server };
    if (kind === 'spice' || type !== 'serial') return `cannot connect to ${host}:${port}`;
    return { record: found.record, server: found.server };
  }

  /** The Origin check of new_websocket_client and verify_origin_proto. */
  private checkOrigin(req: IncomingMessage): string | undefined {
    const originUrl = header(req, 'origin');
    // No Origin: a non-browser client, accepted.
    if (originUrl === undefined) return undefined;
    const host = header(req, 'host');
    if (host === undefined) return 'no Host header';
    const expected = [...this.opts.allowedOrigins, hostnameOf(host)];
    let origin: URL | undefined;
    try {
      origin = new URL(originUrl);
    } catch {
      origin = undefined;
    }
    const forwarded = header(req, 'x-forwarded-proto');
    const scheme = forwarded ?? origin?.protocol.replace(/:$/, '') ?? '';
    const hostname = origin?.hostname.replace(/^\[|\]$/g, '') ?? '';
    if (hostname === '' || scheme === '') return 'Origin header not valid.';
    if (!expected.includes(hostname)) return 'Origin header does not match this host.';
    const base = this.opts.baseScheme();
    const protos = [base, ...(base === 'ws' ? ['http'] : []), ...(base === 'wss' ? ['https'] : [])];
    if (!protos.includes(scheme)) return 'Origin header protocol does not match this host.';
    return undefined;
  }

  private bridge(
    conn: WsConnection,
    target: { record: ConsoleTokenRecord; server: Server },
    req: IncomingMessage,
    protocol: string,
  ): SerialSession {
    const guest = this.guest(target.server);
    const link: GuestLink = {
      write: (data) => {
        for (const part of this.cut(data)) conn.sendBinary(part);
      },
      // websockify do_proxy: the target closed → CClose(1000, "Target closed").
      end: () => conn.close(1000, 'Target closed'),
      // recv() on a reset target raises, which is no CClose: the connection drops.
      reset: () => conn.drop(),
    };
    const session: SerialSession = {
      id: this.nextId++,
      serverId: target.server.id,
      token: target.record.token,
      origin: header(req, 'origin'),
      protocol,
      get active() {
        return guest.activeLink === link;
      },
      conn,
      link,
      expiresAt: target.record.expiresAt,
    };
    this.sessions.add(session);
    conn.onMessage = (data) => guest.send(link, data);
    conn.onClosed = () => {
      this.sessions.delete(session);
      guest.disconnect(link);
    };
    guest.connect(link);
    if (this.opts.enforceSessionTimeout) this.scheduleExpiry(session);
    return session;
  }

  /** nova-novncproxy: the websocket carries the RFB security proxy's exchange, then the VNC server's bytes. */
  private bridgeVnc(
    conn: WsConnection,
    target: { record: ConsoleTokenRecord; server: Server },
    req: IncomingMessage,
    protocol: string,
  ): void {
    const session: VncSession = {
      serverId: target.server.id,
      token: target.record.token,
      origin: header(req, 'origin'),
      protocol,
      conn,
    };
    const feed = this.display(target.server).connect({
      write: (data) => {
        for (const part of this.cut(data, 16384)) conn.sendBinary(part);
      },
      end: () => conn.close(1000, 'Target closed'),
      // A failed negotiation (a client not 3.8, a security type not None) ends with close 1000 and no
      // reason on the real tiers (test/fixtures/real/vnc/*.json rfb_3_3_client, security_type_not_none).
      reset: () => conn.close(1000, ''),
    });
    this.vncSessions.add(session);
    conn.onMessage = feed;
    conn.onClosed = () => this.vncSessions.delete(session);
  }

  /**
   * enforce_session_timeout: a timer at the token's expiry closes the target
   * socket (_close_connection: shutdown, then close). The proxy loop's next
   * select() then meets a closed descriptor, which raises (not a CClose): the
   * client's connection drops with no close frame.
   */
  private scheduleExpiry(session: SerialSession): void {
    const wait = Math.max(0, session.expiresAt - this.opts.now());
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.sessions.has(session) && session.expiresAt <= this.opts.now()) this.expire(session);
      else if (this.sessions.has(session)) this.scheduleExpiry(session);
    }, wait);
    t.unref();
    this.timers.add(t);
  }

  private expire(session: SerialSession): void {
    session.conn.drop();
  }

  /** Seeded frame sizes of 1..maxBytes (a screen update is cut coarser than serial output). */
  private cut(data: Buffer, scale?: number): Buffer[] {
    const split = this.opts.split && scale ? { maxBytes: scale } : this.opts.split;
    if (!split) return [data];
    const parts: Buffer[] = [];
    for (let at = 0; at < data.length;) {
      const n = 1 + Math.floor(this.rand() * split.maxBytes);
      parts.push(data.subarray(at, at + n));
      at += n;
    }
    return parts;
  }
}

/** The token: `?token=` first, else a `token` cookie (websocketproxy.py new_websocket_client). */
export function tokenOf(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  // parse_qs(...).get('token', ['']).pop(): the last value of a repeated parameter.
  const fromQuery = url.searchParams.getAll('token').filter((t) => t !== '');
  if (fromQuery.length > 0) return fromQuery[fromQuery.length - 1]!;
  let token = '';
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const m = /^\s*token=("?)([^";]*)\1\s*$/.exec(part);
    if (m) token = m[2]!;
  }
  return token;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The Host header without its port ([v6] brackets dropped), as new_websocket_client cuts it. */
function hostnameOf(host: string): string {
  if (!host.includes(':')) return host;
  if (host.includes('[') && host.includes(']')) return host.split(']')[0]!.slice(1);
  return host.split(':')[0]!;
}

/** A small seeded generator: the same seed cuts the same output the same way. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
