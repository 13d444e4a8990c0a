/**
 * The bundled cloud simulator: Keystone v3 and Nova (two regions) behind one
 * HTTP(S) listener on 127.0.0.1, with a request log, fault injection, a
 * controllable clock and tiny console-proxy pages for the URLs it hands out.
 *
 * Layout of the listener (catalog URLs point back at it):
 *   /identity                      Keystone (auth URL: <url>/identity/v3)
 *   /compute, /compute-internal,   Nova RegionOne: public, internal, admin
 *   /compute-admin
 *   /r2/compute, /r2/compute-...   Nova RegionTwo; its catalog URLs end in /v2.1/<project_id>
 *   /console/...                   simulated console proxies (noVNC page, SPICE .vv file, ...);
 *   /console/serial/               the serial proxy: a websocket to a fake guest (serial-proxy.ts)
 *   / and /websockify (upgrades)   the noVNC proxy's websocket (noVNC opens "/" + the page's path
 *                                  parameter, ?token=…): nova's RFB security proxy in front of a
 *                                  fake VNC display per server (rfb-server.ts; vncDisplay,
 *                                  setVncBackendDown, vncSessions); with a spice-html5 token, the
 *                                  SPICE server below (spice-html5's page opens "/?token=…" too)
 *   /console/spice/websockify      the spice-html5 proxy's websocket (upgrades): a plain bridge to
 *                                  the SPICE server (spice-proxy.ts); spiceLinks()
 *   /console/spice-direct/nova-console.vv   the spice-direct proxy (Kerbside); …/nova too, a sim
 *                                  convenience; its .vv names the SPICE server's TCP listener
 *   /__sim/...                     control API (log, faults, clock) for out-of-process use
 *
 * Tests use it in-process: `const sim = await Simulator.start(); … await sim.stop()`.
 *
 * noVNC (nova-novncproxy in front of nova's RFB security proxy): the base URL is
 * <url>/console/novnc/vnc_lite.html, so Nova's access URL is …/vnc_lite.html?path=%3Ftoken%3D<t>
 * and noVNC opens ws://<host:port>/?token=<t>; that upgrade (on / or /websockify) is the
 * proxy's. The token lookup (os-console-auth-tokens) gives the hypervisor's address
 * (192.0.2.x, TEST-NET-1, never contacted) and 5900 + 2 × the server's slot on its host.
 * Controls, in-process (and /__sim):
 *   vncDisplay(id).sessions        what each RFB client sent: version, security type, keys,
 *                                  update requests               (GET /__sim/servers/{id}/vnc)
 *   vncSessions(id)                websockets open to the display
 *   setVncBackend(id, 'down' | 'not-rfb-3.8' | 'up')   101, then a drop (no close frame) with a
 *                                  valid token      (POST /__sim/servers/{id}/vnc {"backend"})
 *   refuseConsoleConnections(n)    the next n console upgrades (serial or noVNC) are dropped
 *                                  after the 101               (POST /__sim/console/refuse {"count"})
 *   advance(601)                   tokens expire: a drop after the 101   (POST /__sim/clock {"advance"})
 *   consoleAllowedOrigins option   another Origin: a drop after the 101
 *   addFault({ match: { path: '/' }, action: { kind: 'status', status: 400 } })  the upgrade answered 400
 *   consoleBaseUrls: { novnc: 'http://127.0.0.1:<closed port>/vnc_lite.html' }  the proxy down
 *
 * The console log (os-getConsoleOutput, console-log.ts): servers that have run hold a boot
 * with systemd's colours and CRLF line ends, ending at a "login: " prompt with no line end;
 * whatever the serial guest writes is appended; a build that finishes plays a boot, a line
 * every bootLineMs. Nova reads the last 100 KiB, tails it by `length`, decodes it as ASCII
 * and strips control characters. Controls (POST /__sim/servers/{id}/log):
 *   consoleLog(id).append(text)    the guest writes                         {"text"}
 *   consoleLog(id).restart()       a new, empty log (the server moved host) {"restart": true}
 *   consoleLog(id).available       false: no console device, a 404           {"available": false}
 *   a server on vnc-host: 501; one still building: 409; the fake driver: its constant output
 */

import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SimRequest, SimResponse } from './http.js';
import { html, isObject, json, readBody, unknownRoute } from './http.js';
import type { FaultMatch, FaultRule } from './faults.js';
import { Faults, describeRule, htmlErrorPage } from './faults.js';
import type { CatalogService } from './keystone.js';
import { Keystone } from './keystone.js';
import type { ConsoleEnabled, ConsoleTokenRecord, ConsoleType } from './nova.js';
import { Nova } from './nova.js';
import type { RegionName } from './seed.js';
import type { Server } from './seed.js';
import { APP_CREDENTIAL, CREDENTIALS, REGIONS, seedCompute, seedIdentity } from './seed.js';
import type { FakeGuest } from './guest.js';
import type { SerialSession, VncBackendFault, VncSession } from './serial-proxy.js';
import type { FakeRfb } from './rfb-server.js';
import { SerialProxy } from './serial-proxy.js';
import type { ProxyKind } from './serial-proxy.js';
import type { SpiceLink } from './spice-proxy.js';
import { SpiceProxy } from './spice-proxy.js';
import { ConsoleLog, bootLines } from './console-log.js';

export * from './seed.js';
export type { FaultRule } from './faults.js';
export type { FakeGuest } from './guest.js';
export type { SerialSession, VncBackendFault, VncSession } from './serial-proxy.js';
export type { FakeRfb, RfbSession } from './rfb-server.js';
export type { SpiceLink } from './spice-proxy.js';
export type { ConsoleLog } from './console-log.js';
export { totp } from './totp.js';

export interface SimulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Max compute microversion of RegionOne (default 2.100, Epoxy); min is always 2.1. */
  computeMaxVersion?: string;
  /** Max compute microversion of RegionTwo (default: RegionOne's). */
  regionTwoMaxVersion?: string;
  tokenLifetimeSeconds?: number;
  receiptLifetimeSeconds?: number;
  consoleTokenTtlSeconds?: number;
  /** Where Keystone is mounted: '/identity' (default) or '' for the root. */
  identityPrefix?: string;
  /** nova.conf `[vnc|spice|serial_console|mks|rdp] enabled`; all but rdp on by default. */
  consoleEnabled?: Partial<ConsoleEnabled>;
  /** Override the console proxies' base URLs (default: pages served by the simulator). */
  consoleBaseUrls?: Partial<Record<ConsoleType, string>>;
  /** Serve HTTPS with this key and certificate (PEM); with `clientCa`, ask clients for a certificate signed by it. */
  tls?: { key: string; cert: string; clientCa?: string };
  /** 'fake' makes every host run Nova's fake virt driver, as the real-OpenStack tier does. */
  virtDriver?: 'mixed' | 'fake';
  /** Rewrites each token's catalog (e.g. drop compute to test a catalog without it). */
  catalogHook?: (catalog: CatalogService[], projectId: string | undefined) => CatalogService[];
  /** nova.conf `[console] allowed_origins`: Origin host names the console proxies accept besides their own. */
  consoleAllowedOrigins?: string[];
  /** nova.conf `[consoleauth] enforce_session_timeout` (nova 29+): a console session ends when its token expires. */
  enforceSessionTimeout?: boolean;
  /**
   * How the serial proxy cuts guest output into binary frames: sizes 1..maxBytes from a
   * generator seeded with `seed` (default { seed: 13, maxBytes: 7 }); false: one frame per write.
   */
  serialFrameSplit?: { seed: number; maxBytes: number } | false;
  /** How often a server that finishes building adds a line to its console log (default 250 ms). */
  bootLineMs?: number;
}

export interface LogEntry {
  seq: number;
  /** Simulator clock, ms. */
  at: number;
  method: string;
  path: string;
  search: string;
  /** Lower-case request header names. */
  headers: Record<string, string>;
  /** Parsed JSON request body, when there was one. */
  body?: unknown;
  service: 'identity' | 'compute' | 'console' | 'unknown';
  region?: RegionName;
  interface?: 'public' | 'internal' | 'admin';
  status?: number;
  /** Subject CN of a verified client certificate (HTTPS with clientCa). */
  clientCert?: string;
  /** No route of the simulator matched: answered as the service would, and a test failure unless expected. */
  unknownRoute?: boolean;
}

/** Requests to routes the simulator does not know that a test sends on purpose. */
export type UnknownRouteMatch = Pick<FaultMatch, 'method' | 'path'>;

interface Mount {
  prefix: string;
  service: LogEntry['service'] | 'control';
  region?: RegionName;
  interface?: 'public' | 'internal' | 'admin';
}

const COMPUTE_MOUNTS: Mount[] = REGIONS.flatMap((region) => {
  const root = region === 'RegionOne' ? '' : '/r2';
  return (['public', 'internal', 'admin'] as const).map((iface) => ({
    prefix: `${root}/compute${iface === 'public' ? '' : `-${iface}`}`,
    service: 'compute' as const,
    region,
    interface: iface,
  }));
});

/**
 * The pages nova-novncproxy and nova-spicehtml5proxy serve: websockify's static
 * file server does not look at the token (the websocket does), 404 "Error
 * response" for a file it lacks (test/fixtures/real/vnc/*.json pages). Debian's
 * novnc 1.3 ships vnc.html, vnc_lite.html and vnc_auto.html (a link to
 * vnc.html); spice-html5 0.3 ships spice.html and spice_auto.html (nova.conf
 * [spice] html5proxy_base_url defaults to …/spice_auto.html).
 */
const CONSOLE_PAGES = {
  novnc: ['vnc.html', 'vnc_lite.html', 'vnc_auto.html'],
  spice: ['spice.html', 'spice_auto.html'],
} as const;

function consolePage(kind: keyof typeof CONSOLE_PAGES, file: string): SimResponse {
  if (!(CONSOLE_PAGES[kind] as readonly string[]).includes(file)) {
    const page =
      '<!DOCTYPE HTML><html><head><title>Error response</title></head><body><h1>Error response</h1><p>Error code: 404</p><p>Message: File not found.</p></body></html>\n';
    return { status: 404, headers: { 'Content-Type': 'text/html;charset=utf-8' }, body: page };
  }
  const script =
    file === 'vnc_lite.html' || file === 'spice_auto.html' ? '' : '<script type="module" src="app/ui.js"></script>';
  const title = kind === 'novnc' ? 'noVNC' : 'Spice Javascript client';
  const body = `<!DOCTYPE html><html><head><title>${title}</title>${script}</head><body>Simulated ${title} ${file} (osconsole test simulator)</body></html>\n`;
  return { status: 200, headers: { 'Content-Type': 'text/html' }, body };
}

/** The guest's hostname, as cloud-init sets it from the server's name. */
function hostnameOf(server: Server): string {
  return server.name.replace(/[^A-Za-z0-9-]/g, '-');
}

/** The simulated Kerbside's CA (a PEM-looking constant: nothing here speaks TLS). */
const SPICE_PROXY_CA =
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3Njb25zb2xlLXNpbS1rZXJic2lkZQ==\n-----END CERTIFICATE-----\n';

export class Simulator {
  /**
   * Every simulator started and not yet verified since it stopped: the fast
   * suite's afterEach (test/helpers/strict-sim.ts) checks each of them.
   */
  static readonly unverified = new Set<Simulator>();
  readonly log: LogEntry[] = [];
  readonly faults = new Faults();
  readonly keystone: Keystone;
  readonly nova: Record<RegionName, Nova>;
  readonly identity = seedIdentity();
  readonly serialProxy: SerialProxy;
  readonly spiceProxy = new SpiceProxy();
  private readonly consoleLogs = new Map<string, ConsoleLog>();
  private get bootLineMs(): number {
    return this.opts.bootLineMs ?? 250;
  }
  private spiceSessions = 0;
  private clockOffsetMs = 0;
  private server!: HttpServer;
  private readonly sockets = new Set<Socket>();
  private readonly mounts: Mount[];
  private baseUrl = '';
  private seq = 0;
  private expectedUnknown: UnknownRouteMatch[] = [];
  /** Unknown-route requests since the last verify(); the log may be cleared in between. */
  private unknownSeen: LogEntry[] = [];
  stopped = false;

  private constructor(private readonly opts: SimulatorOptions) {
    const identityPrefix = opts.identityPrefix ?? '/identity';
    const mounts: Mount[] = [
      ...COMPUTE_MOUNTS,
      { prefix: '/console', service: 'console' },
      { prefix: '/__sim', service: 'control' },
      { prefix: identityPrefix, service: 'identity' },
    ];
    this.mounts = mounts.sort((a, b) => b.prefix.length - a.prefix.length);
    const now = () => this.now();
    this.keystone = new Keystone({
      data: this.identity,
      now,
      tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3600,
      receiptLifetimeSeconds: opts.receiptLifetimeSeconds ?? 300,
      catalog: (projectId) => this.catalog(projectId),
    });
    const seededAt = Date.parse('2026-01-05T09:00:00Z');
    const enabled: ConsoleEnabled = {
      vnc: true,
      spice: true,
      serial: true,
      mks: true,
      rdp: false,
      ...opts.consoleEnabled,
    };
    const makeNova = (region: RegionName, maxVersion: string) =>
      new Nova({
        region,
        maxVersion,
        data: seedCompute(region, seededAt, opts.virtDriver === 'fake'),
        identity: this.identity,
        keystone: this.keystone,
        now,
        consoleTokenTtlSeconds: opts.consoleTokenTtlSeconds ?? 600,
        consoleBaseUrls: this.consoleBaseUrls(),
        enabled,
        // keystonemiddleware's www_authenticate_uri, as the integration tier configures it.
        authUri: () => this.authUrl,
        consoleLog: (server) => this.consoleLogOf(server),
        booted: (server) =>
          this.consoleLogOf(server, false).play(bootLines(hostnameOf(server), new Date(this.now())), this.bootLineMs),
      });
    const r1 = opts.computeMaxVersion ?? '2.100';
    this.nova = {
      RegionOne: makeNova('RegionOne', r1),
      RegionTwo: makeNova('RegionTwo', opts.regionTwoMaxVersion ?? r1),
    };
    this.serialProxy = new SerialProxy({
      now,
      guestOutput: (server, data) => this.consoleLogOf(server).append(data),
      lookup: (token) => {
        const record = this.consoleToken(token);
        return record && { record, server: this.findServer(record.instanceUuid)?.server };
      },
      baseScheme: () => new URL(this.consoleBaseUrls().serial).protocol.replace(/:$/, ''),
      allowedOrigins: opts.consoleAllowedOrigins ?? [],
      enforceSessionTimeout: opts.enforceSessionTimeout ?? false,
      split: opts.serialFrameSplit ?? { seed: 13, maxBytes: 7 },
      spice: (conn, serverId) => this.spiceProxy.bridge(conn, serverId),
    });
  }

  static async start(opts: SimulatorOptions = {}): Promise<Simulator> {
    const sim = new Simulator(opts);
    await sim.listen(opts.port ?? 0);
    await sim.spiceProxy.start();
    Simulator.unverified.add(sim);
    return sim;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return this.baseUrl;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Keystone's root (`<url>/identity`): discovery happens here. */
  get identityUrl(): string {
    return `${this.baseUrl}${this.opts.identityPrefix ?? '/identity'}`;
  }

  /** The usual OS_AUTH_URL: `<url>/identity/v3`. */
  get authUrl(): string {
    return `${this.identityUrl}/v3`;
  }

  /** The simulator's clock (ms): real time plus whatever advance() added. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the clock forward, to expire tokens, receipts and console tokens (and, if enforced, console sessions). */
  advance(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
    this.serialProxy.checkExpiry();
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Log entries of one service (compute requests are the "round trips" tests count). */
  requests(service?: LogEntry['service']): LogEntry[] {
    return service ? this.log.filter((e) => e.service === service) : [...this.log];
  }

  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  /** Lets requests to a route the simulator does not know pass verify(); say why at the call. */
  expectUnknown(match: UnknownRouteMatch): void {
    this.expectedUnknown.push(match);
  }

  /**
   * What makes a test that used this simulator wrong (gh's httpmock Verify):
   * requests to unknown routes nobody expected, and fault rules that never
   * fired (the fault was never tested). Empty when all is well.
   */
  problems(): string[] {
    const unexpected = this.unknownSeen.filter(
      (e) =>
        !this.expectedUnknown.some((m) => Faults.matches(m, { method: e.method, path: e.path, service: e.service })),
    );
    return [
      ...unexpected.map(
        (e) => `request to a route the simulator does not know: ${e.method} ${e.path}${e.search} → ${e.status}`,
      ),
      ...this.faults
        .unfired()
        .map(({ rule, fired }) =>
          fired === 0
            ? `fault rule never fired: ${describeRule(rule)}`
            : `fault rule fired ${fired} of ${rule.times} times: ${describeRule(rule)}`,
        ),
      ...(this.serialProxy.pendingRefusals > 0
        ? [`serial console refusals never used: ${this.serialProxy.pendingRefusals} left of refuseConsoleConnections()`]
        : []),
    ];
  }

  /** Forgets fault rules, expected unknown routes and what problems() reported, for the next test. */
  resetChecks(): void {
    this.faults.clear();
    this.serialProxy.pendingRefusals = 0;
    this.expectedUnknown = [];
    this.unknownSeen = [];
  }

  /** The OS_* variables of a seeded user, as an openrc file would export them. */
  env(user: keyof typeof CREDENTIALS = 'demo'): Record<string, string> {
    const c = CREDENTIALS[user];
    return {
      OS_AUTH_URL: this.authUrl,
      OS_IDENTITY_API_VERSION: '3',
      OS_USERNAME: c.username,
      OS_PASSWORD: c.password,
      OS_USER_DOMAIN_NAME: c.domain,
      OS_PROJECT_NAME: c.project,
      OS_PROJECT_DOMAIN_NAME: c.domain,
      OS_REGION_NAME: 'RegionOne',
      OS_INTERFACE: 'public',
    };
  }

  /** The OS_* variables of the seeded application credential (Horizon's app-cred openrc). */
  appCredentialEnv(): Record<string, string> {
    return {
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: this.authUrl,
      OS_IDENTITY_API_VERSION: '3',
      OS_APPLICATION_CREDENTIAL_ID: APP_CREDENTIAL.id,
      OS_APPLICATION_CREDENTIAL_SECRET: APP_CREDENTIAL.secret,
      OS_REGION_NAME: 'RegionOne',
      OS_INTERFACE: 'public',
    };
  }

  /** A live console token in any region, for the console proxy pages. */
  consoleToken(token: string): ConsoleTokenRecord | undefined {
    for (const region of REGIONS) {
      const record = this.nova[region].liveConsoleToken(token);
      if (record) return record;
    }
    return undefined;
  }

  // ---- serial consoles and server lifecycle (tests drive these) ----

  /** A server in any region, with its region's Nova. */
  findServer(id: string): { nova: Nova; server: Server } | undefined {
    for (const region of REGIONS) {
      const server = this.nova[region].servers.find((s) => s.id === id);
      if (server) return { nova: this.nova[region], server };
    }
    return undefined;
  }

  /**
   * A server's console log (console-log.ts): append() what its guest writes, restart() it,
   * `available = false` for a domain with no console device (404). Seeded with a boot for
   * servers that have run; a server that finishes building plays one, a line every
   * SimOptions.bootLineMs; its serial guest's output lands here too.
   */
  consoleLog(serverId: string): ConsoleLog {
    const found = this.findServer(serverId);
    if (!found) throw new Error(`no server ${serverId}`);
    return this.consoleLogOf(found.server);
  }

  /** `seeded`: a server that has run holds its boot; one that has just been placed starts empty. */
  private consoleLogOf(server: Server, seeded = true): ConsoleLog {
    let log = this.consoleLogs.get(server.id);
    if (!log) {
      log = new ConsoleLog();
      if (seeded && server.host)
        log.append(bootLines(hostnameOf(server), new Date(Date.parse(server.created) + 5000)).join(''));
      this.consoleLogs.set(server.id, log);
    }
    return log;
  }

  /** The fake guest behind a server's serial port: what it received, who is active, print(). */
  serialGuest(serverId: string): FakeGuest {
    const found = this.findServer(serverId);
    const existing = this.serialProxy.existingGuest(serverId);
    if (existing) return existing;
    if (!found) throw new Error(`no server ${serverId}`);
    return this.serialProxy.guest(found.server);
  }

  /** The fake VNC display behind a server's noVNC console (rfb-server.ts): its RFB sessions, keys received. */
  vncDisplay(serverId: string): FakeRfb {
    const found = this.findServer(serverId);
    if (!found) throw new Error(`no server ${serverId}`);
    return this.serialProxy.display(found.server);
  }

  /**
   * The server's VNC server as nova-novncproxy meets it after the 101 (the token stays valid):
   * 'down' (the hypervisor's port refuses), 'not-rfb-3.8' (it sends `RFB 003.003\n`, which nova's
   * security proxy rejects), 'up'. Either fault: the proxy drops the connection with no close frame.
   */
  setVncBackend(serverId: string, state: VncBackendFault | 'up'): void {
    if (!this.findServer(serverId)) throw new Error(`no server ${serverId}`);
    if (state === 'up') this.serialProxy.vncBackend.delete(serverId);
    else this.serialProxy.vncBackend.set(serverId, state);
  }

  /** setVncBackend(serverId, down ? 'down' : 'up'). */
  setVncBackendDown(serverId: string, down = true): void {
    this.setVncBackend(serverId, down ? 'down' : 'up');
  }

  /** Open noVNC websockets (past the token checks). */
  vncSessions(serverId?: string): VncSession[] {
    return [...this.serialProxy.vncSessions].filter((s) => serverId === undefined || s.serverId === serverId);
  }

  /** Link messages the SPICE server answered (TCP from a .vv, or the spice-html5 websocket); no passwords. */
  spiceLinks(serverId?: string): SpiceLink[] {
    return this.spiceProxy.links.filter((l) => serverId === undefined || l.serverId === serverId);
  }

  /** Open serial console sessions (websockets past the token checks). */
  serialSessions(serverId?: string): SerialSession[] {
    return [...this.serialProxy.sessions].filter((s) => serverId === undefined || s.serverId === serverId);
  }

  /**
   * A live migration completes: the server moves host, its console tokens are deleted, and
   * QEMU on the source exits, so the connected session closes with 1000 ("Target closed").
   */
  liveMigrate(serverId: string): void {
    const found = this.findServer(serverId);
    if (!found?.nova.liveMigrate(serverId)) throw new Error(`cannot migrate ${serverId}`);
    this.serialProxy.closePort(serverId, false);
  }

  /** The server is deleted: 404 in the API, tokens gone, sessions closed (1000 "Target closed"). */
  deleteServer(serverId: string): void {
    const found = this.findServer(serverId);
    if (!found?.nova.deleteServer(serverId)) throw new Error(`no server ${serverId}`);
    this.serialProxy.closePort(serverId, true);
  }

  /**
   * The next `count` serial console connections are refused after the 101 (a drop with no
   * close frame, as nova does for a dead token or a bad Origin) even with a live token.
   * Unused refusals fail the test, as unfired fault rules do.
   */
  refuseConsoleConnections(count = 1): void {
    this.serialProxy.refuseNext(count);
  }

  /** Every console session's TCP connection goes away without a close frame (clients see 1006). */
  dropConsoleSessions(): number {
    return this.serialProxy.dropAll();
  }

  /** A BUILD server becomes ACTIVE (or ERROR) after `afterGets` more GETs of /servers/{id}; 0: now. */
  finishBuild(serverId: string, opts: { afterGets?: number; to?: 'ACTIVE' | 'ERROR'; fault?: string } = {}): void {
    const found = this.findServer(serverId);
    if (!found) throw new Error(`no server ${serverId}`);
    found.nova.finishBuild(serverId, opts.afterGets ?? 0, opts.to ?? 'ACTIVE', opts.fault);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const log of this.consoleLogs.values()) log.stop();
    this.serialProxy.stop();
    await this.spiceProxy.stop();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- catalog ----

  private catalog(projectId: string | undefined): CatalogService[] {
    const base = this.baseUrl;
    const endpoint = (iface: 'public' | 'internal' | 'admin', region: RegionName, url: string) => ({
      id: stableId(`${region}-${url}-${iface}`),
      interface: iface,
      region,
      region_id: region,
      url,
    });
    const compute = COMPUTE_MOUNTS.flatMap((m) => {
      const region = m.region as RegionName;
      if (region === 'RegionTwo') {
        // Old-style %(tenant_id)s endpoint: Keystone leaves it out when there is no project to fill in.
        return projectId ? [endpoint(m.interface!, region, `${base}${m.prefix}/v2.1/${projectId}`)] : [];
      }
      return [endpoint(m.interface!, region, `${base}${m.prefix}/v2.1`)];
    });
    const catalog: CatalogService[] = [
      {
        id: stableId('identity'),
        type: 'identity',
        name: 'keystone',
        endpoints: (['public', 'internal', 'admin'] as const).map((i) => endpoint(i, 'RegionOne', this.identityUrl)),
      },
      { id: stableId('compute'), type: 'compute', name: 'nova', endpoints: compute },
      {
        id: stableId('placement'),
        type: 'placement',
        name: 'placement',
        endpoints: [endpoint('public', 'RegionOne', `${base}/placement`)],
      },
    ];
    return this.opts.catalogHook ? this.opts.catalogHook(catalog, projectId) : catalog;
  }

  private consoleBaseUrls(): Record<ConsoleType, string> {
    // Computed lazily: the port is known only after listen().
    const base = () => this.baseUrl;
    const defaults: Record<ConsoleType, () => string> = {
      novnc: () => `${base()}/console/novnc/vnc_lite.html`,
      xvpvnc: () => `${base()}/console/xvpvnc/console`,
      'spice-html5': () => `${base()}/console/spice/spice_auto.html`,
      'spice-direct': () => `${base()}/console/spice-direct/nova-console.vv`,
      serial: () => `${base().replace(/^http/, 'ws')}/console/serial/`,
      'rdp-html5': () => `${base()}/console/rdp/`,
      webmks: () => `${base()}/console/mks/`,
    };
    const overrides = this.opts.consoleBaseUrls ?? {};
    return new Proxy({} as Record<ConsoleType, string>, {
      get: (_t, key: string) => overrides[key as ConsoleType] ?? defaults[key as ConsoleType]?.(),
    });
  }

  // ---- HTTP ----

  private async listen(port: number): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res);
    const tls = this.opts.tls;
    this.server = tls
      ? createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
          },
          handler,
        )
      : createHttpServer(handler);
    this.server.keepAliveTimeout = 1000;
    this.server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head),
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // TLS handshakes that fail (a client that does not trust our CA) are expected in tests.
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.baseUrl = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  private mountFor(path: string): Mount | undefined {
    return this.mounts.find((m) => m.prefix === '' || path === m.prefix || path.startsWith(`${m.prefix}/`));
  }

  private async onRequest(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(raw.url ?? '/', 'http://sim.invalid');
    const headers: Record<string, string> = {};
    for (const [k, val] of Object.entries(raw.headers))
      if (val !== undefined) headers[k] = Array.isArray(val) ? val.join(', ') : val;
    let text: string;
    try {
      text = await readBody(raw);
    } catch {
      res.destroy();
      return;
    }
    const req: SimRequest = {
      method: raw.method ?? 'GET',
      path: target.pathname,
      search: target.search,
      query: target.searchParams,
      headers,
      text,
      base: this.baseUrl,
      raw,
    };
    const mount = this.mountFor(req.path);
    if (mount?.service === 'control') {
      send(res, this.control(req, req.path.slice(mount.prefix.length)));
      return;
    }
    const entry: LogEntry = {
      seq: ++this.seq,
      at: this.now(),
      method: req.method,
      path: req.path,
      search: req.search,
      headers,
      service: mount?.service ?? 'unknown',
      region: mount?.region,
      interface: mount?.interface,
    };
    const peer = raw.socket as unknown as {
      authorized?: boolean;
      getPeerCertificate?: () => { subject?: { CN?: string } };
    };
    if (peer.authorized && peer.getPeerCertificate) entry.clientCert = peer.getPeerCertificate().subject?.CN;
    try {
      entry.body = text.trim() ? JSON.parse(text) : undefined;
    } catch {
      entry.body = text;
    }
    this.log.push(entry);

    const plan = this.faults.plan({ method: req.method, path: req.path, service: entry.service });
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    const action = plan.action;
    if (action?.kind === 'drop') {
      entry.status = 0;
      raw.socket.destroy();
      return;
    }
    if (action?.kind === 'hang') {
      entry.status = 0;
      return;
    }
    if (action?.kind === 'status') {
      const h: Record<string, string> = { 'Content-Type': action.contentType ?? 'text/plain; charset=utf-8' };
      if (action.retryAfter !== undefined) h['Retry-After'] = String(action.retryAfter);
      entry.status = action.status;
      send(res, { status: action.status, headers: h, body: action.body ?? `${action.status} Service Unavailable\n` });
      return;
    }
    if (action?.kind === 'html') {
      const status = action.status ?? 502;
      entry.status = status;
      send(res, html(status, htmlErrorPage(status)));
      return;
    }

    let response = this.dispatch(req, mount);
    if (action?.kind === 'replace')
      response = {
        ...response,
        headers: { ...response.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(action.body),
      };
    if (action?.kind === 'json')
      response = { ...response, body: JSON.stringify(action.edit(JSON.parse(response.body))) };
    if (action?.kind === 'corrupt')
      response = { ...response, body: response.body.slice(0, Math.floor(response.body.length / 2)) };
    if (action?.kind === 'dropHeader') {
      const drop = action.header.toLowerCase();
      response = {
        ...response,
        headers: Object.fromEntries(Object.entries(response.headers).filter(([k]) => k.toLowerCase() !== drop)),
      };
    }
    entry.status = response.status;
    if (response.unknownRoute) {
      entry.unknownRoute = true;
      this.unknownSeen.push(entry);
    }
    if (action?.kind === 'truncate') {
      const bytes = Buffer.from(response.body);
      res.writeHead(response.status, { ...response.headers, 'Content-Length': String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      // Give the partial body a moment to leave before the reset.
      setTimeout(() => raw.socket.destroy(), 20);
      return;
    }
    send(res, response);
  }

  /**
   * A websocket upgrade: logged like any request (status 101 or 400), with the
   * fault rules applied; only the serial proxy speaks websocket here.
   */
  private async onUpgrade(raw: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const target = new URL(raw.url ?? '/', 'http://sim.invalid');
    const headers: Record<string, string> = {};
    for (const [k, val] of Object.entries(raw.headers))
      if (val !== undefined) headers[k] = Array.isArray(val) ? val.join(', ') : val;
    const mount = this.mountFor(target.pathname);
    // noVNC opens ws://<page's host>/<path parameter>: Nova's access URL makes that "/?token=…"
    // (console-proxies.md), and websockify takes the upgrade on any path; the page's default is /websockify.
    const novnc = !mount && (target.pathname === '/' || target.pathname === '/websockify');
    const kind: ProxyKind | undefined = novnc
      ? target.pathname === '/'
        ? 'root'
        : 'novnc'
      : mount?.service !== 'console'
        ? undefined
        : /^\/console\/serial(\/|$)/.test(target.pathname)
          ? 'serial'
          : target.pathname === '/console/spice/websockify'
            ? 'spice'
            : undefined;
    const entry: LogEntry = {
      seq: ++this.seq,
      at: this.now(),
      method: raw.method ?? 'GET',
      path: target.pathname,
      search: target.search,
      headers,
      service: novnc ? 'console' : mount?.service === 'control' ? 'unknown' : (mount?.service ?? 'unknown'),
    };
    this.log.push(entry);
    const plan = this.faults.plan({ method: entry.method, path: entry.path, service: entry.service });
    if (plan.latencyMs > 0) await sleep(plan.latencyMs);
    const action = plan.action;
    if (action?.kind === 'drop' || action?.kind === 'hang') {
      entry.status = 0;
      if (action.kind === 'drop') socket.destroy();
      return;
    }
    if (action?.kind === 'status' || action?.kind === 'html') {
      const status = action.status ?? 502;
      const body = action.kind === 'html' ? htmlErrorPage(status) : (action.body ?? `${status} Service Unavailable\n`);
      entry.status = status;
      socket.end(
        `HTTP/1.1 ${status} Error\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (kind) {
      entry.status = this.serialProxy.handleUpgrade(raw, socket, head, kind).status;
      return;
    }
    // No websocket endpoint here: the HTTP answer the route would give, and a test failure unless expected.
    entry.status = 404;
    entry.unknownRoute = true;
    this.unknownSeen.push(entry);
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  }

  private dispatch(req: SimRequest, mount: Mount | undefined): SimResponse {
    if (!mount)
      return unknownRoute(
        json(404, { message: 'The resource could not be found.', code: '404 Not Found', title: 'Not Found' }),
      );
    const rest = req.path.slice(mount.prefix.length);
    const mountUrl = `${this.baseUrl}${mount.prefix}`;
    switch (mount.service) {
      case 'identity':
        return this.keystone.handle(req, rest, mountUrl);
      case 'compute':
        return this.nova[mount.region as RegionName].handle(req, rest, mountUrl);
      case 'console':
        return this.consoleProxy(req, rest);
      default:
        return json(404, { message: 'The resource could not be found.' });
    }
  }

  /**
   * Stand-ins for the console proxies behind the URLs Nova hands out, so a
   * URL can be opened: they check the token like nova-novncproxy does.
   */
  private consoleProxy(req: SimRequest, rest: string): SimResponse {
    if (rest.startsWith('/spice-direct/')) return this.spiceDirectFile(req);
    if (rest.startsWith('/novnc/')) return consolePage('novnc', rest.slice('/novnc/'.length));
    if (rest.startsWith('/spice/')) return consolePage('spice', rest.slice('/spice/'.length));
    const q = req.query;
    const token =
      q.get('token') ?? new URLSearchParams((q.get('path') ?? '').replace(/^[^?]*\?/, '')).get('token') ?? '';
    const record = this.consoleToken(token);
    if (!record) {
      return html(401, `<html><body><h1>The token '${escapeHtml(token)}' is invalid or has expired</h1></body></html>`);
    }
    const server = REGIONS.flatMap((r) => this.nova[r].servers).find((s) => s.id === record.instanceUuid);
    const left = Math.round((record.expiresAt - this.now()) / 1000);
    if (rest.startsWith('/serial/'))
      return html(426, '<html><body><h1>426 Upgrade Required: this is a websocket endpoint</h1></body></html>');
    const title = `${record.type} console of ${escapeHtml(server?.name ?? record.instanceUuid)}`;
    return html(
      200,
      `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>Simulated console (osconsole test simulator). Token valid for ${left} s more.</p></body></html>`,
    );
  }

  /**
   * A spice-direct proxy's answer, as Kerbside gives it (kerbside/api.py NovaToken,
   * GET /nova-console.vv?token=, no authentication; VIRTVIEWER_TEMPLATE, its keys in
   * order): its own public address and ports, a ticket of its own as the password, its CA.
   * Errors are shakenfist_utilities api.error bodies, {"error", "status"} as JSON.
   * Served on any path under /console/spice-direct/: Kerbside has /nova-console.vv only, the
   * simulator answers Nova's default …/nova too, as a convenience. port and tls-port are both the
   * simulator's SPICE listener (spice-proxy.ts), which speaks no TLS.
   */
  private spiceDirectFile(req: SimRequest): SimResponse {
    const token = req.query.get('token');
    if (!token) return json(401, { error: 'token absent', status: 401 });
    const record = this.consoleToken(token);
    if (!record || record.type !== 'spice-direct') return json(404, { error: 'nova token not found', status: 404 });
    const session = ++this.spiceSessions;
    const vv = [
      '[virt-viewer]',
      'type=spice',
      'host=127.0.0.1',
      `port=${this.spiceProxy.port}`,
      `tls-port=${this.spiceProxy.port}`,
      `password=${randomBytes(24).toString('base64url')}`,
      'delete-this-file=1',
      'fullscreen=0',
      `title=${record.instanceUuid} via proxy session ID ${session}`,
      'toggle-fullscreen=shift+f11',
      'release-cursor=shift+f12',
      'secure-attention=ctrl+alt+end',
      'enable-smartcard=1',
      'enable-usb-autoshare=1',
      'usb-filter=-1,-1,-1,-1,0',
      'tls-ciphers=DEFAULT',
      `ca=${SPICE_PROXY_CA.replace(/\n/g, '\\n')}`,
      '',
    ].join('\n');
    return { status: 200, headers: { 'Content-Type': 'application/x-virt-viewer;charset=UTF-8' }, body: vv };
  }

  // ---- control API ----

  private control(req: SimRequest, rest: string): SimResponse {
    const body = (() => {
      try {
        return req.text ? (JSON.parse(req.text) as unknown) : undefined;
      } catch {
        return undefined;
      }
    })();
    if (rest === '/log' && req.method === 'GET') return json(200, { log: this.log });
    if (rest === '/log' && req.method === 'DELETE') {
      this.clearLog();
      return { status: 204, headers: {}, body: '' };
    }
    if (rest === '/faults' && req.method === 'POST' && isObject(body) && isObject(body.action)) {
      const match = isObject(body.match) ? { ...body.match } : undefined;
      if (match && typeof match.pathRegex === 'string') match.path = new RegExp(match.pathRegex);
      this.faults.add({
        match: match as FaultRule['match'],
        times: typeof body.times === 'number' ? body.times : undefined,
        optional: body.optional === true,
        action: body.action as FaultRule['action'],
      });
      return { status: 204, headers: {}, body: '' };
    }
    if (rest === '/faults' && req.method === 'DELETE') {
      this.faults.clear();
      return { status: 204, headers: {}, body: '' };
    }
    if (rest === '/clock' && req.method === 'POST' && isObject(body) && typeof body.advance === 'number') {
      this.advance(body.advance);
      return json(200, { now: new Date(this.now()).toISOString() });
    }
    const serverOp = /^\/servers\/([^/]+)(?:\/(migrate|build|serial|print|vnc|log))?$/.exec(rest);
    if (serverOp) return this.serverControl(req.method, serverOp[1] as string, serverOp[2], body);
    if (rest === '/serial/drop' && req.method === 'POST') return json(200, { dropped: this.dropConsoleSessions() });
    if ((rest === '/serial/refuse' || rest === '/console/refuse') && req.method === 'POST') {
      this.refuseConsoleConnections(isObject(body) && typeof body.count === 'number' ? body.count : 1);
      return { status: 204, headers: {}, body: '' };
    }
    if (rest === '/info' && req.method === 'GET') {
      return json(200, {
        url: this.url,
        auth_url: this.authUrl,
        compute_max_version: {
          RegionOne: this.opts.computeMaxVersion ?? '2.100',
          RegionTwo: this.opts.regionTwoMaxVersion ?? this.opts.computeMaxVersion ?? '2.100',
        },
      });
    }
    return json(404, { message: 'unknown control endpoint' });
  }

  /**
   * Out-of-process lifecycle controls: POST /__sim/servers/{id}/migrate,
   * DELETE /__sim/servers/{id}, POST /__sim/servers/{id}/build
   * {"afterGets": N, "to": "ACTIVE"|"ERROR"}, GET /__sim/servers/{id}/serial
   * (what the guest received, sessions), POST /__sim/servers/{id}/print {"text"},
   * POST /__sim/servers/{id}/log {"text", "restart", "available"} (the console log).
   */
  private serverControl(method: string, id: string, op: string | undefined, body: unknown): SimResponse {
    const found = this.findServer(id);
    if (!found) return json(404, { message: `no server ${id}` });
    const b = isObject(body) ? body : {};
    if (op === undefined && method === 'DELETE') {
      this.deleteServer(id);
      return { status: 204, headers: {}, body: '' };
    }
    if (op === 'migrate' && method === 'POST') {
      this.liveMigrate(id);
      return json(200, { host: found.server.host });
    }
    if (op === 'build' && method === 'POST') {
      this.finishBuild(id, {
        afterGets: typeof b.afterGets === 'number' ? b.afterGets : 0,
        to: b.to === 'ERROR' ? 'ERROR' : 'ACTIVE',
        fault: typeof b.fault === 'string' ? b.fault : undefined,
      });
      return json(200, { status: found.server.status });
    }
    if (op === 'print' && method === 'POST' && typeof b.text === 'string') {
      this.serialGuest(id).print(b.text);
      return { status: 204, headers: {}, body: '' };
    }
    if (op === 'log' && method === 'POST') {
      // {"text": "..."} appends, {"restart": true} empties it, {"available": false} removes the console device.
      const log = this.consoleLog(id);
      if (b.restart === true) log.restart();
      if (typeof b.available === 'boolean') log.available = b.available;
      if (typeof b.text === 'string') log.append(b.text);
      return json(200, { bytes: log.size, available: log.available });
    }
    if (op === 'serial' && method === 'GET') {
      const guest = this.serialGuest(id);
      return json(200, {
        received: guest.received.toString('base64'),
        received_text: guest.received.toString('utf8'),
        login_state: guest.loginState,
        sessions: this.serialSessions(id).map((s) => ({ id: s.id, active: s.active, origin: s.origin ?? null })),
      });
    }
    if (op === 'vnc') return this.vncControl(method, id, b);
    return json(404, { message: 'unknown control endpoint' });
  }

  /** GET /__sim/servers/{id}/vnc: the display's RFB sessions; POST {"backend": "up"|"down"|"not-rfb-3.8"}. */
  private vncControl(method: string, id: string, b: Record<string, unknown>): SimResponse {
    if (method === 'POST' && (b.backend === 'up' || b.backend === 'down' || b.backend === 'not-rfb-3.8')) {
      this.setVncBackend(id, b.backend);
      return { status: 204, headers: {}, body: '' };
    }
    if (method !== 'GET') return json(400, { message: 'POST {"backend": "up" | "down" | "not-rfb-3.8"}' });
    return json(200, {
      backend: this.serialProxy.vncBackend.get(id) ?? 'up',
      open: this.vncSessions(id).length,
      sessions: this.vncDisplay(id).sessions.map((s) => ({
        client_version: s.clientVersion ?? null,
        security_type: s.securityType ?? null,
        initialised: s.initialised,
        keys: s.keys,
        updates: s.updates,
      })),
    });
  }
}

function send(res: ServerResponse, r: SimResponse): void {
  const body = Buffer.from(r.body);
  res.writeHead(r.status, { ...r.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Deterministic 32-hex ids for catalog entries (Keystone ids are uuid4 hex). */
function stableId(seed: string): string {
  let h = 0x811c9dc5;
  const out: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out.push(h.toString(16).padStart(8, '0'));
  }
  return out.join('');
}
