/**
 * `console view`: which console a native viewer gets, and the spice-direct
 * connection file for it.
 *
 * spice-direct (compute 2.99) hands out the URL of a spice-direct proxy such as
 * Kerbside; a GET of it, with no credentials, answers a virt-viewer file
 * (200 application/x-virt-viewer) whose password is the proxy's own ticket.
 * Kerbside (kerbside/api.py NovaToken, error bodies {"error", "status"}): 401
 * "token absent", 404 "nova token not found"; it serves /nova-console.vv only,
 * so a base URL left at Nova's default (…/nova) gets a plain 404.
 * `--direct` skips the proxy: the file is built from the token lookup
 * (GET /os-console-auth-tokens, admins), the hypervisor's own host and
 * ports; nova sets no SPICE password there.
 *
 * The core prints nothing and launches nothing: it returns the file's text.
 */
import type { Selection } from '../config/resolve.js';
import { OsconsoleError } from '../errors.js';
import { httpError } from '../http/client.js';
import { redactUrl } from '../http/redact.js';
import { quoted } from '../text.js';
import type { ConsoleConnection } from '../openstack/compute.js';
import { VvError, formatVv, parseVv, redactVv, vvEntries } from '../viewer/vv.js';
import { ComputeSession } from './compute-session.js';
import { withLoopbackHint } from './console-url.js';
import type { ConsoleResult } from './console.js';
import { consoleOnce, tokenConnection, waitingFor } from './console.js';
import type { Interaction, Runtime } from './runtime.js';
import type { ServerRef } from './servers.js';
import { checkServerArgument, resolveServer, serverLabel } from './servers.js';
import type { WaitProgress } from './wait.js';

export type ViewType = 'auto' | 'spice-direct' | 'novnc';
export const VIEW_TYPES: ViewType[] = ['auto', 'spice-direct', 'novnc'];

export interface ViewRequest {
  server: string;
  allProjects: boolean;
  type: ViewType;
  /** Build the file from the token lookup (the hypervisor's address), not the proxy's. */
  direct: boolean;
  /** PEM of the CA that signed the hypervisor's SPICE TLS certificate (--direct). */
  spiceCa?: string;
  wait?: { timeoutMs: number; onProgress?: (p: WaitProgress) => void };
}

/** The session and the server, so a fallback to the VNC tunnel does not log in or look up twice. */
export interface Resolved {
  cs: ComputeSession;
  server: ServerRef;
}

export type ViewPlan =
  { kind: 'spice'; resolved: Resolved; vv: string; url: string; direct: boolean } | { kind: 'vnc'; resolved: Resolved };

export async function planView(rt: Runtime, sel: Selection, req: ViewRequest, talk: Interaction): Promise<ViewPlan> {
  checkServerArgument(req.server);
  const cs = await ComputeSession.open(rt, sel, talk.notify);
  const server = await resolveServer(cs, req.server, req.allProjects, talk.prompter);
  const resolved = { cs, server };
  if (req.type === 'novnc') return { kind: 'vnc', resolved };
  let console: Omit<ConsoleResult, 'warnings'>;
  try {
    console = await waitingFor(cs, server, req.wait, () =>
      consoleOnce(cs, server, 'spice-direct', req.type === 'auto'),
    );
  } catch (err) {
    if (req.type !== 'auto' || !(err instanceof OsconsoleError) || err.code !== 'E_UNSUPPORTED') throw err;
    rt.debug(`view: no spice-direct console (${err.message}); using the VNC tunnel`);
    return { kind: 'vnc', resolved };
  }
  const vv = req.direct
    ? directFile(server, await tokenConnection(cs, console.url), req.spiceCa)
    : await fetchProxyFile(cs, console);
  rt.debug(`virt-viewer file:\n${redactVv(vv).trimEnd()}`);
  return { kind: 'spice', resolved, vv, url: console.url, direct: req.direct };
}

/** GET the spice-direct URL (no credentials: the token in it is the credential) and check the file. */
async function fetchProxyFile(cs: ComputeSession, console: Omit<ConsoleResult, 'warnings'>): Promise<string> {
  const where = redactUrl(console.url);
  const res = await cs.http
    .request({
      method: 'GET',
      url: console.url,
      headers: { Accept: 'application/x-virt-viewer' },
      accept: [401, 403, 404],
    })
    .catch((err: unknown) => {
      throw withLoopbackHint(err, console);
    });
  if (res.status !== 200) throw proxyRefusal(res.status, res, where);
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/x-virt-viewer\b/i.test(type))
    cs.warnings.push(`the spice-direct proxy answered ${type || 'no Content-Type'}, not application/x-virt-viewer`);
  try {
    checkFile(res.text);
  } catch (err) {
    if (!(err instanceof VvError)) throw err;
    throw new OsconsoleError(
      'E_UNEXPECTED',
      `the spice-direct proxy at ${where} did not answer a virt-viewer file: ${err.message}`,
    );
  }
  return res.text.endsWith('\n') ? res.text : `${res.text}\n`;
}

/** A file we pass on: parseable by remote-viewer, a SPICE connection, and no control characters. */
function checkFile(text: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) throw new VvError('it holds control characters');
  const type = vvEntries(parseVv(text)).get('type');
  if (type !== 'spice') throw new VvError(`its type is ${JSON.stringify(type)}, not spice`);
}

function proxyRefusal(status: number, res: Parameters<typeof httpError>[0], where: string): OsconsoleError {
  const said = kerbsideError(res.text);
  const cause = httpError(res);
  if (status === 404 && said === undefined && /\/nova\/?$/.test(new URL(res.url).pathname))
    return new OsconsoleError('E_NOT_FOUND', `the spice-direct proxy has no page at ${where} (404)`, {
      cause,
      hint: "Kerbside serves /nova-console.vv: nova.conf [spice] spice_direct_proxy_base_url still has Nova's default …/nova",
    });
  if (status === 404)
    return new OsconsoleError(
      'E_NOT_FOUND',
      `the spice-direct proxy does not know this console token (404${said ? ` ${quoted(said, 80)}` : ''})`,
      { cause, hint: 'the token may have expired, or the proxy checks tokens against another cloud' },
    );
  return new OsconsoleError(
    status === 403 ? 'E_FORBIDDEN' : 'E_NOT_FOUND',
    `the spice-direct proxy refused the request (${status}${said ? ` ${quoted(said, 80)}` : ''})`,
    { cause },
  );
}

/** Kerbside's error body: {"error": "...", "status": N} (shakenfist_utilities api.error). */
function kerbsideError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/** --direct: the hypervisor's SPICE ports from the token lookup; `ca` when TLS is in play. */
export function directFile(server: ServerRef, c: ConsoleConnection, ca?: string): string {
  if (!c.host || (c.port == null && c.tls_port == null))
    throw new OsconsoleError('E_UNEXPECTED', 'the console token lookup gave no SPICE host and port');
  return formatVv([
    ['type', 'spice'],
    ['host', c.host],
    ['port', c.port ?? undefined],
    ['tls-port', c.tls_port ?? undefined],
    ['ca', ca],
    ['title', `${serverLabel(server)} (direct)`],
  ]);
}
