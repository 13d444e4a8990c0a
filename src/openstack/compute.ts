/**
 * Nova calls osconsole makes, each one request (no hidden lookups):
 * the version document, the server list with a name filter, remote consoles
 * (2.6+) and the legacy os-get*Console actions (2.1–2.5), and console auth
 * token lookup (2.31+). Facts: nova api-ref and doc/api_samples;
 * docs/facts/nova.md.
 *
 *   const range = await fetchVersionRange(http, { endpoint: 'https://h/compute/v2.1', projectId });
 *   const rc = await createRemoteConsole(http, { endpoint, token, serverId, protocol: 'vnc', type: 'novnc', microversion: '2.99' });
 *
 * Each call takes one options object (gophercloud's CreateOpts shape), so a
 * call site names what it passes and a new field is not a new position.
 */
import { OsconsoleError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { malformed } from '../http/client.js';
import { isObject } from '../http/service-errors.js';
import { joinUrl, queryString, urlPath } from '../http/url.js';
import type { Check } from './validate.js';
import {
  consoleUrl,
  httpUrl,
  list,
  matching,
  nullable,
  num,
  obj,
  optional,
  parseBody,
  parseWith,
  str,
} from './validate.js';

/** Where an authenticated compute call goes, and with which token. */
export interface ComputeCall {
  /** The compute endpoint from the catalog. */
  endpoint: string;
  token: string;
}

export interface RawRange {
  min: string;
  max: string;
}

/**
 * The compute API's microversion range, from its version document (no token
 * needed). A catalog URL ending in /<project_id> has it popped first, and a
 * versioned URL falls back to the root's version list (keystoneauth
 * EndpointData._get_discovery_url_choices, in fewer requests).
 */
export async function fetchVersionRange(
  http: HttpClient,
  { endpoint, projectId }: { endpoint: string; projectId?: string },
): Promise<RawRange> {
  const base = stripProjectId(endpoint, projectId);
  const versioned = /\/v\d+(\.\d+)?$/.test(new URL(base).pathname);
  const first = await tryGet(http, `${base}/`);
  const fromFirst = first && rangeFrom(first);
  if (fromFirst) return fromFirst;
  if (versioned) {
    const root = await tryGet(http, `${base.replace(/\/v\d+(\.\d+)?$/, '')}/`);
    const fromRoot = root && rangeFrom(root);
    if (fromRoot) return fromRoot;
  }
  const res = first ?? (await http.request({ method: 'GET', url: `${base}/` }));
  throw malformed(res, 'no compute version document (version, min_version) at this endpoint');
}

function stripProjectId(endpoint: string, projectId: string | undefined): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  if (projectId && trimmed.endsWith(`/${projectId}`)) return trimmed.slice(0, -projectId.length - 1);
  // Legacy %(tenant_id)s URLs without a known project id: pop a hex segment after a version.
  return trimmed.replace(/(\/v\d+(\.\d+)?)\/[0-9a-f]{32}$/, '$1');
}

async function tryGet(http: HttpClient, url: string): Promise<HttpResponse | undefined> {
  try {
    return await http.request({ method: 'GET', url, accept: [300] });
  } catch (err) {
    if (err instanceof OsconsoleError && err.code !== 'E_NETWORK') return undefined;
    throw err;
  }
}

/** `2.100`, or empty (no microversions: the v2.0 entry). nova api_version_request.py */
const MICROVERSION = matching(/^(\d+\.\d+)?$/, 'a microversion X.Y');

/**
 * {version: {version, min_version}} or {versions: [..., {id: v2.1, ...}]};
 * undefined when the body is no version document, an error when it is one
 * with versions that are not X.Y.
 */
function rangeFrom(res: HttpResponse): RawRange | undefined {
  const body = res.body;
  if (!isObject(body)) return undefined;
  const pick = (v: unknown, path: string): RawRange | undefined => {
    if (!isObject(v) || v.version === undefined) return undefined;
    const { version, min_version: minVersion } = parseWith(res, () =>
      obj({ version: MICROVERSION, min_version: optional(MICROVERSION) })(v, path),
    );
    const min = minVersion || '2.1';
    // An empty `version` means no microversions: only the base 2.1 behaviour.
    return { min, max: version || min };
  };
  if (isObject(body.version)) return pick(body.version, 'version');
  const key = Array.isArray(body.versions) ? 'versions' : Array.isArray(body.choices) ? 'choices' : undefined;
  const entries: unknown[] = key ? (body[key] as unknown[]) : [];
  let i = entries.findIndex((v) => isObject(v) && v.status === 'CURRENT');
  if (i < 0) i = entries.findIndex((v) => isObject(v) && v.id === 'v2.1');
  return i < 0 ? undefined : pick(entries[i], `${key}[${i}]`);
}

export interface ServerSummary {
  id: string;
  name: string;
  status: string;
  created: string;
  project_id?: string;
}

/**
 * GET /servers/detail?name=<regex>: Nova's name filter is an unanchored regular
 * expression, so callers pass an anchored, escaped pattern and still compare
 * names themselves. Follows `next` links (a page holds up to 1000).
 */
export interface ListServersOpts extends ComputeCall {
  /** A regular expression, as Nova takes it. */
  name?: string;
  allProjects?: boolean;
  /** Pages to follow at most (default 50). */
  maxPages?: number;
}

export async function listServers(http: HttpClient, opts: ListServersOpts): Promise<ServerSummary[]> {
  const { endpoint, token, maxPages = 50 } = opts;
  const out: ServerSummary[] = [];
  let url: string | undefined = joinUrl(
    endpoint,
    `servers/detail${queryString({ name: opts.name, all_tenants: opts.allProjects ? 1 : undefined })}`,
  );
  for (let page = 0; url && page < maxPages; page++) {
    const res: HttpResponse = await http.request({ method: 'GET', url, token });
    const body = parseWith(res, () => SERVER_PAGE(res.body, ''));
    for (const s of body.servers) {
      out.push({ id: s.id, name: s.name, status: s.status ?? '', created: s.created ?? '', project_id: s.tenant_id });
    }
    const i = (body.servers_links ?? []).findIndex((l) => l.rel === 'next');
    url =
      i < 0
        ? undefined
        : rebase(
            parseWith(res, () => httpUrl(body.servers_links?.[i]?.href, `servers_links[${i}].href`)),
            endpoint,
          );
  }
  return out;
}

/**
 * What osconsole reads of GET /servers/detail (nova api-ref: id, name, status,
 * created, tenant_id). No microversion is sent, so the name-less entries of
 * servers in a down cell (2.69+) never come: a server without a name is a fault.
 */
const SERVER_PAGE = obj({
  servers: list(obj({ id: str, name: str, status: optional(str), created: optional(str), tenant_id: optional(str) })),
  servers_links: optional(list(obj({ rel: optional(str), href: optional(str) }))),
});

/** Next links name Nova's own idea of its URL; keep the scheme, host and prefix we were given. */
function rebase(href: string, endpoint: string): string {
  const next = new URL(href);
  const ours = new URL(endpoint);
  const idx = next.pathname.indexOf('/servers');
  const path = idx >= 0 ? next.pathname.slice(idx) : next.pathname;
  return `${ours.origin}${ours.pathname.replace(/\/+$/, '')}${path}${next.search}`;
}

export interface ServerState {
  id: string;
  name: string;
  status: string;
  /** OS-EXT-STS:task_state (spawning, migrating, ...); absent when policy hides the extended attributes. */
  taskState: string | null;
  /** The fault of an ERROR server (message only). */
  fault?: string;
}

/** GET /servers/{id}: the server's status, for waiting until it can have a console (api-ref "Show Server Details"). */
export async function getServer(http: HttpClient, opts: ComputeCall & { serverId: string }): Promise<ServerState> {
  const res = await http.request({
    method: 'GET',
    url: joinUrl(opts.endpoint, urlPath`servers/${opts.serverId}`),
    token: opts.token,
  });
  const s = parseBody(
    res,
    'server',
    obj({
      id: str,
      name: str,
      status: str,
      'OS-EXT-STS:task_state': optional(nullable(str)),
      fault: optional(obj({ message: optional(str) })),
    }),
  );
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    ...(s.fault?.message ? { fault: s.fault.message } : {}),
  };
}

export interface RemoteConsole {
  protocol: string;
  type: string;
  url: string;
}

export interface CreateRemoteConsoleOpts extends ComputeCall {
  serverId: string;
  protocol: string;
  type: string;
  microversion: string;
}

/** POST /servers/{id}/remote-consoles (2.6+). */
export async function createRemoteConsole(http: HttpClient, opts: CreateRemoteConsoleOpts): Promise<RemoteConsole> {
  const { endpoint, token, serverId, protocol, type, microversion } = opts;
  const res = await http.request({
    method: 'POST',
    url: joinUrl(endpoint, urlPath`servers/${serverId}/remote-consoles`),
    token,
    microversion: { service: 'compute', version: microversion },
    json: { remote_console: { protocol, type } },
  });
  const rc = parseBody(res, 'remote_console', obj({ protocol: optional(str), type: optional(str), url: consoleUrl }));
  return { protocol: rc.protocol ?? protocol, type: rc.type ?? type, url: rc.url };
}

export interface LegacyConsoleOpts extends ComputeCall {
  serverId: string;
  /** os-getVNCConsole, os-getSPICEConsole, ... */
  action: string;
  type: string;
  microversion: string;
}

/** POST /servers/{id}/action {"os-get*Console": {"type"}} (2.1–2.5 only). */
export async function legacyConsole(http: HttpClient, opts: LegacyConsoleOpts): Promise<{ type: string; url: string }> {
  const { endpoint, token, serverId, action, type, microversion } = opts;
  const res = await http.request({
    method: 'POST',
    url: joinUrl(endpoint, urlPath`servers/${serverId}/action`),
    token,
    microversion: { service: 'compute', version: microversion },
    json: { [action]: { type } },
  });
  const c = parseBody(res, 'console', obj({ type: optional(str), url: consoleUrl }));
  return { type: c.type ?? type, url: c.url };
}

export interface ConsoleOutputOpts extends ComputeCall {
  serverId: string;
  /** The last `length` elements of the log split at "\n"; undefined: all of it (nova compute/manager.py _tail_log). */
  length?: number;
}

/**
 * POST /servers/{id}/action {"os-getConsoleOutput": {"length"}} → {"output"}
 * (api-ref "Show Console Output"; any microversion, so none is sent).
 */
export async function getConsoleOutput(http: HttpClient, opts: ConsoleOutputOpts): Promise<string> {
  const { endpoint, token, serverId, length } = opts;
  const res = await http.request({
    method: 'POST',
    url: joinUrl(endpoint, urlPath`servers/${serverId}/action`),
    token,
    json: { 'os-getConsoleOutput': length === undefined ? {} : { length } },
  });
  return parseWith(res, () => str((isObject(res.body) ? res.body : {}).output, 'output'));
}

export interface ConsoleConnection {
  instance_uuid: string;
  host: string | null;
  port: number | null;
  tls_port?: number | null;
  internal_access_path: string | null;
}

/** GET /os-console-auth-tokens/{token} (2.31+; tls_port from 2.99 for spice-direct). */
export interface ConsoleConnectionOpts extends ComputeCall {
  /** The console's token (from its URL), not the session's. */
  consoleToken: string;
  microversion: string;
}

export async function getConsoleConnection(http: HttpClient, opts: ConsoleConnectionOpts): Promise<ConsoleConnection> {
  const { endpoint, token, consoleToken, microversion } = opts;
  const res = await http.request({
    method: 'GET',
    url: joinUrl(endpoint, urlPath`os-console-auth-tokens/${consoleToken}`),
    token,
    microversion: { service: 'compute', version: microversion },
  });
  parseBody(res, 'console', CONNECTION);
  // Nova's object as sent (inspect --json prints it whole), now known to have this shape.
  return (res.body as { console: ConsoleConnection }).console;
}

/** nova api-ref os-console-auth-tokens: host, port and internal_access_path may be null; tls_port from 2.99. */
const CONNECTION: Check<unknown> = obj({
  instance_uuid: str,
  host: nullable(str),
  port: nullable(num),
  tls_port: nullable(num),
  internal_access_path: nullable(str),
});
