/**
 * Reading console URLs: pulling the token out of any URL Nova hands out, and
 * spotting URLs that will not work for the user.
 *
 * Token placement (nova/objects/console_auth_token.py access_url): `?token=`
 * for every type except noVNC, whose token sits inside the `path` parameter
 * (`?path=%3Ftoken%3D<token>`, or `?path=<prefix>%3Ftoken%3D<token>`).
 */
import { isIP } from 'node:net';
import { OsconsoleError, usageError } from '../errors.js';
import { errorCode } from '../http/client.js';
import type { ConsoleType } from '../openstack/console-types.js';
import { CONSOLE_TYPES } from '../openstack/console-types.js';

/** Nova's tokens are UUIDs; accept any plain token-like string, nothing with spaces or URL syntax. */
const BARE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._~-]{7,127}$/;

export function extractConsoleToken(input: string): string {
  const text = input.trim();
  if (BARE_TOKEN.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError('the argument is neither a console token nor a console URL');
  }
  const direct = url.searchParams.get('token');
  if (direct !== null) return checked(direct, text);
  const path = url.searchParams.get('path');
  if (path !== null) {
    const q = path.indexOf('?');
    const inner = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '').get('token');
    if (inner !== null) return checked(inner, text);
  }
  throw usageError(
    `no console token in the URL (${url.protocol}//${url.host}${url.pathname}): expected ?token=… or noVNC's ?path=%3Ftoken%3D…`,
  );
}

/** Messages never repeat the argument: it may hold a live console token. */
function checked(token: string, text: string): string {
  if (!BARE_TOKEN.test(token))
    throw usageError(`the console token in the URL is malformed (${text.length} characters given)`);
  return token;
}

/** True for 127.0.0.0/8, ::1, localhost, and link-local 169.254.0.0/16 and fe80::/10. */
export function hostKind(hostname: string): 'loopback' | 'link-local' | 'other' {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  const v = isIP(h);
  if (v === 4) {
    if (h.startsWith('127.')) return 'loopback';
    if (h.startsWith('169.254.')) return 'link-local';
  } else if (v === 6) {
    if (h === '::1') return 'loopback';
    if (/^fe[89ab][0-9a-f]:/.test(h)) return 'link-local';
  }
  return 'other';
}

/**
 * Warnings about a console URL users cannot open: a loopback or link-local
 * host (Nova's default base URLs are 127.0.0.1) when the API itself is
 * elsewhere, and noVNC's page renamed in noVNC 1.0 (vnc_auto.html → vnc_lite.html).
 */
export interface UrlWarning {
  text: string;
  /** Matters only to a person about to open the page, not to every scripted call. */
  forPerson: boolean;
}

export function consoleUrlWarnings(consoleUrl: string, apiUrl: string): UrlWarning[] {
  const out: UrlWarning[] = [];
  let u: URL;
  let api: URL;
  try {
    u = new URL(consoleUrl);
    api = new URL(apiUrl);
  } catch {
    return out;
  }
  const kind = hostKind(u.hostname);
  if (kind === 'link-local' || (kind === 'loopback' && u.hostname !== api.hostname)) {
    out.push({
      text: `the console URL points at ${u.host} (${kind}), reachable only from the cloud's own hosts; the operator should set the proxy base URL in nova.conf (e.g. [vnc] novncproxy_base_url) to a public address`,
      forPerson: false,
    });
  }
  if (/\/vnc_auto\.html$/.test(u.pathname)) {
    out.push({
      text: "the URL uses vnc_auto.html, which noVNC 1.0 renamed vnc_lite.html; if the page is missing, the cloud's [vnc] novncproxy_base_url needs updating",
      forPerson: true,
    });
  }
  return out;
}

/**
 * The websocket behind a noVNC page URL, built the way noVNC's pages build it
 * (noVNC 1.x vnc_lite.html and app/ui.js): scheme from the page (or its
 * `encrypt` parameter), `host` and `port` parameters over the page's own, then
 * "/" + the `path` parameter ("websockify" when absent). Nova puts the token
 * in `path` (?path=%3Ftoken%3D…), so it lands in the websocket's query.
 */
export function novncWebSocketUrl(pageUrl: string): string {
  const page = new URL(pageUrl);
  if (page.protocol !== 'http:' && page.protocol !== 'https:')
    throw usageError(`not a noVNC page URL (${page.protocol}//${page.host}${page.pathname})`);
  const q = page.searchParams;
  const encrypt = q.get('encrypt');
  const secure = encrypt === null ? page.protocol === 'https:' : /^(1|true|yes)$/i.test(encrypt);
  const host = q.get('host') || page.hostname;
  const port = q.get('port') ?? page.port;
  const bracketed = isIP(host.replace(/^\[|\]$/g, '')) === 6 && !host.startsWith('[') ? `[${host}]` : host;
  return `${secure ? 'wss' : 'ws'}://${bracketed}${port ? `:${port}` : ''}/${q.get('path') ?? 'websockify'}`;
}

/**
 * A network error reaching a console proxy names the proxy, not the auth URL:
 * when the URL is loopback while the API is not (Nova's default base URLs are
 * 127.0.0.1), it says so; when nothing answers there, it names the service
 * and the nova.conf option that points at it.
 */
export function withLoopbackHint(err: unknown, c: { type: ConsoleType; url: string; endpoint: string }): unknown {
  if (!(err instanceof OsconsoleError) || err.code !== 'E_NETWORK') return err;
  const { confSection, baseUrlOption, proxyService } = CONSOLE_TYPES[c.type];
  const [loopback] = consoleUrlWarnings(c.url, c.endpoint).filter((w) => !w.forPerson);
  if (loopback)
    return new OsconsoleError(
      'E_NETWORK',
      `${err.message}; the console URL points at ${new URL(c.url).host}, reachable only from the cloud's own hosts`,
      {
        hint: `the operator should set nova.conf ${confSection} ${baseUrlOption} to the proxy's public address`,
        cause: err,
      },
    );
  if (!UNREACHABLE.has(errorCode(err.cause) ?? '')) return err;
  return new OsconsoleError('E_NETWORK', err.message, {
    hint: `${proxyService} must be running there: nova.conf ${confSection} ${baseUrlOption} names it`,
    cause: err,
  });
}

/** Nothing listens there, or the name does not resolve: the base URL or the proxy is wrong. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
