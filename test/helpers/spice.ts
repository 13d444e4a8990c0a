/**
 * A stand-in spice-direct proxy for `console check` tests: an HTTP listener
 * that answers GET /nova-console.vv?token= as Kerbside does (kerbside/api.py
 * NovaToken: 200 application/x-virt-viewer, its own address and ports, a
 * ticket as password, its CA with \n escapes; 401 "token absent"), and SPICE
 * listeners that answer the link message (spice/protocol.h: header "REDQ",
 * 2.2, then SpiceLinkReply {u32 error, 162-byte key, caps}); Kerbside's plain
 * port answers NEED_SECURED (5). The simulator's own Kerbside names ports
 * nothing listens on; this one listens, on ephemeral ports.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { linkReply } from '../sim/spice-proxy.js';

/** What a SPICE listener does with a link message: answer with this link error, speak RFB, or hang up. */
export type SpiceBehaviour = number | 'rfb' | 'drop';

export interface SpiceDirectProxy {
  /** The base URL for nova.conf [spice] spice_direct_proxy_base_url (the simulator's consoleBaseUrls). */
  baseUrl: string;
  plainPort: number;
  tlsPort: number;
  /** Link messages received, per port kind. */
  links: { plain: number; tls: number };
  stop(): void;
}

export interface SpiceDirectOptions {
  /** Certificate and key of the TLS port; the file's `ca` is `ca` (default: this certificate). */
  tls: { key: string; cert: string };
  ca?: string | null;
  plain?: SpiceBehaviour;
  secure?: SpiceBehaviour;
  /** A host-subject key for the file (the viewer then checks the certificate's subject, not the host name). */
  hostSubject?: string;
  /** Ports the file names instead of the listeners' (a port nothing listens on). */
  filePorts?: { port?: number | null; tlsPort?: number | null };
}

export async function startSpiceDirectProxy(opts: SpiceDirectOptions): Promise<SpiceDirectProxy> {
  const closers: Array<() => void> = [];
  const links = { plain: 0, tls: 0 };
  const plainPort = await listen(createServer(), closers, (s) => answer(s, opts.plain ?? 5, () => links.plain++));
  const tlsServer = createTlsServer({ key: opts.tls.key, cert: opts.tls.cert });
  tlsServer.on('tlsClientError', () => undefined);
  const tlsPort = await listen(
    tlsServer,
    closers,
    (s) => answer(s, opts.secure ?? 0, () => links.tls++),
    'secureConnection',
  );
  const ca = opts.ca === undefined ? opts.tls.cert : opts.ca;
  let session = 0;
  const http = createHttpServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    if (!token) {
      res
        .writeHead(401, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ error: 'token absent', status: 401 }));
      return;
    }
    const port = opts.filePorts?.port === undefined ? plainPort : opts.filePorts.port;
    const tls = opts.filePorts?.tlsPort === undefined ? tlsPort : opts.filePorts.tlsPort;
    const vv = [
      '[virt-viewer]',
      'type=spice',
      'host=127.0.0.1',
      ...(port === null ? [] : [`port=${port}`]),
      ...(tls === null ? [] : [`tls-port=${tls}`]),
      'password=never-shown-0123456789',
      'delete-this-file=1',
      `title=test via proxy session ID ${++session}`,
      ...(ca ? [`ca=${ca.replace(/\n/g, '\\n')}`] : []),
      ...(opts.hostSubject ? [`host-subject=${opts.hostSubject}`] : []),
      '',
    ].join('\n');
    res.writeHead(200, { 'Content-Type': 'application/x-virt-viewer;charset=UTF-8' }).end(vv);
  });
  const httpPort = await listen(http, closers);
  return {
    baseUrl: `http://127.0.0.1:${httpPort}/nova-console.vv`,
    plainPort,
    tlsPort,
    links,
    stop: () => closers.forEach((c) => c()),
  };
}

async function listen(
  server: Server,
  closers: Array<() => void>,
  onSocket?: (s: Socket) => void,
  event = 'connection',
): Promise<number> {
  const sockets = new Set<Socket>();
  server.on(event, (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    onSocket?.(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Reads the link header and message, then behaves as told. */
function answer(sock: Socket, how: SpiceBehaviour, counted: () => void): void {
  let buf = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length < 16 || buf.length < 16 + buf.readUInt32LE(12)) return;
    counted();
    if (how === 'drop') return void sock.destroy();
    if (how === 'rfb') return void sock.end('RFB 003.008\n');
    sock.end(linkReply(how));
  });
}

export interface SpiceHtml5Proxy {
  /** nova.conf [spice] html5proxy_base_url for the simulator's consoleBaseUrls. */
  baseUrl: string;
  /** The websocket upgrades seen: their Origin header, if any. */
  upgrades: Array<{ origin?: string; token: string | null }>;
  stop(): void;
}

/**
 * A stand-in nova-spicehtml5proxy: websockify's page server and handshake
 * (test/sim/ws-server.ts), then, like nova, a plain bridge to a SPICE server
 * that answers the link message with `link`; 'drop' ends the connection after
 * the 101 with no close frame, as nova does for a refused token or Origin
 * (with `refuseOrigin`, only for upgrades that carry an Origin).
 */
export async function startSpiceHtml5Proxy(
  opts: { link?: SpiceBehaviour; refuseOrigin?: boolean } = {},
): Promise<SpiceHtml5Proxy> {
  const { WsConnection, checkHandshake, badRequest, selectBinary, switchingProtocols } =
    await import('../sim/ws-server.js');
  const closers: Array<() => void> = [];
  const upgrades: SpiceHtml5Proxy['upgrades'] = [];
  const http = createHttpServer((req, res) => {
    const file = new URL(req.url ?? '/', 'http://x').pathname;
    if (file !== '/spice_auto.html')
      return void res.writeHead(404, { 'Content-Type': 'text/html' }).end('File not found');
    res
      .writeHead(200, { 'Content-Type': 'text/html', Server: 'WebSockify Python/3.11.2' })
      .end('<title>Spice Javascript client</title>');
  });
  http.on('upgrade', (req, socket: Socket) => {
    socket.on('error', () => undefined);
    const hs = checkHandshake(req.headers, selectBinary);
    if (!hs.ok) return void socket.end(badRequest(hs.message));
    socket.write(switchingProtocols(hs.accept, hs.protocol));
    const origin = req.headers.origin;
    upgrades.push({ origin, token: new URL(req.url ?? '/', 'http://x').searchParams.get('token') });
    const refused = opts.refuseOrigin === true && origin !== undefined;
    const how = refused ? 'drop' : (opts.link ?? 0);
    const conn = new WsConnection(socket);
    let buf = Buffer.alloc(0);
    conn.onMessage = (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 16 || buf.length < 16 + buf.readUInt32LE(12)) return;
      if (how === 'drop') return void setTimeout(() => conn.drop(), 50);
      conn.sendBinary(how === 'rfb' ? Buffer.from('RFB 003.008\n') : linkReply(how));
    };
  });
  const port = await listen(http, closers);
  return { baseUrl: `http://127.0.0.1:${port}/spice_auto.html`, upgrades, stop: () => closers.forEach((c) => c()) };
}
