/**
 * `console check`: probe a console end to end, step by step, and say what
 * the first failure most likely means. The probes (core/probes/) report what
 * they saw; this module plans them per console type and maps each failure to
 * a cause, a hint and an exit status. It prints nothing.
 *
 * Plans (facts: docs/facts/console-proxies.md; RFC 6143; spice/protocol.h):
 * - novnc: the page, the websocket noVNC would open (101, `binary`), the RFB
 *   banner, security type None, the ServerInit (the backend answers), then
 *   the same upgrade with the Origin a browser on that page sends;
 * - spice-html5: the page, the websocket, the SPICE link ("REDQ") reply,
 *   the browser's Origin;
 * - serial: the websocket, then the stream stays open or answers a "\r";
 * - spice-direct: the .vv file, a TCP (then TLS) connection to the host and
 *   port in it, the SPICE link;
 * - for admins, the token lookup: is the token valid, and is the address
 *   the proxy connects to one only its own host can reach.
 * nova checks the token, the Origin and the backend only after the 101, and
 * every refusal there drops the connection without a close frame (browsers
 * report 1006): osconsole sends no Origin, so a drop it sees is the token or
 * the backend, which the admin lookup tells apart; the Origin step shows
 * what a browser meets.
 */
import type { Selection } from '../config/resolve.js';
import { envValues, mergeLayers, resolveCloud, tlsOver } from '../config/resolve.js';
import type { ErrorCode } from '../errors.js';
import { OsconsoleError, usageError } from '../errors.js';
import type { ByteStream } from '../http/byte-stream.js';
import type { HttpClient, TlsOptions } from '../http/client.js';
import { DEFAULT_TLS } from '../http/client.js';
import type { ConsoleConnection } from '../openstack/compute.js';
import { CONSOLE_TYPES } from '../openstack/console-types.js';
import { probeWebSocket } from '../http/websocket.js';
import { redactUrl } from '../http/redact.js';
import { hostOf } from '../http/url.js';
import { quoted } from '../text.js';
import { ComputeSession } from './compute-session.js';
import { extractConsoleToken, hostKind, novncWebSocketUrl } from './console-url.js';
import { probeRfb } from './probes/rfb.js';
import { getConsole, inspectConsole } from './console.js';
import type { Interaction, Runtime } from './runtime.js';
import { fetchPage } from './probes/page.js';
import { probeSpiceDirect } from './probes/spice-direct.js';
import { probeSerial } from './probes/serial.js';
import { NEED_SECURED, probeSpiceLink } from './probes/spice.js';
import type { Failure, ProbeStep, StepName } from './probes/steps.js';
import { failed, passed, seconds } from './probes/steps.js';
import { upgradeStep } from './probes/upgrade.js';

export type CheckType = 'novnc' | 'spice-html5' | 'spice-direct' | 'serial';
export const CHECK_TYPES: readonly CheckType[] = ['novnc', 'spice-html5', 'spice-direct', 'serial'];
export type CheckChoice = CheckType | 'auto';

export interface CheckRequest {
  /** A server name or id, or a console URL. */
  target: string;
  /** Given with --type; a server's default is novnc, a URL's type follows from the URL. */
  type?: CheckChoice;
  allProjects: boolean;
}

export interface CheckStep {
  name: StepName;
  ok: boolean;
  detail: string;
  /** Failed steps: the likely cause, the next thing to try, the exit status's code. */
  cause?: string;
  hint?: string;
  code?: ErrorCode;
}

export interface CheckReport {
  /** The server as given, or the URL with its token hidden. */
  target: string;
  type: CheckType;
  server?: { id: string; name: string | null };
  ok: boolean;
  steps: CheckStep[];
  /** For stderr: skipped steps, warnings from the console request. */
  notes: string[];
}

/** What each console type's proxy is called and configured by (nova/conf/{vnc,spice,serial_console}.py). */
/** What a check's causes name: the proxy and its base URL option (CONSOLE_TYPES), what it connects to. */
const BACKEND: Record<CheckType, { backend: string; proxyclient: string }> = {
  novnc: { backend: "the hypervisor's VNC server", proxyclient: '[vnc] server_proxyclient_address' },
  'spice-html5': { backend: "the hypervisor's SPICE server", proxyclient: '[spice] server_proxyclient_address' },
  serial: {
    backend: "the server's serial port (a QEMU chardev socket)",
    proxyclient: '[serial_console] proxyclient_address',
  },
  'spice-direct': { backend: "the hypervisor's SPICE server", proxyclient: '[spice] server_proxyclient_address' },
};

const PROXY = Object.fromEntries(
  CHECK_TYPES.map((t) => {
    const { proxyService, confSection, baseUrlOption } = CONSOLE_TYPES[t];
    return [t, { service: proxyService, baseUrl: `nova.conf ${confSection} ${baseUrlOption}`, ...BACKEND[t] }];
  }),
) as Record<CheckType, { service: string; baseUrl: string; backend: string; proxyclient: string }>;

export type Target =
  { kind: 'server'; server: string; type: CheckChoice } | { kind: 'url'; url: string; type: CheckType; token: string };

/** A server, or a console URL and its type (exit 2 for a URL osconsole cannot probe). */
export function classifyTarget(target: string, type?: CheckChoice): Target {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target.trim())) return { kind: 'server', server: target, type: type ?? 'novnc' };
  let url: URL;
  try {
    url = new URL(target.trim());
  } catch {
    throw usageError('the console URL does not parse');
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['http', 'https', 'ws', 'wss'].includes(scheme))
    throw usageError(`cannot check a ${scheme}:// URL: console URLs are http(s) pages or ws(s) websockets`);
  const token = extractConsoleToken(url.toString());
  const asked = type === 'auto' ? undefined : type;
  const websocket = scheme === 'ws' || scheme === 'wss';
  const kind = asked ?? (websocket ? 'serial' : typeOfPage(url));
  if (!kind)
    throw usageError(
      `cannot tell the console type of ${url.protocol}//${url.host}${url.pathname}`,
      'pass --type novnc, spice-html5, spice-direct or serial',
    );
  if (websocket && kind === 'spice-direct') throw usageError('a spice-direct URL is http(s), not a websocket');
  if (!websocket && kind === 'serial') throw usageError('a serial console URL is a ws:// or wss:// websocket');
  return { kind: 'url', url: url.toString(), type: kind, token };
}

/** The type of an http(s) console URL, from nova's default page names and the spice-direct routes. */
function typeOfPage(url: URL): CheckType | undefined {
  const file = url.pathname.split('/').pop() ?? '';
  if (url.searchParams.has('path') || /^vnc(_lite|_auto)?\.html$/.test(file)) return 'novnc';
  if (/\.vv$/.test(file) || file === 'nova') return 'spice-direct';
  if (/^spice.*\.html$/.test(file)) return 'spice-html5';
  return undefined;
}

/**
 * spice-html5's spice_auto.html connects to ws(s)://HOST:PORT from its `host`
 * and `port` parameters or the page's own, and hands nova the token as a
 * `token` cookie; nova reads `?token=` first, then that cookie
 * (nova/console/websocketproxy.py), so the probe puts it in the query.
 */
export function spiceHtml5WebSocketUrl(pageUrl: string, token: string): string {
  const page = new URL(pageUrl);
  const host = page.searchParams.get('host') || page.hostname;
  const port = page.searchParams.get('port') || page.port;
  const ws = new URL(
    `${page.protocol === 'https:' ? 'wss' : 'ws'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}`,
  );
  if (port) ws.port = port;
  ws.searchParams.set('token', token);
  return ws.toString();
}

export async function checkConsole(
  rt: Runtime,
  sel: Selection,
  req: CheckRequest,
  talk: Interaction,
): Promise<CheckReport> {
  const target = classifyTarget(req.target, req.type);
  const notes: string[] = [];
  let cs: ComputeSession | undefined;
  let url: string;
  let type: CheckType;
  let server: CheckReport['server'];
  let known: ConsoleConnection | null | undefined;
  if (target.kind === 'server') {
    const c = await getConsole(
      rt,
      sel,
      { server: target.server, type: target.type, allProjects: req.allProjects },
      talk,
    );
    if (!isCheckType(c.type))
      throw new OsconsoleError('E_UNSUPPORTED', `console check cannot probe ${c.type} consoles`, {
        hint: `try --type ${CHECK_TYPES.join(', ')}`,
      });
    notes.push(...c.warnings);
    cs = await ComputeSession.open(rt, sel, talk.notify);
    ({ url, type, server } = { url: c.url, type: c.type, server: c.server });
    known = c.connection;
  } else {
    ({ url, type } = target);
    cs = await sessionIfAny(rt, sel, talk, notes);
  }
  const http = cs?.http ?? (await rt.http({ tls: await tlsWithoutSession(rt, sel), timeoutMs: rt.timeoutMs }));
  const steps = await probe(type, url, { http, timeoutMs: rt.timeoutMs, debug: (l) => rt.debug(l) });
  const probesOk = steps.every((s) => s.ok);
  const lookup =
    cs && known !== null
      ? await tokenStep(rt, sel, talk, extractConsoleToken(url), known, { type, probesOk, api: cs.endpoint })
      : undefined;
  if (lookup?.note) notes.push(lookup.note);
  if (lookup?.step) steps.push(lookup.step);
  const context: ExplainContext = {
    type,
    url,
    api: cs?.endpoint,
    tokenValid: lookup?.valid,
    server: server !== undefined,
    timeoutMs: rt.timeoutMs,
  };
  const explained = steps.map((s) => explainStep(s, context));
  return {
    target: target.kind === 'server' ? target.server : redactUrl(url),
    type,
    ...(server ? { server } : {}),
    ok: explained.every((s) => s.ok),
    steps: explained,
    notes,
  };
}

function isCheckType(t: string): t is CheckType {
  return (CHECK_TYPES as readonly string[]).includes(t);
}

/** A URL needs no session: without one the probes run and the admin step is skipped. */
async function sessionIfAny(
  rt: Runtime,
  sel: Selection,
  talk: Interaction,
  notes: string[],
): Promise<ComputeSession | undefined> {
  try {
    return await ComputeSession.open(rt, sel, talk.notify);
  } catch (err) {
    if (!(err instanceof OsconsoleError)) throw err;
    if (err.code !== 'E_AUTH' && err.reason !== 'no-cloud-configured' && err.reason !== 'unknown-cloud') throw err;
    notes.push(`the token lookup needs a session (${err.message}); skipped`);
    return undefined;
  }
}

/** TLS settings with no session to take them from: the cloud's (clouds.yaml too), else flags over OS_*. */
async function tlsWithoutSession(rt: Runtime, sel: Selection): Promise<TlsOptions> {
  try {
    return (await resolveCloud({ ...rt.deps, ...sel, timeoutMs: rt.timeoutMs })).tls;
  } catch {
    const { values } = mergeLayers([
      ['env', envValues(rt.deps.env)],
      ['flag', sel.flags],
    ]);
    return tlsOver(values, rt.deps.cwd, DEFAULT_TLS);
  }
}

interface ProbeContext {
  http: HttpClient;
  timeoutMs: number;
  debug: (line: string) => void;
}

async function probe(type: CheckType, url: string, p: ProbeContext): Promise<ProbeStep[]> {
  switch (type) {
    case 'serial':
      return probeSocket(url, p, async (s) => [await probeSerial(s)]);
    case 'spice-html5':
      return probeSpiceHtml5(url, p);
    case 'novnc':
      return probeNovnc(url, p);
    case 'spice-direct':
      return probeSpiceDirect(p.http, url, p.timeoutMs);
  }
}

/** The page, the websocket noVNC's page would open, RFB to ServerInit; then again with the page's Origin. */
async function probeNovnc(url: string, p: ProbeContext): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const page = await fetchPage(p.http, url, 'page', 'text/html');
  steps.push(page.step);
  if (page.step.failure?.kind === 'connect') return steps;
  const ws = novncWebSocketUrl(url);
  steps.push(...(await probeSocket(ws, p, (s) => probeRfb(s, p.timeoutMs))));
  if (steps.every((s) => s.ok)) steps.push(await originStep(ws, url, p, (s) => probeRfb(s, p.timeoutMs)));
  return steps;
}

/** The page, the websocket, the link; then the link again with a browser's Origin. */
async function probeSpiceHtml5(url: string, p: ProbeContext): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const page = await fetchPage(p.http, url, 'page', 'text/html');
  steps.push(page.step);
  // The websocket is on the same host and port: it would fail the same way.
  if (page.step.failure?.kind === 'connect') return steps;
  const ws = spiceHtml5WebSocketUrl(url, extractConsoleToken(url));
  const link = async (s: ByteStream) => [(await probeSpiceLink(s, p.timeoutMs)).step];
  steps.push(...(await probeSocket(ws, p, link)));
  if (steps.every((s) => s.ok)) steps.push(await originStep(ws, url, p, link));
  return steps;
}

/**
 * The first exchange again, with the Origin a browser that loaded the page
 * sends: nova checks it against the Host header and [console]
 * allowed_origins after the 101, and drops the connection if it objects.
 */
async function originStep(
  ws: string,
  pageUrl: string,
  p: ProbeContext,
  talk: (s: ByteStream) => Promise<ProbeStep[]>,
): Promise<ProbeStep> {
  const origin = new URL(pageUrl).origin;
  const [up, first] = await probeSocket(ws, p, talk, origin);
  if (!up?.ok || !first) return up as ProbeStep;
  if (first.ok) return passed('origin', `the Origin a browser on the page sends (${origin}) is accepted`);
  return { ...first, name: 'origin', detail: `with Origin ${origin}: ${first.detail}` };
}

/** The upgrade, then `talk` over the open stream; the stream is closed after. */
async function probeSocket(
  url: string,
  p: ProbeContext,
  talk: (s: ByteStream) => Promise<ProbeStep[]>,
  origin?: string,
): Promise<ProbeStep[]> {
  const ws = await probeWebSocket(url, {
    dispatcher: p.http.dispatcherForWebSocket(url),
    timeoutMs: p.timeoutMs,
    debug: p.debug,
    origin,
  });
  const step = upgradeStep(origin ? 'origin' : 'websocket', ws, url, origin);
  if (ws.kind !== 'open') return [step];
  try {
    return step.ok ? [step, ...(await talk(ws.stream))] : [step];
  } finally {
    await ws.stream.close();
  }
}

interface TokenOutcome {
  step?: ProbeStep;
  note?: string;
  /** Nova knows the token (true), does not (false), or the lookup was not made. */
  valid?: boolean;
}

/** Step 4, for admins: the token lookup; a 403 skips it with a note. */
async function tokenStep(
  rt: Runtime,
  sel: Selection,
  talk: Interaction,
  token: string,
  known: ConsoleConnection | undefined,
  ctx: { type: CheckType; probesOk: boolean; api: string },
): Promise<TokenOutcome> {
  let c: ConsoleConnection;
  try {
    c = known ?? (await inspectConsole(rt, sel, token, talk.notify)).connection;
  } catch (err) {
    if (!(err instanceof OsconsoleError)) throw err;
    if (err.code === 'E_FORBIDDEN')
      return { note: 'the token lookup (GET /os-console-auth-tokens) is for admins; skipped' };
    if (err.code === 'E_NOT_FOUND')
      return {
        valid: false,
        step: failed('token', 'Nova does not know this console token', {
          kind: 'token',
          problem: 'unknown',
          message: err.http?.message,
        }),
      };
    return { note: `the token lookup failed (${err.message}); skipped` };
  }
  const where = `${c.host ?? '(no host)'}:${c.port ?? '?'}${c.tls_port ? ` (tls_port ${c.tls_port})` : ''}`;
  const kind = hostKind(c.host ?? '');
  const remoteApi = hostKind(new URL(ctx.api).hostname) === 'other';
  const detail = `valid; the proxy connects to ${where}, ${PROXY[ctx.type].backend}`;
  if (kind !== 'other' && remoteApi && c.host) {
    if (ctx.probesOk)
      return { valid: true, step: passed('token', `${detail} (${kind}: the proxy runs on the compute host)`) };
    return {
      valid: true,
      step: failed('token', `${detail}: a ${kind} address`, { kind: 'token', problem: kind, host: c.host }),
    };
  }
  return { valid: true, step: passed('token', detail) };
}

interface ExplainContext {
  type: CheckType;
  url: string;
  /** The compute endpoint, when there is a session. */
  api?: string;
  tokenValid?: boolean;
  /** The console was made by this run (a fresh token), rather than given as a URL. */
  server: boolean;
  timeoutMs: number;
}

/** A failed step gets its likely cause, a hint and an exit code; a passed one is as it was. */
export function explainStep(step: ProbeStep, ctx: ExplainContext): CheckStep {
  const { failure, ...rest } = step;
  if (step.ok || !failure) return rest;
  const e = explain(step.name, failure, ctx);
  return { ...rest, cause: e.cause, ...(e.hint ? { hint: e.hint } : {}), code: e.code };
}

interface Explanation {
  cause: string;
  hint?: string;
  code: ErrorCode;
}

function explain(name: StepName, f: Failure, ctx: ExplainContext): Explanation {
  const proxy = PROXY[ctx.type];
  switch (f.kind) {
    case 'connect':
      return connectCause(name, f, ctx);
    case 'status':
      return statusCause(name, f, ctx);
    case 'subprotocol':
      return {
        cause: `the proxy chose the subprotocol ${quoted(f.got)}; osconsole speaks binary frames only`,
        hint: 'a websockify older than 0.9 wants base64: the proxy needs upgrading',
        code: 'E_NETWORK',
      };
    case 'not-websocket':
      return {
        cause: 'something in front of the proxy answered the upgrade without being a websocket server',
        hint: `check what listens at ${hostOf(ctx.url)}`,
        code: 'E_NETWORK',
      };
    case 'ended':
      return endedCause(name, f, ctx);
    case 'silent':
      return {
        cause: `the proxy accepted the connection, but ${proxy.backend} said nothing within ${seconds(f.waitedMs)}`,
        hint: `a firewall between the proxy and the hypervisor may drop the packets; raise --timeout if the cloud is slow`,
        code: 'E_NETWORK',
      };
    case 'protocol':
      return {
        cause:
          f.expected === 'rfb'
            ? `the backend behind the proxy is not a VNC server: the token's host and port point at another service`
            : f.expected === 'spice'
              ? `the backend is not a SPICE server: the token's host and port point at another service`
              : `the spice-direct proxy did not return a usable virt-viewer file`,
        hint:
          f.expected === 'vv'
            ? `${proxy.baseUrl} should name the proxy's …/nova-console.vv`
            : `the compute host's ${proxy.proxyclient} and the hypervisor's console port decide where the proxy connects`,
        code: 'E_NETWORK',
      };
    case 'auth':
      return {
        cause: `the VNC server wants a password or encryption, and no security type None is offered: nova's RFB security proxy offers None to viewers, so this is not nova's proxy, or it is bypassed`,
        code: 'E_NETWORK',
      };
    case 'refused':
      return refusedCause(f, ctx);
    case 'token':
      return tokenCause(f, ctx);
  }
}

function connectCause(name: StepName, f: Extract<Failure, { kind: 'connect' }>, ctx: ExplainContext): Explanation {
  if (name === 'connect' || name === 'tls') return listenerCause(name, f);
  const proxy = PROXY[ctx.type];
  const local = consoleHostIsLocal(ctx);
  if (local)
    return {
      cause: `the console URL points at ${f.host}, ${local}, reachable only from the cloud's own hosts`,
      hint: `the operator should set ${proxy.baseUrl} to the proxy's public address`,
      code: 'E_NETWORK',
    };
  const { failure } = f;
  if (failure.tls)
    return {
      cause: `TLS to ${f.host} failed: ${failure.reason}`,
      hint: 'pass the CA bundle with --os-cacert (or OS_CACERT), or --insecure',
      code: 'E_NETWORK',
    };
  if (failure.code === 'ECONNREFUSED')
    return {
      cause: `nothing listens at ${f.host}: ${proxy.service} is down, or ${proxy.baseUrl} names the wrong host or port`,
      hint: `start ${proxy.service} there, or correct ${proxy.baseUrl}`,
      code: 'E_NETWORK',
    };
  if (failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN')
    return {
      cause: `the host name in the console URL does not resolve here`,
      hint: `${proxy.baseUrl} should name a host users can resolve`,
      code: 'E_NETWORK',
    };
  if (failure.timedOut)
    return {
      cause: `no answer from ${f.host} (${failure.reason}): a firewall drops the packets, or the proxy is stuck`,
      hint: 'check the network path to the proxy; raise --timeout if it is only slow',
      code: 'E_NETWORK',
    };
  return { cause: `the connection to ${f.host} failed: ${failure.reason}`, code: 'E_NETWORK' };
}

/**
 * The SPICE listener a spice-direct file names: the proxy's own public
 * address and ports (Kerbside's configuration), not anything in nova.conf.
 */
function listenerCause(name: StepName, f: Extract<Failure, { kind: 'connect' }>): Explanation {
  const { failure } = f;
  if (name === 'tls' && failure.tls)
    return {
      cause: `TLS to ${f.host} failed: ${failure.reason}`,
      hint: "the file's ca (or host-subject) must match the certificate of the proxy's TLS port: the spice-direct proxy's CA and certificate settings",
      code: 'E_NETWORK',
    };
  if (failure.code === 'ECONNREFUSED')
    return {
      cause: `nothing listens at ${f.host}, where the spice-direct proxy's file sends viewers: its SPICE listener is down, or the public address and ports it hands out are wrong`,
      hint: "check the spice-direct proxy's (Kerbside's) public host name and ports",
      code: 'E_NETWORK',
    };
  return {
    cause: `the viewer's connection to ${f.host}, named by the spice-direct proxy's file, failed: ${failure.reason}`,
    hint: failure.timedOut ? 'a firewall between here and the proxy may drop the packets' : undefined,
    code: 'E_NETWORK',
  };
}

/** "loopback" or "link-local" when the console URL is while the API is not: Nova's 127.0.0.1 defaults. */
function consoleHostIsLocal(ctx: ExplainContext): string | undefined {
  const kind = hostKind(new URL(ctx.url).hostname);
  if (kind === 'other' || !ctx.api) return undefined;
  return hostKind(new URL(ctx.api).hostname) === 'other' ? kind : undefined;
}

function statusCause(name: StepName, f: Extract<Failure, { kind: 'status' }>, ctx: ExplainContext): Explanation {
  const proxy = PROXY[ctx.type];
  if (name === 'file') return fileStatusCause(f, ctx);
  if (name === 'page') {
    const page = new URL(ctx.url).pathname;
    if (f.status === 404 && page.endsWith('/vnc_auto.html'))
      return {
        cause: 'noVNC 1.0 renamed vnc_auto.html to vnc_lite.html, and the proxy has no vnc_auto.html',
        hint: `the operator should point ${proxy.baseUrl} at .../vnc_lite.html`,
        code: 'E_NOT_FOUND',
      };
    if (f.status === 404)
      return {
        cause: `the proxy has no page ${page}: its web directory lacks it, or ${proxy.baseUrl} names the wrong page`,
        code: 'E_NOT_FOUND',
      };
    return { cause: `the proxy answered the page with ${f.statusText}`, code: 'E_NETWORK' };
  }
  if (f.status === 400 && /protocol/i.test(f.statusText))
    return {
      cause: `the proxy refused the websocket handshake (${quoted(f.statusText)}): it does not accept the subprotocol binary`,
      hint: 'a websockify older than 0.9 wants base64, which osconsole does not speak: the proxy needs upgrading',
      code: 'E_NETWORK',
    };
  if (f.status === 400)
    return {
      cause: `the proxy refused the websocket handshake${f.statusText ? ` (${quoted(f.statusText)})` : ''}`,
      hint: 'a reverse proxy in front may drop the Upgrade, Connection or Sec-WebSocket-* headers',
      code: 'E_NETWORK',
    };
  return {
    cause: `HTTP ${f.status} instead of a websocket: whatever answers at ${hostOf(ctx.url)} does not pass websocket upgrades to ${proxy.service}`,
    hint: 'a reverse proxy in front needs websocket support (Upgrade and Connection headers passed on)',
    code: 'E_NETWORK',
  };
}

/**
 * The spice-direct proxy's answers (kerbside/api.py NovaToken, error bodies
 * {"error", "status"}): 401 "token absent", 404 "nova token not found"; it
 * serves /nova-console.vv only, so Nova's default …/nova is a plain 404.
 */
function fileStatusCause(f: Extract<Failure, { kind: 'status' }>, ctx: ExplainContext): Explanation {
  const proxy = PROXY[ctx.type];
  const path = new URL(ctx.url).pathname;
  if (f.status === 404 && /nova token not found/.test(f.body))
    return {
      cause: `the spice-direct proxy does not know the console token: it expired ([consoleauth] token_ttl, 600 s by default), or the proxy checks tokens against another cloud`,
      hint: ctx.server ? undefined : 'get a fresh console URL: osconsole console get SERVER --type spice-direct',
      code: 'E_NOT_FOUND',
    };
  if (f.status === 404 && /\/nova\/?$/.test(path))
    return {
      cause: "Kerbside serves /nova-console.vv, and the console URL has Nova's default …/nova",
      hint: `the operator should set ${proxy.baseUrl} = http(s)://<kerbside>:13002/nova-console.vv`,
      code: 'E_NOT_FOUND',
    };
  if (f.status === 404) return { cause: `the spice-direct proxy has no page ${path}`, code: 'E_NOT_FOUND' };
  if (f.status === 401)
    return { cause: 'the spice-direct proxy saw no token in the URL ("token absent")', code: 'E_NETWORK' };
  return { cause: `the spice-direct proxy answered ${f.statusText}`, code: 'E_NETWORK' };
}

function endedCause(name: StepName, f: Extract<Failure, { kind: 'ended' }>, ctx: ExplainContext): Explanation {
  const proxy = PROXY[ctx.type];
  if (ctx.type === 'spice-direct')
    return {
      cause: `the spice-direct proxy closed the connection ${seconds(f.afterMs)} after it opened, without a SPICE link reply`,
      code: 'E_NETWORK',
    };
  if (f.end.kind === 'close') {
    if (f.end.code === 1003)
      return {
        cause: `the proxy refused a text frame (1003): websockify takes binary frames only`,
        code: 'E_NETWORK',
      };
    if (f.end.code === 1000 && /target closed/i.test(f.end.reason))
      return {
        cause: `${proxy.backend} closed the connection behind the proxy ("Target closed")`,
        hint: 'the server may have been migrated or deleted just now; check again',
        code: 'E_NETWORK',
      };
    return {
      cause: `the proxy closed the websocket (${f.end.code ?? 'no code'}${f.end.reason ? ` ${quoted(f.end.reason)}` : ''})`,
      code: 'E_NETWORK',
    };
  }
  if (name === 'origin')
    return {
      cause:
        "nova refuses the Origin a browser on this page sends (its host differs from the Host header the proxy sees, or its scheme from the console URL's): browsers report this as code 1006",
      hint: "add the page's host name to nova.conf [console] allowed_origins; behind a TLS-terminating proxy, have it set X-Forwarded-Proto",
      code: 'E_NETWORK',
    };
  if (f.bytes > 0 || (name !== 'banner' && name !== 'link' && name !== 'stream'))
    return {
      cause: `the connection dropped in the middle of the handshake with ${proxy.backend}`,
      hint:
        ctx.type === 'novnc'
          ? "nova's RFB security proxy needs the backend to speak RFB 3.8 and share an auth scheme ([vnc] auth_schemes)"
          : undefined,
      code: 'E_NETWORK',
    };
  // 101, then a drop with no close frame and no byte: nova refused the token or could not reach the backend.
  if (ctx.tokenValid === false)
    return {
      cause:
        'nova refused the console token after the upgrade: it expired ([consoleauth] token_ttl, 600 s by default) or was deleted (a live migration, the server deleted)',
      hint: ctx.server
        ? 'check again; if a fresh token fails too, give the operator the time of this attempt'
        : 'get a fresh console URL (osconsole console get SERVER) and check that',
      code: 'E_NETWORK',
    };
  if (ctx.tokenValid === true)
    return {
      cause: `the token is valid, but nova could not connect to ${proxy.backend} (the address in the token lookup)`,
      hint: `the compute host's ${proxy.proxyclient} must be an address the proxy's host can reach, and the hypervisor must listen there`,
      code: 'E_NETWORK',
    };
  return {
    cause: `the proxy dropped the connection ${seconds(f.afterMs)} after the upgrade with no close frame (what browsers report as 1006): nova refused the token (expired after 600 s, or deleted by a live migration) or could not reach ${proxy.backend}`,
    hint: ctx.server
      ? 'an admin running this check sees which (the token lookup)'
      : 'check a fresh console (osconsole console check SERVER); an admin sees which (the token lookup)',
    code: 'E_NETWORK',
  };
}

function refusedCause(f: Extract<Failure, { kind: 'refused' }>, ctx: ExplainContext): Explanation {
  if (f.protocol === 'rfb')
    return {
      cause: `the VNC server refused the session: ${quoted(f.reason, 80)}`,
      hint: "nova's RFB security proxy passes on the backend's refusal; see the hypervisor's VNC settings",
      code: 'E_NETWORK',
    };
  if (f.code === NEED_SECURED)
    return {
      cause: `the SPICE server accepts this channel over TLS only (NEED_SECURED)${ctx.type === 'spice-html5' ? ', and spice-html5 cannot speak TLS to it' : ''}`,
      hint:
        ctx.type === 'spice-html5'
          ? 'the hypervisor must allow plain-text SPICE on the main channel for spice-html5'
          : "the spice-direct proxy's file names no tls-port to move to",
      code: 'E_NETWORK',
    };
  return { cause: `the SPICE server refused the link: ${f.reason}`, code: 'E_NETWORK' };
}

function tokenCause(f: Extract<Failure, { kind: 'token' }>, ctx: ExplainContext): Explanation {
  const proxy = PROXY[ctx.type];
  if (f.problem === 'unknown')
    return {
      cause:
        'nova does not know the token: it expired ([consoleauth] token_ttl, 600 s by default) or was deleted (a live migration, the server deleted)',
      hint: ctx.server ? undefined : 'get a fresh console URL: osconsole console get SERVER',
      code: 'E_NOT_FOUND',
    };
  return {
    cause: `the proxy connects to ${f.host} (${f.problem}) while the compute API is elsewhere: ${proxy.proxyclient} on the compute host is left at its default, so the proxy connects to its own host`,
    hint: `set ${proxy.proxyclient} to the compute host's address on the management network`,
    code: 'E_NETWORK',
  };
}
