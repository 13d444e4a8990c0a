/**
 * Which proxy a request goes through: this is the one place that decides, from
 * http_proxy/https_proxy/no_proxy (either case), with the rules curl and
 * Python's requests share:
 * - the proxy is chosen by the target's scheme: https_proxy for https URLs,
 *   http_proxy for http ones (no cross-over: curl's and requests' behaviour);
 *   the lower-case variable wins (urllib.request getproxies_environment);
 * - a proxy without a scheme is http:// (requests prepend_scheme_if_needed,
 *   curl's default proxy type);
 * - no_proxy entries are separated by commas or white space, compared without
 *   case; `*` alone bypasses every host; a name matches itself and its
 *   subdomains (a leading `.` or `*.` is dropped); `host:port` matches that
 *   port only; an IP target matches an equal address or a CIDR block
 *   (`10.0.0.0/8`, `::1/128`), never a name suffix (curl noproxy.c, requests
 *   utils.should_bypass_proxies). Names are not resolved to match CIDR blocks.
 */
import { BlockList, isIP } from 'node:net';
import type { Env } from '../deps.js';
import { OsconsoleError } from '../errors.js';
import { redactUserinfo } from './redact.js';

export interface ProxyChoice {
  /** The proxy URL, with its scheme. */
  url: string;
  /** The variable that set it, as spelled in the environment (`HTTPS_PROXY`, `https_proxy`). */
  variable: string;
}

/** The proxy for a request to `target`, or undefined to connect directly. */
export function proxyFor(target: string, env: Env): ProxyChoice | undefined {
  const u = new URL(target);
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const proxy = lookup(env, `${scheme}_proxy`);
  if (!proxy) return undefined;
  const noProxy = lookup(env, 'no_proxy');
  if (noProxy && bypassesProxy(u, noProxy.value)) return undefined;
  return { url: proxyUrl(proxy.value, proxy.name), variable: proxy.name };
}

/** The lower-case variable, else the upper-case one; empty counts as unset. */
function lookup(env: Env, lower: string): { name: string; value: string } | undefined {
  for (const name of [lower, lower.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function proxyUrl(value: string, variable: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new OsconsoleError('E_USAGE', `${variable} is not a valid proxy URL: ${redactUserinfo(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new OsconsoleError(
      'E_USAGE',
      `${variable} uses ${u.protocol.slice(0, -1)}, which osconsole does not support; use an http:// or https:// proxy`,
    );
  }
  return withScheme;
}

/** True when a no_proxy value exempts the target URL. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const family = isIP(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (family !== 0 && inBlock(host, family, entry)) return true;
      continue;
    }
    const [name, entryPort] = splitHostPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (family !== 0) {
      if (inBlock(host, family, `${name}/${family === 4 ? 32 : 128}`)) return true;
      continue;
    }
    const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
    if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

/** `host:port`, `[v6]:port`, a bare IPv6 address (several colons) or a bare host. */
function splitHostPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1]!, bracketed[2]];
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [name, port] = entry.split(':') as [string, string];
    return /^\d+$/.test(port) ? [name, port] : [entry, undefined];
  }
  return [entry, undefined];
}

/** Whether an address lies in `net/prefix`; malformed entries match nothing (curl ignores them too). */
function inBlock(host: string, family: number, cidr: string): boolean {
  const [net = '', bits = ''] = cidr.split('/');
  const address = net.replace(/^\[(.*)\]$/, '$1');
  const prefix = Number(bits);
  if (isIP(address) !== family || !/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return list.check(host, type);
}
