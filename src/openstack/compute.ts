/**
 * Nova calls osconsole makes, each one request (no hidden lookups):
 * the version document, the server list with a name filter, remote consoles
 * (2.6+) and the legacy os-get*Console actions (2.1–2.5), and console auth
 * token lookup (2.31+). Facts: nova api-ref and doc/api_samples; nova.md.
 *
 *   const range = await fetchVersionRange(http, 'https://h/compute/v2.1', projectId);
 *   const rc = await createRemoteConsole(http, endpoint, token, id, 'vnc', 'novnc', '2.99');
 */
import { OsconsoleError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { expectObject, malformed } from '../http/client.js';
import { isObject } from '../http/service-errors.js';
import { joinUrl, queryString, urlPath } from '../http/url.js';

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
export async function fetchVersionRange(http: HttpClient, endpoint: string, projectId: string | undefined): Promise<RawRange> {
  const base = stripProjectId(endpoint, projectId);
  const versioned = /\/v\d+(\.\d+)?$/.test(new URL(base).pathname);
  const first = await tryGet(http, `${base}/`);
  const fromFirst = first && rangeFrom(first.body);
  if (fromFirst) return fromFirst;
  if (versioned) {
    const root = await tryGet(http, `${base.replace(/\/v\d+(\.\d+)?$/, '')}/`);
    const fromRoot = root && rangeFrom(root.body);
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

/** {version: {version, min_version}} or {versions: [..., {id: v2.1, ...}]}. */
function rangeFrom(body: unknown): RawRange | undefined {
  if (!isObject(body)) return undefined;
  const pick = (v: unknown): RawRange | undefined => {
    if (!isObject(v) || typeof v.version !== 'string') return undefined;
    const min = typeof v.min_version === 'string' && v.min_version ? v.min_version : '2.1';
    // An empty `version` means no microversions: only the base 2.1 behaviour.
    return { min, max: v.version || min };
  };
  if (isObject(body.version)) return pick(body.version);
  const list = Array.isArray(body.versions) ? body.versions : Array.isArray(body.choices) ? body.choices : [];
  const current = list.find((v) => isObject(v) && v.status === 'CURRENT') ?? list.find((v) => isObject(v) && v.id === 'v2.1');
  return pick(current);
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
export async function listServers(
  http: HttpClient,
  endpoint: string,
  token: string,
  query: { name?: string; allProjects?: boolean },
  maxPages = 50,
): Promise<ServerSummary[]> {
  const out: ServerSummary[] = [];
  let url: string | undefined = joinUrl(endpoint, `servers/detail${queryString({ name: query.name, all_tenants: query.allProjects ? 1 : undefined })}`);
  for (let page = 0; url && page < maxPages; page++) {
    const res: HttpResponse = await http.request({ method: 'GET', url, token });
    const body = res.body;
    if (!isObject(body) || !Array.isArray(body.servers)) throw malformed(res, 'expected a "servers" list');
    for (const s of body.servers) {
      if (isObject(s) && typeof s.id === 'string' && typeof s.name === 'string') {
        out.push({ id: s.id, name: s.name, status: String(s.status ?? ''), created: String(s.created ?? ''), project_id: typeof s.tenant_id === 'string' ? s.tenant_id : undefined });
      }
    }
    const next = Array.isArray(body.servers_links) ? body.servers_links.find((l) => isObject(l) && l.rel === 'next') : undefined;
    url = isObject(next) && typeof next.href === 'string' ? rebase(next.href, endpoint) : undefined;
  }
  return out;
}

/** Next links name Nova's own idea of its URL; keep the scheme, host and prefix we were given. */
function rebase(href: string, endpoint: string): string {
  const next = new URL(href);
  const ours = new URL(endpoint);
  const idx = next.pathname.indexOf('/servers');
  const path = idx >= 0 ? next.pathname.slice(idx) : next.pathname;
  return `${ours.origin}${ours.pathname.replace(/\/+$/, '')}${path}${next.search}`;
}

export interface RemoteConsole {
  protocol: string;
  type: string;
  url: string;
}

/** POST /servers/{id}/remote-consoles (2.6+). */
export async function createRemoteConsole(
  http: HttpClient,
  endpoint: string,
  token: string,
  serverId: string,
  protocol: string,
  type: string,
  microversion: string,
): Promise<RemoteConsole> {
  const res = await http.request({
    method: 'POST',
    url: joinUrl(endpoint, urlPath`servers/${serverId}/remote-consoles`),
    token,
    microversion: { service: 'compute', version: microversion },
    json: { remote_console: { protocol, type } },
  });
  const rc = expectObject(res, 'remote_console');
  if (typeof rc.url !== 'string') throw malformed(res, 'remote_console has no url');
  return { protocol: String(rc.protocol ?? protocol), type: String(rc.type ?? type), url: rc.url };
}

/** POST /servers/{id}/action {"os-get*Console": {"type"}} (2.1–2.5 only). */
export async function legacyConsole(
  http: HttpClient,
  endpoint: string,
  token: string,
  serverId: string,
  action: string,
  type: string,
  microversion: string,
): Promise<{ type: string; url: string }> {
  const res = await http.request({
    method: 'POST',
    url: joinUrl(endpoint, urlPath`servers/${serverId}/action`),
    token,
    microversion: { service: 'compute', version: microversion },
    json: { [action]: { type } },
  });
  const c = expectObject(res, 'console');
  if (typeof c.url !== 'string') throw malformed(res, 'console has no url');
  return { type: String(c.type ?? type), url: c.url };
}

export interface ConsoleConnection {
  instance_uuid: string;
  host: string | null;
  port: number | null;
  tls_port?: number | null;
  internal_access_path: string | null;
}

/** GET /os-console-auth-tokens/{token} (2.31+; tls_port from 2.99 for spice-direct). */
export async function getConsoleConnection(http: HttpClient, endpoint: string, token: string, consoleToken: string, microversion: string): Promise<ConsoleConnection> {
  const res = await http.request({
    method: 'GET',
    url: joinUrl(endpoint, urlPath`os-console-auth-tokens/${consoleToken}`),
    token,
    microversion: { service: 'compute', version: microversion },
  });
  const c = expectObject(res, 'console');
  if (typeof c.instance_uuid !== 'string') throw malformed(res, 'console has no instance_uuid');
  return c as unknown as ConsoleConnection;
}
