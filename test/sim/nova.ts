/**
 * A fake Nova (compute API v2.1) for one region: version documents,
 * microversion negotiation, keystonemiddleware-style token checks, server list
 * and show with Nova's unanchored-regex name filter and marker pagination,
 * remote consoles with the per-microversion schema and Nova's error mapping,
 * the legacy os-get*Console actions, and os-console-auth-tokens.
 *
 * Behaviour that changed between releases follows the configured maximum
 * microversion, so one simulator can play Zed (2.93) or Epoxy (2.100):
 *  - new policy defaults (a reader may not create consoles) from 2023.1 (2.95);
 *  - rdp removed and os-console-auth-tokens below 2.31 a bare 400 from 2024.1 (2.96).
 *
 * Facts: nova api-ref and doc/api_samples, nova/api/openstack/compute/
 * {remote_consoles,console_auth_tokens,servers,versions}.py and their schemas,
 * nova/api/openstack/wsgi.py, nova/compute/manager.py (see the notes in each
 * function); checked against real Nova 26 (Zed) by the integration tier.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SimRequest, SimResponse } from './http.js';
import { isObject, json, novaTime, pyRepr, requestId, segments, unknownRoute } from './http.js';
import type { Keystone, TokenRecord } from './keystone.js';
import { UNAUTHORIZED_MESSAGE } from './keystone.js';
import type { Version } from './microversion.js';
import { cmp, fmt, parseVersion, requestedComputeVersion, v } from './microversion.js';
import type { ComputeData, Host, IdentityData, RegionName, Server } from './seed.js';
import { FLAVOR, IMAGE_ID } from './seed.js';
import type { ConsoleLog } from './console-log.js';
import { fakeDriverBytes, novaOutput, tailLog } from './console-log.js';

export type ConsoleType = 'novnc' | 'xvpvnc' | 'spice-html5' | 'spice-direct' | 'serial' | 'rdp-html5' | 'webmks';
export type Protocol = 'vnc' | 'spice' | 'serial' | 'rdp' | 'mks';

/** Nova's `[vnc|spice|serial_console|mks|rdp] enabled` options. */
export type ConsoleEnabled = Record<Protocol, boolean>;

export interface ConsoleTokenRecord {
  token: string;
  type: ConsoleType;
  instanceUuid: string;
  host: string;
  port: number;
  tlsPort: number | null;
  internalAccessPath: string | null;
  expiresAt: number;
}

export interface NovaOptions {
  region: RegionName;
  maxVersion: string;
  data: ComputeData;
  identity: IdentityData;
  keystone: Keystone;
  now: () => number;
  consoleTokenTtlSeconds: number;
  /** Base URLs the console proxies are configured with (nova.conf *_base_url). */
  consoleBaseUrls: Record<ConsoleType, string>;
  enabled: ConsoleEnabled;
  /** keystonemiddleware's www_authenticate_uri (the Keystone public URL). */
  authUri: () => string;
  /** The console log of a server on a libvirt-like host (created on first use). */
  consoleLog: (server: Server) => ConsoleLog;
  /** A building server has become ACTIVE on a host (its guest starts writing its boot log). */
  booted?: (server: Server) => void;
}

const MIN = v('2.1');
/** The console types Nova has a backend for, by protocol (nova/compute/manager.py get_*_console). */
const TYPES_BY_PROTOCOL: Record<Protocol, ConsoleType[]> = {
  vnc: ['novnc'],
  spice: ['spice-html5', 'spice-direct'],
  serial: ['serial'],
  rdp: ['rdp-html5'],
  mks: ['webmks'],
};

/** Legacy server actions (2.1–2.5) and the type enum each accepts (schemas/remote_consoles.py). */
const LEGACY_ACTIONS: Record<string, { protocol: Protocol; types: ConsoleType[]; method: string }> = {
  'os-getVNCConsole': { protocol: 'vnc', types: ['novnc', 'xvpvnc'], method: 'get_vnc_console' },
  'os-getSPICEConsole': { protocol: 'spice', types: ['spice-html5'], method: 'get_spice_console' },
  'os-getSerialConsole': { protocol: 'serial', types: ['serial'], method: 'get_serial_console' },
  'os-getRDPConsole': { protocol: 'rdp', types: ['rdp-html5'], method: 'get_rdp_console' },
};

class NovaError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A response already shaped (webob's plain 404, keystonemiddleware's 401). */
    readonly response?: SimResponse,
  ) {
    super(message);
  }
}

/** Fault names by status (nova/api/openstack/wsgi.py Fault._fault_names); others are computeFault. */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** webob's HTTPBadRequest default explanation, CRLFs included. */
// webob.exc.HTTPBadRequest's explanation; webob normalizes the whitespace of the class
// attribute (its source text has "since\r\nit"), so Nova's fault says it on one line:
// real Nova 31 (webob 1.8.10) answers exactly this (test/fixtures/real/epoxy/).
const WEBOB_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
const NOT_FOUND_TEXT = 'The resource could not be found.';

interface Call {
  req: SimRequest;
  token: TokenRecord;
  version: Version;
  /** `http://h/compute` + `/v2.1` (+ `/<project_id>` when the URL had one). */
  linkBase: string;
  bookmarkBase: string;
}

export class Nova {
  readonly consoleTokens = new Map<string, ConsoleTokenRecord>();
  readonly max: Version;

  constructor(readonly opts: NovaOptions) {
    this.max = v(opts.maxVersion);
  }

  get servers(): Server[] {
    return this.opts.data.servers;
  }

  /** New policy defaults are enforced from 2023.1 Antelope (max 2.95). */
  private get newPolicyDefaults(): boolean {
    return cmp(this.max, v('2.95')) >= 0;
  }

  /** Hyper-V/RDP removal and the bare 400 below 2.31 came with 2024.1 Caracal (max 2.96). */
  private get caracalOrLater(): boolean {
    return cmp(this.max, v('2.96')) >= 0;
  }

  /** The v2.0 entry was SUPPORTED until 2025.2 Flamingo deprecated it (nova commit df630cd1b2). */
  private get v2Deprecated(): boolean {
    return cmp(this.max, v('2.100')) > 0;
  }

  /**
   * `path` is relative to the mount point (`/`, `/v2.1/...`); `mountUrl` is the
   * mount's absolute URL. Paste pipelines (etc/nova/api-paste.ini): `/` has no
   * request id and no microversion; `/v2.1` and below get request ids first,
   * then keystonemiddleware, then the router, then the microversion.
   */
  handle(req: SimRequest, path: string, mountUrl: string): SimResponse {
    const segs = segments(path);
    if (segs.length === 0) return json(200, { versions: this.versionList(mountUrl) });
    if (segs[0] === 'v2' && segs.length === 1) return json(200, { version: this.v2VersionDoc(mountUrl) });
    // Anything else under the mount falls to the versions app's 300 (no route of ours).
    if (segs[0] !== 'v2.1') return unknownRoute(this.choices(mountUrl, path));

    const rid = requestId();
    const ids = { 'X-Compute-Request-Id': rid, 'X-OpenStack-Request-Id': rid };
    let versionHeaders: Record<string, string> = {};
    try {
      const res = this.route(req, segs.slice(1), mountUrl, (version) => {
        versionHeaders = echo(version);
      });
      return withHeaders(res, { ...versionHeaders, ...ids });
    } catch (err) {
      if (!(err instanceof NovaError)) throw err;
      let res = err.response ?? fault(err.status, err.message);
      // keystonemiddleware adds WWW-Authenticate to any 401 on the way out (process_response).
      if (res.status === 401 && !res.headers['WWW-Authenticate'])
        res = withHeaders(res, { 'WWW-Authenticate': `Keystone uri="${this.opts.authUri()}"` });
      return withHeaders(res, { ...versionHeaders, ...ids });
    }
  }

  private route(req: SimRequest, rest: string[], mountUrl: string, setVersion: (v: string) => void): SimResponse {
    // The version document needs no token (VersionsV2 sits outside authtoken), but parses the microversion.
    if (rest.length === 0) {
      this.negotiate(req.headers, setVersion);
      return json(200, { version: this.versionDoc(mountUrl) });
    }
    const token = this.authenticate(req);
    let urlProject: string | undefined;
    // Routes exist with and without a leading /{project_id} (hex and dashes only).
    if (rest[0] && /^[0-9a-f-]+$/.test(rest[0])) {
      urlProject = rest[0];
      rest = rest.slice(1);
    }
    // /v2.1/{project_id}/ is the version document; without the slash there is no route.
    const bareProject = urlProject !== undefined && rest.length === 0 && !req.path.endsWith('/');
    const handler = bareProject ? undefined : this.match(req.method, rest, mountUrl);
    if (!handler) throw webobNotFound(req.headers.accept);

    const version = this.negotiate(req.headers, setVersion);
    checkContentType(req);
    const tokenProject = this.tokenProject(token);
    if (urlProject && urlProject !== tokenProject) {
      throw new NovaError(
        400,
        `Malformed request URL: URL's project_id '${urlProject}' doesn't match Context's project_id '${tokenProject ?? 'None'}'`,
      );
    }
    const linkBase = `${mountUrl}/v2.1${urlProject ? `/${urlProject}` : ''}`;
    const bookmarkBase = `${mountUrl}${urlProject ? `/${urlProject}` : ''}`;
    return handler({ req, token, version, linkBase, bookmarkBase });
  }

  private match(method: string, rest: string[], mountUrl: string): ((c: Call) => SimResponse) | undefined {
    const [a, b, c] = rest;
    if (rest.length === 0 && method === 'GET') return () => json(200, { version: this.versionDoc(mountUrl) });
    if (a === 'servers') {
      if (rest.length === 1 && method === 'GET') return (call) => this.listServers(call, false);
      if (rest.length === 2 && b === 'detail' && method === 'GET') return (call) => this.listServers(call, true);
      if (rest.length === 2 && method === 'GET') return (call) => this.showServer(call, b as string);
      if (rest.length === 3 && c === 'remote-consoles' && method === 'POST')
        return (call) => this.createConsole(call, b as string);
      if (rest.length === 3 && c === 'action' && method === 'POST')
        return (call) => this.serverAction(call, b as string);
    }
    if (a === 'os-console-auth-tokens' && rest.length === 2 && method === 'GET')
      return (call) => this.showConsoleToken(call, b as string);
    return undefined;
  }

  // ---- versions (doc/api_samples/versions/*.json, compute/versions.py) ----

  private v2Entry(mountUrl: string) {
    return {
      id: 'v2.0',
      status: this.v2Deprecated ? 'DEPRECATED' : 'SUPPORTED',
      version: '',
      min_version: '',
      updated: this.v2Deprecated ? '2025-07-04T12:00:00Z' : '2011-01-21T11:33:21Z',
      links: [{ href: `${mountUrl}/v2/`, rel: 'self' }],
    };
  }

  private versionList(mountUrl: string) {
    return [
      {
        id: 'v2.0',
        links: [{ href: `${mountUrl}/v2/`, rel: 'self' }],
        status: this.v2Deprecated ? 'DEPRECATED' : 'SUPPORTED',
        version: '',
        min_version: '',
        updated: this.v2Deprecated ? '2025-07-04T12:00:00Z' : '2011-01-21T11:33:21Z',
      },
      {
        id: 'v2.1',
        links: [{ href: `${mountUrl}/v2.1/`, rel: 'self' }],
        status: 'CURRENT',
        version: fmt(this.max),
        min_version: fmt(MIN),
        updated: '2013-07-23T11:33:21Z',
      },
    ];
  }

  private versionDoc(mountUrl: string) {
    return {
      id: 'v2.1',
      links: [
        { href: `${mountUrl}/v2.1/`, rel: 'self' },
        { href: 'http://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
      ],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      status: 'CURRENT',
      version: fmt(this.max),
      min_version: fmt(MIN),
      updated: '2013-07-23T11:33:21Z',
    };
  }

  private v2VersionDoc(mountUrl: string) {
    const entry = this.v2Entry(mountUrl);
    return {
      id: entry.id,
      links: [...entry.links, { href: 'http://docs.openstack.org/', rel: 'describedby', type: 'text/html' }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }],
      status: entry.status,
      version: '',
      min_version: '',
      updated: entry.updated,
    };
  }

  /** Any other unversioned path: 300 with the choices (Versions.multi). */
  private choices(mountUrl: string, path: string): SimResponse {
    const entry = (id: string, seg: string, status: string, mt: string) => ({
      id,
      status,
      links: [{ rel: 'self', href: `${mountUrl}/${seg}${path}` }],
      'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${mt}` }],
    });
    return json(300, {
      choices: [
        entry('v2.0', 'v2', this.v2Deprecated ? 'DEPRECATED' : 'SUPPORTED', '2'),
        entry('v2.1', 'v2.1', 'CURRENT', '2.1'),
      ],
    });
  }

  // ---- auth and microversions ----

  /** keystonemiddleware: a missing, unknown, revoked or expired token is a 401 before Nova runs. */
  private authenticate(req: SimRequest): TokenRecord {
    const token = this.opts.keystone.liveToken(req.headers['x-auth-token']);
    if (token) return token;
    const res = json(
      401,
      { error: { code: 401, title: 'Unauthorized', message: UNAUTHORIZED_MESSAGE } },
      { 'WWW-Authenticate': `Keystone uri="${this.opts.authUri()}"` },
    );
    throw new NovaError(401, UNAUTHORIZED_MESSAGE, res);
  }

  private negotiate(headers: Record<string, string>, setVersion: (v: string) => void): Version {
    const raw = requestedComputeVersion(headers);
    if (raw === undefined) {
      setVersion(fmt(MIN));
      return MIN;
    }
    if (raw === 'latest') {
      setVersion(fmt(this.max));
      return this.max;
    }
    const parsed = parseVersion(raw);
    if (!parsed) {
      throw new NovaError(400, `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`);
    }
    // The echo carries the requested value even when it is out of range (it is stored before the check).
    setVersion(fmt(parsed));
    if (cmp(parsed, MIN) < 0 || cmp(parsed, this.max) > 0) {
      throw new NovaError(
        406,
        `Version ${fmt(parsed)} is not supported by the API. Minimum is ${fmt(MIN)} and maximum is ${fmt(this.max)}.`,
      );
    }
    return parsed;
  }

  private isAdmin(token: TokenRecord): boolean {
    return token.roleIds.some((id) => this.opts.identity.roles.find((r) => r.id === id)?.name === 'admin');
  }

  private hasRole(token: TokenRecord, name: string): boolean {
    return token.roleIds.some((id) => this.opts.identity.roles.find((r) => r.id === id)?.name === name);
  }

  private tokenProject(token: TokenRecord): string | undefined {
    return token.scope && 'project' in token.scope ? token.scope.project.id : undefined;
  }

  private forbidden(policy: string): NovaError {
    return new NovaError(403, `Policy doesn't allow ${policy} to be performed.`);
  }

  // ---- servers ----

  /** common.get_instance: unknown id, a non-UUID, or another project's server (non-admin) → 404. */
  private getInstance(call: Call, id: string): Server {
    const server = this.servers.find((s) => s.id === id);
    const visible = server && (this.isAdmin(call.token) || server.project_id === this.tokenProject(call.token));
    if (!server || !visible) throw new NovaError(404, `Instance ${id} could not be found.`);
    return server;
  }

  private listServers(call: Call, detail: boolean): SimResponse {
    const q = call.req.query;
    const admin = this.isAdmin(call.token);
    const project = this.tokenProject(call.token);
    if (!project) throw this.forbidden(`os_compute_api:servers:${detail ? 'detail' : 'index'}`);
    const allTenants = parseAllTenants(q);
    if (allTenants && !admin)
      throw this.forbidden(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`);

    if (cmp(call.version, v('2.75')) >= 0) {
      const unknown = [...q.keys()].find((k) => !SERVER_LIST_PARAMS.has(k) && !k.startsWith('_'));
      if (unknown)
        throw new NovaError(
          400,
          `Invalid input for query parameters ${unknown}. Value: ${q.get(unknown)}. '${unknown}' does not match any of the regexes: '^_'`,
        );
    }
    let items = this.servers.filter((s) => allTenants || s.project_id === project);
    const name = q.get('name') ?? q.get('display_name');
    if (name !== null) {
      // Nova applies the name as an unanchored regular expression, in the database: MySQL's
      // REGEXP under the column's _ci collation, so case-insensitive (both real tiers run
      // MariaDB: ?name=DEMO lists demo-vm). JavaScript's RegExp stands in for it: they agree
      // on everything but exotic syntax.
      let re: RegExp;
      try {
        if (name === '') throw new Error('empty');
        re = new RegExp(name, 'i');
      } catch {
        throw new NovaError(400, `Invalid input for query parameters name. Value: ${name}. '${name}' is not a 'regex'`);
      }
      items = items.filter((s) => re.test(s.name));
    }
    items.sort(byCreatedDesc);

    const limit = parseLimit(q.get('limit'));
    const marker = q.get('marker');
    if (marker !== null) {
      // The marker is looked up across projects; the page continues after its sort position.
      const row = this.servers.find((s) => s.id === marker);
      if (!row) throw new NovaError(400, `marker [${marker}] not found`);
      items = items.filter((s) => byCreatedDesc(row, s) < 0);
    }
    const maxLimit = 1000;
    const pageSize = Math.min(limit ?? maxLimit, maxLimit);
    const page = items.slice(0, pageSize);
    const body: Record<string, unknown> = {
      servers: page.map((s) => (detail ? this.serverDetail(call, s) : this.serverBrief(call, s))),
    };
    // A next link whenever a page is full, even if nothing follows; the
    // request's own parameters, sorted, with the marker set (api/openstack/common.py).
    if (page.length > 0 && page.length === pageSize) {
      const params = new Map<string, string>([...q.entries()]);
      params.set('marker', (page[page.length - 1] as Server).id);
      const next = new URLSearchParams([...params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      body.servers_links = [
        { href: `${call.linkBase}/servers${detail ? '/detail' : ''}?${next.toString()}`, rel: 'next' },
      ];
    }
    return json(200, body);
  }

  private showServer(call: Call, id: string): SimResponse {
    const instance = this.getInstance(call, id);
    const server = this.serverDetail(call, instance);
    // server_groups is in show (not in the lists) from 2.71.
    if (cmp(call.version, v('2.71')) >= 0) server.server_groups = [];
    // The fault, for ERROR (and DELETED) only; details hidden from non-admins when the code is 500
    // (views/servers.py show, _fault_statuses, _get_fault).
    if (instance.status === 'ERROR' && instance.fault) {
      const { details, ...fault } = instance.fault;
      server.fault = details && (this.isAdmin(call.token) || fault.code !== 500) ? { ...fault, details } : fault;
    }
    this.countBuildPoll(instance);
    return json(200, { server });
  }

  // ---- server lifecycle, driven by tests ----

  private readonly pendingBuilds = new Map<string, { gets: number; to: 'ACTIVE' | 'ERROR'; fault?: string }>();

  /** A building server ends its build after `gets` more GETs of /servers/{id} (0: now). */
  finishBuild(id: string, gets = 0, to: 'ACTIVE' | 'ERROR' = 'ACTIVE', fault?: string): void {
    this.pendingBuilds.set(id, { gets, to, fault });
    if (gets <= 0) this.countBuildPoll(this.servers.find((s) => s.id === id));
  }

  private countBuildPoll(server: Server | undefined): void {
    const pending = server && this.pendingBuilds.get(server.id);
    if (!server || !pending) return;
    if (--pending.gets > 0) return;
    this.pendingBuilds.delete(server.id);
    const at = novaTime(this.opts.now());
    if (pending.to === 'ERROR') {
      Object.assign(server, { status: 'ERROR', vm_state: 'error', task_state: null, power_state: 0, updated: at });
      // What a failed schedule records (nova/conductor/manager.py, NoValidHost: code 500).
      server.fault = {
        code: 500,
        created: at,
        message: pending.fault ?? 'No valid host was found. There are not enough hosts available.',
        details: 'Traceback (most recent call last): ...',
      };
      return;
    }
    const host = this.opts.data.hosts.find((h) => h.protocols.includes('serial'))?.name ?? 'compute-1';
    const slot = this.servers.filter((s) => s.host === host).length;
    Object.assign(server, {
      status: 'ACTIVE',
      vm_state: 'active',
      task_state: null,
      power_state: 1,
      host,
      slot,
      updated: at,
    });
    this.opts.booted?.(server);
  }

  /** ConsoleAuthToken.clean_console_auths_for_instance (manager _clean_instance_console_tokens). */
  cleanConsoleTokens(instanceUuid: string): number {
    let n = 0;
    for (const [token, record] of this.consoleTokens)
      if (record.instanceUuid === instanceUuid) n += this.consoleTokens.delete(token) ? 1 : 0;
    return n;
  }

  /** A finished live migration: another host, the console tokens gone (manager _post_live_migration). */
  liveMigrate(id: string): Server | undefined {
    const server = this.servers.find((s) => s.id === id);
    if (!server?.host) return undefined;
    const dest = this.opts.data.hosts.find(
      (h) => h.name !== server.host && h.protocols.includes('serial') && h.driver === this.hostOf(server)?.driver,
    );
    if (dest) {
      server.slot = this.servers.filter((s) => s.host === dest.name).length;
      server.host = dest.name;
      // The instance directory is per host: console.log starts again on the destination.
      this.opts.consoleLog(server).restart();
    }
    server.updated = novaTime(this.opts.now());
    this.cleanConsoleTokens(id);
    return server;
  }

  /** The instance is deleted: gone from the API (404) and its console tokens with it (manager _delete_instance). */
  deleteServer(id: string): Server | undefined {
    const i = this.servers.findIndex((s) => s.id === id);
    if (i < 0) return undefined;
    const [server] = this.servers.splice(i, 1);
    this.cleanConsoleTokens(id);
    this.pendingBuilds.delete(id);
    return server;
  }

  private hostOf(server: Server): Host | undefined {
    return this.opts.data.hosts.find((h) => h.name === server.host);
  }

  private links(call: Call, kind: string, id: string) {
    return [
      { href: `${call.linkBase}/${kind}/${id}`, rel: 'self' },
      { href: `${call.bookmarkBase}/${kind}/${id}`, rel: 'bookmark' },
    ];
  }

  private serverBrief(call: Call, s: Server) {
    return { id: s.id, links: this.links(call, 'servers', s.id), name: s.name };
  }

  /** The detail view at the request's microversion (doc/api_samples/servers/v2.*). */
  private serverDetail(call: Call, s: Server): Record<string, unknown> {
    const at = (x: string) => cmp(call.version, v(x)) >= 0;
    const admin = this.isAdmin(call.token);
    const out: Record<string, unknown> = {
      'OS-DCF:diskConfig': 'MANUAL',
      'OS-EXT-AZ:availability_zone': 'nova',
      'OS-EXT-STS:power_state': s.power_state,
      'OS-EXT-STS:task_state': s.task_state,
      'OS-EXT-STS:vm_state': s.vm_state,
      'OS-SRV-USG:launched_at': s.host ? `${s.created.replace(/Z$/, '')}.000000` : null,
      'OS-SRV-USG:terminated_at': null,
      accessIPv4: '',
      accessIPv6: '',
      addresses: {},
      config_drive: '',
      created: s.created,
      flavor: at('2.47')
        ? {
            disk: FLAVOR.disk,
            ephemeral: 0,
            extra_specs: {},
            original_name: FLAVOR.name,
            ram: FLAVOR.ram,
            swap: 0,
            vcpus: FLAVOR.vcpus,
          }
        : { id: FLAVOR.id, links: [{ href: `${call.bookmarkBase}/flavors/${FLAVOR.id}`, rel: 'bookmark' }] },
      hostId: s.host ? hostId(s.host, s.project_id) : '',
      id: s.id,
      image: {
        id: IMAGE_ID,
        links: [{ href: `${call.bookmarkBase}/images/${IMAGE_ID}`, rel: 'bookmark' }],
        // 2.98: the image properties Nova keeps in the instance's system metadata (api-ref
        // "Show Server Details", image.properties; all strings, as real Nova 31 answers)
        ...(at('2.98')
          ? {
              properties: {
                min_ram: '0',
                min_disk: String(FLAVOR.disk),
                disk_format: 'raw',
                container_format: 'bare',
                base_image_ref: IMAGE_ID,
              },
            }
          : {}),
      },
      key_name: null,
      links: this.links(call, 'servers', s.id),
      metadata: {},
      name: s.name,
      'os-extended-volumes:volumes_attached': [],
      progress: 0,
      security_groups: [{ name: 'default' }],
      status: s.status,
      tenant_id: s.project_id,
      updated: s.updated,
      user_id: s.user_id,
    };
    if (admin) {
      out['OS-EXT-SRV-ATTR:host'] = s.host;
      out['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.host ? `${s.host}.example.test` : null;
      out['OS-EXT-SRV-ATTR:instance_name'] = `instance-${s.id.slice(0, 8)}`;
    }
    if (at('2.9')) out.locked = false;
    if (at('2.16') && admin) out.host_status = s.host ? 'UP' : '';
    if (at('2.19')) out.description = null;
    if (at('2.26')) out.tags = [];
    if (at('2.63')) out.trusted_image_certificates = null;
    if (at('2.73')) out.locked_reason = null;
    // The hostname is admin-only from 2.3 and shown to everyone from 2.90.
    if (at('2.90') || (admin && at('2.3'))) out['OS-EXT-SRV-ATTR:hostname'] = s.name.replace(/[^A-Za-z0-9-]/g, '-');
    if (at('2.96')) out.pinned_availability_zone = null;
    return out;
  }

  // ---- remote consoles (remote_consoles.py create, 2.6+) ----

  /**
   * The request schema's enums at this microversion (schemas/remote_consoles.py;
   * the order is part of the error message). Zed lists rdp; 2024.1 dropped it
   * from the 2.6/2.8 schemas, and 2.99 lists protocol rdp without its type.
   */
  private requestSchemaEnums(version: Version): { protocols: string[]; types: string[] } {
    const rdp = !this.caracalOrLater;
    const at28 = cmp(version, v('2.8')) >= 0;
    const at299 = cmp(version, v('2.99')) >= 0;
    const protocols = ['vnc', 'spice', ...(rdp || at299 ? ['rdp'] : []), 'serial', ...(at28 ? ['mks'] : [])];
    const types = [
      'novnc',
      'xvpvnc',
      ...(rdp ? ['rdp-html5'] : []),
      'spice-html5',
      ...(at299 ? ['spice-direct'] : []),
      'serial',
      ...(at28 ? ['webmks'] : []),
    ];
    return { protocols, types };
  }

  private createConsole(call: Call, serverId: string): SimResponse {
    // The method exists from 2.6; below that the router answers webob's 404.
    if (cmp(call.version, v('2.6')) < 0) throw versionNotFound();
    const body = parseBody(call.req);
    const enums = this.requestSchemaEnums(call.version);
    const rc = validateRemoteConsoleBody(body, enums);
    const server = this.getInstance(call, serverId);
    this.checkConsolePolicy(call.token, server.project_id);
    // 2024.1 removed rdp from the 2.6/2.8 schemas, but the 2.99 schema lists protocol rdp and
    // the controller has no handler for it: handlers.get('rdp') is None, called -> TypeError
    // -> 500 (nova 31 nova/api/openstack/compute/remote_consoles.py create; seen in real Nova
    // 31). Zed still hands rdp to the driver.
    if (rc.protocol === 'rdp' && this.caracalOrLater) throw new NovaError(500, unexpectedApiError('TypeError'));
    this.checkReady(server);
    if (server.task_state === 'deleting' || server.task_state === 'migrating') {
      // InstanceInvalidState is not caught by create(): expected_errors turns it into a 500.
      throw new NovaError(500, unexpectedApiError('nova.exception.InstanceInvalidState'));
    }
    const url = this.computeConsole(server, rc.protocol as Protocol, rc.type as ConsoleType);
    return json(200, { remote_console: { protocol: rc.protocol, type: rc.type, url } });
  }

  /** os_compute_api:os-remote-consoles: project member or admin (new defaults), project owner before 2023.1. */
  private checkConsolePolicy(
    token: TokenRecord,
    projectId: string,
    policy = 'os_compute_api:os-remote-consoles',
  ): void {
    if (this.isAdmin(token)) return;
    const inProject = this.tokenProject(token) === projectId;
    const allowed = this.newPolicyDefaults ? inProject && this.hasRole(token, 'member') : inProject;
    if (!allowed) throw this.forbidden(policy);
  }

  // ---- os-getConsoleOutput (console_output.py; the log itself: console-log.ts) ----

  /** Schema, then the server (404), the policy (403), a host (409), the driver (404 no console, 501). */
  private consoleOutput(call: Call, serverId: string, inner: unknown): SimResponse {
    const length = validateConsoleOutputBody(inner);
    const server = this.getInstance(call, serverId);
    this.checkConsolePolicy(call.token, server.project_id, 'os_compute_api:os-console-output');
    this.checkReady(server);
    const log = this.consoleLogBytes(server);
    const tailed = length === undefined || length === null ? log : tailLog(log, length);
    return json(200, { output: novaOutput(tailed) });
  }

  /** What the server's virt driver returns (fake.py: a constant; the base driver: NotImplementedError). */
  private consoleLogBytes(server: Server): Buffer {
    const host = this.hostOf(server);
    if (host?.driver === 'fake') return fakeDriverBytes();
    // common.raise_feature_not_supported's default message.
    if (host?.driver === 'vnc-only') throw new NovaError(501, 'The requested functionality is not supported.');
    const log = this.opts.consoleLog(server);
    if (!log.available) throw new NovaError(404, 'Guest does not have a console available.');
    return log.read();
  }

  /** compute/api.py @check_instance_host: no host yet → InstanceNotReady → 409. */
  private checkReady(server: Server): void {
    if (!server.host) throw new NovaError(409, `Instance ${server.id} is not ready`);
  }

  /** The compute manager's get_*_console, then the virt driver's. */
  private computeConsole(server: Server, protocol: Protocol, type: ConsoleType): string {
    if (!this.opts.enabled[protocol]) throw new NovaError(400, `Unavailable console type ${type}.`);
    // The serial handler never checks the type (manager get_serial_console); the others do.
    if (protocol !== 'serial' && !TYPES_BY_PROTOCOL[protocol].includes(type)) {
      throw new NovaError(400, `Invalid console type ${type}`);
    }
    const host = this.opts.data.hosts.find((h) => h.name === server.host) as Host;
    if (!host.protocols.includes(protocol)) throw new NovaError(501, 'The requested functionality is not supported.');
    return this.issueConsoleToken(server, host, protocol, type);
  }

  /**
   * A console token (nova/objects/console_auth_token.py): the base URL is the
   * protocol's proxy, the URL's form and the stored type are the requested
   * type (so serial with type novnc gets a noVNC-style URL, as real Nova does).
   */
  private issueConsoleToken(server: Server, host: Host, protocol: Protocol, type: ConsoleType): string {
    const token = randomUUID();
    const connect = connectInfo(host, server, protocol, type);
    const record: ConsoleTokenRecord = {
      token,
      type,
      instanceUuid: server.id,
      ...connect,
      expiresAt: this.opts.now() + this.opts.consoleTokenTtlSeconds * 1000,
    };
    this.consoleTokens.set(token, record);
    const base = protocol === 'serial' ? this.opts.consoleBaseUrls.serial : this.opts.consoleBaseUrls[type];
    return accessUrl(base, type, token);
  }

  // ---- legacy actions (2.1–2.5) ----

  private serverAction(call: Call, serverId: string): SimResponse {
    const body = parseBody(call.req);
    if (!isObject(body) || Object.keys(body).length !== 1) throw new NovaError(400, 'Malformed request body');
    const name = Object.keys(body)[0] as string;
    if (name === 'os-getConsoleOutput') return this.consoleOutput(call, serverId, body[name]);
    const action = LEGACY_ACTIONS[name];
    if (!action) throw new NovaError(400, `There is no such action: ${name}`);
    if (cmp(call.version, v('2.6')) >= 0) throw versionNotFound();
    if (name === 'os-getRDPConsole' && this.caracalOrLater) throw new NovaError(400, WEBOB_400);
    const inner = body[name];
    validateLegacyBody(name, inner, action.types);
    // The legacy handlers check policy before looking the server up.
    this.checkConsolePolicy(call.token, this.tokenProject(call.token) ?? '');
    const server = this.getInstance(call, serverId);
    const type = (inner as { type: ConsoleType }).type;
    this.checkReady(server);
    if (server.task_state === 'deleting' || server.task_state === 'migrating') {
      if (action.protocol === 'vnc') {
        throw new NovaError(
          409,
          `Cannot '${action.method}' instance ${server.id} while it is in task_state ${server.task_state}`,
        );
      }
      throw new NovaError(500, unexpectedApiError('nova.exception.InstanceInvalidState'));
    }
    // The legacy handlers do not catch ConsoleTypeInvalid (xvpvnc): a 500.
    if (action.protocol === 'vnc' && type === 'xvpvnc' && this.opts.enabled.vnc) {
      // Raised in nova-compute, so it arrives through RPC as a *_Remote class.
      throw new NovaError(500, unexpectedApiError('nova.exception_Remote.ConsoleTypeInvalid_Remote'));
    }
    const url = this.computeConsole(server, action.protocol, type);
    return json(200, { console: { type, url } });
  }

  // ---- os-console-auth-tokens (console_auth_tokens.py) ----

  private showConsoleToken(call: Call, token: string): SimResponse {
    const below231 = cmp(call.version, v('2.31')) < 0;
    if (below231 && this.caracalOrLater) throw new NovaError(400, WEBOB_400);
    if (cmp(call.version, v('2.99')) >= 0 && call.req.search !== '') {
      throw new NovaError(
        400,
        `Invalid input for query parameters ${[...call.req.query.keys()].join(', ')}. Additional properties are not allowed`,
      );
    }
    if (!this.isAdmin(call.token)) throw this.forbidden('os_compute_api:os-console-auth-tokens');
    const record = this.consoleTokens.get(decodeURIComponent(token));
    if (!record || record.expiresAt <= this.opts.now()) throw new NovaError(404, 'Token not found');
    if (below231 && record.type !== 'rdp-html5')
      throw new NovaError(401, 'The requested console type details are not accessible');
    const console: Record<string, unknown> = {
      instance_uuid: record.instanceUuid,
      host: record.host,
      port: record.port,
      internal_access_path: record.internalAccessPath,
    };
    if (cmp(call.version, v('2.99')) >= 0 && record.type === 'spice-direct') console.tls_port = record.tlsPort;
    return json(200, { console });
  }

  /** For the simulator's console proxy pages: a live token of this region. */
  liveConsoleToken(token: string): ConsoleTokenRecord | undefined {
    const record = this.consoleTokens.get(token);
    return record && record.expiresAt > this.opts.now() ? record : undefined;
  }
}

// ---- helpers ----

/**
 * What the virt driver reports for a console: libvirt-like hosts give their
 * address and per-server ports; Nova's fake driver (nova/virt/fake.py) gives
 * fixed fake hosts, port 6969, tls_port 6970 for SPICE, and path "FAKE".
 */
function connectInfo(host: Host, server: Server, protocol: Protocol, type: ConsoleType) {
  if (host.driver === 'fake') {
    const fakeHost = {
      vnc: 'fakevncconsole.com',
      spice: 'fakespiceconsole.com',
      rdp: 'fakerdpconsole.com',
      serial: 'fakerdpconsole.com',
      mks: 'fakemksconsole.com',
    }[protocol];
    return {
      host: fakeHost,
      port: 6969,
      tlsPort: protocol === 'spice' ? 6970 : null,
      // the compute manager stores no path for spice-direct (nova/compute/manager.py
      // get_spice_console, nova 31; real Nova 31 answers null)
      internalAccessPath: type === 'spice-direct' ? null : 'FAKE',
    };
  }
  const base = 5900 + server.slot * 2;
  return {
    host: host.address,
    port: protocol === 'serial' ? 10000 + server.slot : protocol === 'mks' ? 902 : base,
    tlsPort: type === 'spice-direct' || type === 'spice-html5' ? base + 1 : null,
    internalAccessPath: null,
  };
}

function fault(status: number, message: string): SimResponse {
  const name = FAULT_NAMES[status] ?? 'computeFault';
  return json(status, { [name]: { code: status, message } }, { 'Content-Type': 'application/json; charset=UTF-8' });
}

/**
 * Nova's Router answers unknown routes with webob's plain HTTPNotFound, not a
 * Fault; webob picks HTML, JSON or text from Accept, HTML when there is none.
 */
function webobNotFound(accept: string | undefined): NovaError {
  const a = (accept ?? '').toLowerCase();
  let res: SimResponse;
  if (a.includes('application/json')) {
    res = json(404, { message: `${NOT_FOUND_TEXT}<br /><br />\n\n\n`, code: '404 Not Found', title: 'Not Found' });
  } else if (a === '' || a.includes('text/html') || a.includes('*/*')) {
    res = {
      status: 404,
      headers: { 'Content-Type': 'text/html; charset=UTF-8' },
      body: `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ${NOT_FOUND_TEXT}<br /><br />\n\n\n\n </body>\n</html>`,
    };
  } else {
    res = {
      status: 404,
      headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
      body: `404 Not Found\n\n${NOT_FOUND_TEXT}\n\n   `,
    };
  }
  return new NovaError(404, NOT_FOUND_TEXT, unknownRoute(res));
}

/** A method that does not exist at the request's microversion: a Fault 404 (wsgi.py VersionNotFoundForAPIMethod). */
function versionNotFound(): NovaError {
  return new NovaError(404, NOT_FOUND_TEXT);
}

/**
 * Request bodies: JSON, or no/empty/text-plain Content-Type (still parsed as
 * JSON); anything else is 415 (wsgi.py Request.get_content_type).
 */
function checkContentType(req: SimRequest): void {
  const raw = req.headers['content-type'];
  if (raw === undefined) return;
  const type = raw.split(';')[0]!.trim().toLowerCase();
  if (['', 'text/plain', 'application/json', 'application/vnd.openstack.compute+json'].includes(type)) return;
  throw new NovaError(415, 'Unsupported Content-Type');
}

function unexpectedApiError(exceptionClass: string): string {
  return `Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class '${exceptionClass}'>`;
}

function echo(version: string): Record<string, string> {
  return {
    'OpenStack-API-Version': `compute ${version}`,
    'X-OpenStack-Nova-API-Version': version,
    Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  };
}

function withHeaders(res: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...res, headers: { ...headers, ...res.headers } };
}

function parseBody(req: SimRequest): unknown {
  try {
    return req.text === '' ? null : JSON.parse(req.text);
  } catch {
    throw new NovaError(400, 'Malformed request body');
  }
}

/**
 * Schema failures (nova/api/validation/validators.py): "Invalid input for
 * field/attribute <last path element>. Value: <value as Python prints it>.
 * <jsonschema message>", or just the message when the path is empty.
 */
function invalid(path: string, value: unknown, detail: string): NovaError {
  if (!path) return new NovaError(400, detail);
  const shown = typeof value === 'string' ? value : pyRepr(value);
  return new NovaError(400, `Invalid input for field/attribute ${path}. Value: ${shown}. ${detail}`);
}

function pyList(xs: string[]): string {
  return `[${xs.map((x) => `'${x}'`).join(', ')}]`;
}

function unexpected(keys: string[]): string {
  return `Additional properties are not allowed (${keys.map((k) => `'${k}'`).join(', ')} ${keys.length > 1 ? 'were' : 'was'} unexpected)`;
}

/** Validates {"remote_console": {"protocol", "type"}} in jsonschema's order: type, required, additionalProperties, then properties. */
function validateRemoteConsoleBody(
  body: unknown,
  enums: { protocols: string[]; types: string[] },
): { protocol: string; type: string } {
  if (!isObject(body)) throw invalid('', body, `${pyRepr(body)} is not of type 'object'`);
  if (body.remote_console === undefined) throw invalid('', body, "'remote_console' is a required property");
  const extra = Object.keys(body).filter((k) => k !== 'remote_console');
  if (extra.length) throw invalid('', body, unexpected(extra));
  const rc = body.remote_console;
  if (!isObject(rc)) throw invalid('remote_console', rc, `${pyRepr(rc)} is not of type 'object'`);
  for (const key of ['protocol', 'type']) {
    if (rc[key] === undefined) throw invalid('remote_console', rc, `'${key}' is a required property`);
  }
  const extraInner = Object.keys(rc).filter((k) => k !== 'protocol' && k !== 'type');
  if (extraInner.length) throw invalid('remote_console', rc, unexpected(extraInner));
  if (typeof rc.protocol !== 'string' || !enums.protocols.includes(rc.protocol)) {
    throw invalid('protocol', rc.protocol, `${pyRepr(rc.protocol)} is not one of ${pyList(enums.protocols)}`);
  }
  if (typeof rc.type !== 'string' || !enums.types.includes(rc.type)) {
    throw invalid('type', rc.type, `${pyRepr(rc.type)} is not one of ${pyList(enums.types)}`);
  }
  return { protocol: rc.protocol, type: rc.type };
}

/**
 * schemas/console_output.py: {"os-getConsoleOutput": {"length": integer | "-?[0-9]+" | null, minimum -1}},
 * no other keys. jsonschema checks type, then pattern (strings) or minimum (numbers); a bool is no integer.
 */
function validateConsoleOutputBody(inner: unknown): number | string | null | undefined {
  const name = 'os-getConsoleOutput';
  if (!isObject(inner)) throw invalid(name, inner, `${pyRepr(inner)} is not of type 'object'`);
  const extra = Object.keys(inner).filter((k) => k !== 'length');
  if (extra.length) throw invalid(name, inner, unexpected(extra));
  const length = inner.length;
  if (length === undefined || length === null) return length;
  if (typeof length === 'string') {
    if (!/^-?[0-9]+$/.test(length)) throw invalid('length', length, `'${length}' does not match '^-?[0-9]+$'`);
    return length;
  }
  if (typeof length !== 'number' || !Number.isInteger(length))
    throw invalid('length', length, `${pyRepr(length)} is not of type 'integer', 'string', 'null'`);
  if (length < -1) throw invalid('length', length, `${length} is less than the minimum of -1`);
  return length;
}

function validateLegacyBody(action: string, inner: unknown, types: string[]): void {
  if (!isObject(inner)) throw invalid(action, inner, `${pyRepr(inner)} is not of type 'object'`);
  if (inner.type === undefined) throw invalid(action, inner, "'type' is a required property");
  const extra = Object.keys(inner).filter((k) => k !== 'type');
  if (extra.length) throw invalid(action, inner, unexpected(extra));
  if (typeof inner.type !== 'string' || !types.includes(inner.type)) {
    throw invalid('type', inner.type, `${pyRepr(inner.type)} is not one of ${pyList(types)}`);
  }
}

/** `all_tenants`: empty means true; Nova's bool strings; anything else is a 400. */
/** Default order: created_at desc, then id desc (nova/db/main/api.py instance_get_all_by_filters_sort). */
function byCreatedDesc(x: Server, y: Server): number {
  if (x.created !== y.created) return x.created < y.created ? 1 : -1;
  return x.id < y.id ? 1 : x.id > y.id ? -1 : 0;
}

/** Query keys the servers list schema knows (schemas/servers.py query_params_v21/v273); others are 400 from 2.75. */
const SERVER_LIST_PARAMS = new Set([
  'user_id',
  'project_id',
  'tenant_id',
  'launch_index',
  'image_ref',
  'image',
  'kernel_id',
  'ramdisk_id',
  'hostname',
  'key_name',
  'power_state',
  'vm_state',
  'task_state',
  'host',
  'node',
  'flavor',
  'reservation_id',
  'launched_at',
  'terminated_at',
  'availability_zone',
  'name',
  'display_name',
  'description',
  'display_description',
  'locked_by',
  'uuid',
  'root_device_name',
  'config_drive',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'progress',
  'sort_key',
  'sort_dir',
  'all_tenants',
  'soft_deleted',
  'deleted',
  'status',
  'changes-since',
  'changes-before',
  'ip',
  'ip6',
  'created_at',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  'limit',
  'marker',
  'locked',
  'pinned_availability_zone',
]);

function parseAllTenants(q: URLSearchParams): boolean {
  const raw = q.get('all_tenants');
  if (raw === null) return false;
  const s = raw.toLowerCase();
  if (s === '' || ['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw new NovaError(
    400,
    `Invalid input for query parameters all_tenants. Value: ${raw}. '${raw}' is not one of ['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no']`,
  );
}

/** `limit` is a query-schema pattern (parameter_types.non_negative_integer), checked before the code sees it. */
function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (raw === '') throw new NovaError(400, "Invalid input for query parameters limit. Value: . '' is too short");
  if (!/^[0-9]*$/.test(raw))
    throw new NovaError(
      400,
      `Invalid input for query parameters limit. Value: ${raw}. '${raw}' does not match '^[0-9]*$'`,
    );
  return Number(raw);
}

/** nova's hostId: sha224(project_id + host), hex. */
function hostId(host: string, projectId: string): string {
  return createHash('sha224')
    .update(projectId + host)
    .digest('hex');
}

/**
 * ConsoleAuthToken.access_url (nova/objects/console_auth_token.py): the token is
 * added as `token`, except for noVNC, where it goes inside the `path` parameter
 * (`?path=%3Ftoken%3D<token>`; an existing path is kept and `?token=` appended).
 */
export function accessUrl(base: string, type: ConsoleType, token: string): string {
  const u = new URL(base);
  if (type === 'novnc') {
    const path = u.searchParams.get('path') ?? '';
    u.searchParams.set('path', `${path}?token=${token}`);
  } else {
    u.searchParams.set('token', token);
  }
  return u.toString();
}
