/**
 * The HTTP core: every OpenStack call goes through HttpClient.request().
 *
 * It sets the User-Agent, the token and both compute microversion headers,
 * applies connect/response timeouts, TLS settings and HTTP(S)_PROXY/NO_PROXY,
 * always consumes the body (undici leaks connections otherwise), and turns
 * every non-2xx answer and every transport failure into an OsconsoleError.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { Agent, ProxyAgent } from './undici.js';
import { OsconsoleError, codeForHttpStatus } from '../errors.js';
import type { HttpErrorDetails } from '../errors.js';
import type { TlsFile } from '../config/settings.js';
import { USER_AGENT } from '../version.js';
import { redactHeaders, redactText, redactUrl, redactUserinfo } from './redact.js';
import type { ProxyChoice } from './proxy.js';
import { proxyFor } from './proxy.js';
import { isObject, serviceMessage, excerpt } from './service-errors.js';
import { hostOf } from './url.js';
import { DEFAULT_TIMEOUT_MS } from './defaults.js';

export { DEFAULT_TIMEOUT_MS };

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * TLS settings in their one shape: resolved by config/resolve.ts, stored as is
 * in the session cache, read here. `verify: false` is --insecure (callers warn
 * about it); a file setting not given is null (the cache file holds null).
 */
export type TlsOptions = { verify: boolean } & Record<TlsFile, string | null>;

/** Verify against the system's CAs, no client certificate. */
export const DEFAULT_TLS: Readonly<TlsOptions> = { verify: true, cacert: null, cert: null, key: null };

export interface HttpClientOptions {
  /** Connect and response timeouts, each, in milliseconds. */
  timeoutMs?: number;
  tls?: TlsOptions;
  /** Environment for HTTP_PROXY/HTTPS_PROXY/NO_PROXY (either case; see proxy.ts). */
  env?: Record<string, string | undefined>;
  userAgent?: string;
  /** Receives one line per debug message; requests and responses are redacted. */
  debug?: (line: string) => void;
  now?: () => number;
  /** Waits between tries; tests pass one that records instead of waiting real seconds. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Microversion {
  /** Service type as in the catalog, e.g. `compute`. */
  service: string;
  /** `X.Y` or `latest`. */
  version: string;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as X-Auth-Token. */
  token?: string;
  microversion?: Microversion;
  /** Serialised as the JSON request body. */
  json?: unknown;
  /** Statuses accepted besides 2xx (e.g. 300 from Keystone discovery, 401 with a receipt). */
  accept?: readonly number[];
  /**
   * When to try again: `safe` (default for GET/HEAD/DELETE, and the token
   * request) after a reset connection or a 502/503/504; `connect` (default for
   * other methods) only when the request never left (refused, unresolved,
   * connect timeout), since it may already have reached the service otherwise.
   */
  retry?: 'safe' | 'connect';
}

/** Tries per request, counting the first. */
export const MAX_TRIES = 3;
const RETRY_STATUSES = new Set([502, 503, 504]);
/** The request never reached the server: safe to send again whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** The connection broke; for idempotent requests, try again. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export interface HttpResponse<T = unknown> {
  method: HttpMethod;
  url: string;
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: T;
  text: string;
  durationMs: number;
}

/** Legacy spelling Nova accepts next to OpenStack-API-Version (nova wsgi.py). */
const LEGACY_MICROVERSION_HEADER: Record<string, string> = { compute: 'X-OpenStack-Nova-API-Version' };

export class HttpClient {
  /** One dispatcher per proxy URL; '' is the direct one. */
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly now: () => number;

  constructor(private readonly options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? USER_AGENT;
    this.now = options.now ?? Date.now;
  }

  /** Sends a request; resolves for 2xx (and `accept`ed statuses), throws OsconsoleError otherwise. */
  async request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    const mode =
      req.retry ?? (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' ? 'safe' : 'connect');
    const deadline = this.now() + this.timeoutMs;
    const proxy = proxyFor(req.url, this.options.env ?? {});
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse<T>;
      try {
        response = await this.send<T>(req, proxy);
      } catch (err) {
        const code = errorCode(err);
        const again = code !== undefined && (NOT_SENT.has(code) || (mode === 'safe' && BROKEN.has(code)));
        const wait = backoff(attempt);
        if (again && attempt < MAX_TRIES && this.now() + wait < deadline) {
          this.options.debug?.(
            `retrying ${req.method} ${redactUrl(req.url)} in ${wait} ms after ${code} (try ${attempt + 1} of ${MAX_TRIES})`,
          );
          await (this.options.sleep ?? sleep)(wait);
          continue;
        }
        throw transportError(err, req, this.timeoutMs, proxy);
      }
      if (isOk(response.status, req.accept)) {
        if (response.body === undefined && response.text.trim() !== '' && looksJson(response.headers)) {
          throw malformed(response, 'the body is not valid JSON');
        }
        return response;
      }
      if (mode === 'safe' && RETRY_STATUSES.has(response.status) && attempt < MAX_TRIES) {
        const wait = retryAfterMs(response.headers['retry-after'], this.now()) ?? backoff(attempt);
        if (this.now() + wait < deadline) {
          this.options.debug?.(
            `retrying ${req.method} ${redactUrl(req.url)} in ${wait} ms after ${response.status} (try ${attempt + 1} of ${MAX_TRIES})`,
          );
          await (this.options.sleep ?? sleep)(wait);
          continue;
        }
      }
      throw httpError(response);
    }
  }

  /** One exchange: send, read the whole body, log both sides. */
  private async send<T>(req: HttpRequest, proxy: ProxyChoice | undefined): Promise<HttpResponse<T>> {
    const headers = this.buildHeaders(req);
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
    this.logRequest(req, headers, proxy);
    const started = this.now();
    const u = new URL(req.url);
    const res = await this.dispatcherFor(proxy).request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: req.method,
      headers,
      body,
    });
    const text = await res.body.text();
    const response = parseResponse<T>(req, res, text, this.now() - started);
    this.logResponse(response);
    return response;
  }

  /**
   * The dispatcher for a websocket to `url` (ws/wss): the same TLS settings
   * and proxy choice as an http/https request to that host.
   */
  dispatcherForWebSocket(url: string): Dispatcher {
    const http = url.replace(/^ws(s?):/i, 'http$1:');
    return this.dispatcherFor(proxyFor(http, this.options.env ?? {}));
  }

  /** Closes pooled connections so the process can exit at once. */
  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.destroy()));
  }

  private buildHeaders(req: HttpRequest): Record<string, string> {
    const h: Record<string, string> = { 'User-Agent': this.userAgent, Accept: 'application/json' };
    if (req.json !== undefined) h['Content-Type'] = 'application/json';
    if (req.token) h['X-Auth-Token'] = req.token;
    if (req.microversion) {
      const { service, version } = req.microversion;
      h['OpenStack-API-Version'] = `${service} ${version}`;
      const legacy = LEGACY_MICROVERSION_HEADER[service];
      if (legacy) h[legacy] = version;
    }
    return { ...h, ...req.headers };
  }

  private dispatcherFor(proxy: ProxyChoice | undefined): Dispatcher {
    const key = proxy?.url ?? '';
    let d = this.dispatchers.get(key);
    if (!d) {
      d = createDispatcher(this.options, this.timeoutMs, proxy);
      this.dispatchers.set(key, d);
    }
    return d;
  }

  private logRequest(req: HttpRequest, headers: Record<string, string>, proxy: ProxyChoice | undefined): void {
    const debug = this.options.debug;
    if (!debug) return;
    debug(`→ ${req.method} ${redactUrl(req.url)}`);
    if (proxy) debug(`  via proxy ${redactUserinfo(proxy.url)} (${proxy.variable})`);
    for (const [k, v] of Object.entries(redactHeaders(headers))) debug(`  ${k}: ${v}`);
  }

  private logResponse(res: HttpResponse): void {
    const debug = this.options.debug;
    if (!debug) return;
    debug(`← ${statusLine(res.status)} ${res.method} ${redactUrl(res.url)} (${res.durationMs} ms)`);
    for (const [k, v] of Object.entries(redactHeaders(res.headers))) debug(`  ${k}: ${v}`);
  }
}

/** A direct agent, or one that tunnels through `proxy` (CONNECT, also for http targets). */
function createDispatcher(options: HttpClientOptions, timeoutMs: number, proxy: ProxyChoice | undefined): Dispatcher {
  const tls = readTls(options.tls ?? DEFAULT_TLS);
  const common = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 1_000 };
  if (!proxy) return new Agent({ ...common, connect: { timeout: timeoutMs, ...tls } });
  // The cloud's CA and client certificate apply to the tunnelled connection, not to the proxy.
  return new ProxyAgent({
    ...common,
    uri: proxy.url,
    proxyTls: { timeout: timeoutMs },
    requestTls: { timeout: timeoutMs, ...tls },
  });
}

function readTls(tls: TlsOptions): { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new OsconsoleError(
        'E_USAGE',
        `cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  };
  return {
    ...(tls.cacert ? { ca: read(tls.cacert, 'CA') } : {}),
    ...(tls.cert ? { cert: read(tls.cert, 'client certificate') } : {}),
    ...(tls.key ? { key: read(tls.key, 'client key') } : {}),
    ...(tls.verify ? {} : { rejectUnauthorized: false }),
  };
}

/** Exponential backoff with jitter: ~250 ms, ~500 ms, ... */
function backoff(attempt: number): number {
  return 250 * 2 ** (attempt - 1) + Math.floor(Math.random() * 100);
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isOk(status: number, accept: readonly number[] | undefined): boolean {
  return (status >= 200 && status < 300) || (accept?.includes(status) ?? false);
}

function looksJson(headers: Record<string, string>): boolean {
  return /\bjson\b/i.test(headers['content-type'] ?? '');
}

function parseResponse<T>(
  req: HttpRequest,
  res: Dispatcher.ResponseData,
  text: string,
  durationMs: number,
): HttpResponse<T> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  let body: unknown;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { method: req.method, url: req.url, status: res.statusCode, headers, body: body as T, text, durationMs };
}

/** `404 Not Found` */
export function statusLine(status: number): string {
  // Not `import … from 'node:http'`: on Node 22 and 24 an ES import of node:http evaluates its
  // lazy WebSocket/CloseEvent/MessageEvent getters, which load Node's own undici, http2, tls
  // (and its CA bundle): ~20 ms at every start. process.getBuiltinModule leaves them alone.
  const text = process.getBuiltinModule('node:http').STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}

export function requestIdOf(headers: Record<string, string>): string | undefined {
  return headers['x-openstack-request-id'] ?? headers['x-compute-request-id'];
}

function details(res: HttpResponse, message: string): HttpErrorDetails {
  return {
    method: res.method,
    url: res.url,
    status: res.status,
    message,
    requestId: requestIdOf(res.headers),
    headers: res.headers,
    body: res.body,
  };
}

/** `GET https://h/compute/v2.1/servers/x returned 404 Not Found: Instance x could not be found.` */
export function httpError(res: HttpResponse): OsconsoleError {
  const message = serviceMessage(res.body, res.text);
  const id = requestIdOf(res.headers);
  const line = `${res.method} ${redactUrl(res.url)} returned ${statusLine(res.status)}: ${redactText(message)}${id ? ` (request id ${id})` : ''}`;
  const after = res.headers['retry-after'];
  const hint = after
    ? `the service asks to retry after ${/^\d+$/.test(after.trim()) ? `${after.trim()} s` : after}`
    : undefined;
  return new OsconsoleError(codeForHttpStatus(res.status), line, { http: details(res, message), hint });
}

/** A 2xx whose body is not what the API documents: a proxy page, truncated JSON, the wrong shape. */
export function malformed(res: HttpResponse, what: string): OsconsoleError {
  const message = `${what} (${redactText(excerpt(res.text))})`;
  return new OsconsoleError(
    'E_UNEXPECTED',
    `${res.method} ${redactUrl(res.url)} returned ${statusLine(res.status)} with an unexpected body: ${message}`,
    { http: details(res, message) },
  );
}

/** Asserts that a response body is a JSON object with the given key; returns the value. */
export function expectObject(res: HttpResponse, key: string): Record<string, unknown> {
  const body = res.body;
  if (!isObject(body) || !isObject(body[key])) throw malformed(res, `expected a JSON object with "${key}"`);
  return body[key] as Record<string, unknown>;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Maps a transport failure to exit status 7 with the host and the phase that failed. */
export function transportError(err: unknown, req: HttpRequest, timeoutMs: number, proxy?: ProxyChoice): OsconsoleError {
  if (err instanceof OsconsoleError) return err;
  const host = hostOf(req.url);
  const code = errorCode(err);
  const secs = `${Math.round(timeoutMs / 100) / 10} s`;
  const what = `${req.method} ${redactUrl(req.url)}`;
  const mk = (message: string, hint?: string) => new OsconsoleError('E_NETWORK', message, { hint, cause: err });
  const viaProxy =
    proxy && proxyFailure(err, code, secs, `proxy ${redactUserinfo(proxy.url)} (set by ${proxy.variable})`, what);
  if (viaProxy) return mk(viaProxy, `check ${proxy.variable}, or list the host in NO_PROXY`);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return mk(`timed out after ${secs} connecting to ${host} (${what})`, 'check the network, or raise --timeout');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return mk(
        `timed out after ${secs} waiting for ${host} to answer ${what}`,
        'the service is slow or stuck; raise --timeout to wait longer',
      );
    case 'UND_ERR_BODY_TIMEOUT':
      return mk(
        `timed out after ${secs} reading the response body from ${host} (${what})`,
        'raise --timeout to wait longer',
      );
    case 'ECONNREFUSED':
      return mk(
        `connection refused by ${host} (${what})`,
        'check the auth URL and region, and that the service is running',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return mk(
        `cannot resolve host ${hostOf(req.url).replace(/:\d+$/, '')} (${what})`,
        'check the auth URL and region',
      );
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return mk(`connection to ${host} closed before a complete answer (${what})`);
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return mk(`the answer from ${host} was cut short (${what})`);
  }
  if (code && TLS_CODES.has(code)) {
    return mk(
      `TLS verification of ${host} failed: ${redactUserinfo(errorMessage(err))} (${code})`,
      'pass the CA bundle with --os-cacert or OS_CACERT, or use --insecure',
    );
  }
  return new OsconsoleError(
    'E_NETWORK',
    `request to ${host} failed: ${redactUserinfo(errorMessage(err))}${code ? ` (${code})` : ''} (${what})`,
    { cause: err },
  );
}

/**
 * A failure that happened at the proxy, not the target: with a proxy, the
 * socket undici opens is to the proxy, so refused/unresolved/timed-out
 * connects are the proxy's; a CONNECT answered with a non-200 status is too.
 */
function proxyFailure(
  err: unknown,
  code: string | undefined,
  secs: string,
  proxy: string,
  what: string,
): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${proxy} for ${what}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${proxy} for ${what}: cannot resolve the proxy's host`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `cannot connect to ${proxy} for ${what}: timed out after ${secs}`;
  }
  // undici proxy-agent.js: `Proxy response (${statusCode}) !== 200 when HTTP Tunneling`
  const status = /Proxy response \((\d+)\)/.exec(errorMessage(err))?.[1];
  return status ? `${proxy} answered ${statusLine(Number(status))} to the tunnel request for ${what}` : undefined;
}

/** The system or undici error code anywhere in an error's cause chain. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
