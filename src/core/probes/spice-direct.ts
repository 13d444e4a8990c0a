/**
 * A spice-direct console: the proxy's virt-viewer file, then the SPICE
 * listener it names, as remote-viewer would reach it. The file is fetched
 * with no credentials (Kerbside's GET /nova-console.vv?token=, kerbside/api.py
 * NovaToken) and must hold a [virt-viewer] group with type=spice, a host and
 * a port or tls-port (virt-viewer src/virt-viewer-file.c). spice-gtk opens the
 * plain port first and moves to tls-port when the server answers the link
 * with NEED_SECURED (docs/facts/console-proxies.md §2; Kerbside's plain port
 * only ever answers that); TLS is verified against the file's `ca`, and
 * against `host-subject` instead of the host name when the file has one.
 * The password in the file is never sent, logged or shown: the probe stops at
 * the link reply, which comes before any ticket.
 */
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import type { HttpClient } from '../../http/client.js';
import { quoted } from '../../text.js';
import { VvError, parseVv, vvEntries } from '../../viewer/vv.js';
import { fetchPage } from './page.js';
import { NEED_SECURED, probeSpiceLink } from './spice.js';
import type { ProbeStep } from './steps.js';
import { failed, passed } from './steps.js';
import { openTcp } from './tcp.js';

interface Listener {
  host: string;
  port?: number;
  tlsPort?: number;
  ca?: string;
  hostSubject?: string;
}

export async function probeSpiceDirect(http: HttpClient, url: string, timeoutMs: number): Promise<ProbeStep[]> {
  const got = await fetchPage(http, url, 'file', 'application/x-virt-viewer');
  if (!got.step.ok) return [got.step];
  const file = readFile(got.body ?? '', got.headers?.['content-type'] ?? '', got.step.detail);
  if (!file.listener) return [file.step];
  return [file.step, ...(await connectAndLink(file.listener, timeoutMs))];
}

/** The file step: what the file names (never its password), or why it is not a usable file. */
function readFile(text: string, contentType: string, seen: string): { step: ProbeStep; listener?: Listener } {
  const bad = (why: string) =>
    failed('file', `${seen}, but ${why}`, { kind: 'protocol', expected: 'vv', got: quoted(contentType || 'no type') });
  let vv: Map<string, string>;
  try {
    vv = vvEntries(parseVv(text));
  } catch (err) {
    if (!(err instanceof VvError)) throw err;
    return { step: bad(`not a virt-viewer file (${err.message})`) };
  }
  const type = vv.get('type') ?? '';
  const host = vv.get('host') ?? '';
  const port = int(vv.get('port'));
  const tlsPort = int(vv.get('tls-port'));
  if (type !== 'spice') return { step: bad(`a virt-viewer file for ${quoted(type)}, not spice`) };
  if (!host || (!port && !tlsPort)) return { step: bad('the file names no host and port') };
  const keys = ['ca', 'host-subject', 'password'].filter((k) => vv.has(k));
  const listener: Listener = { host, port, tlsPort, ca: vv.get('ca'), hostSubject: vv.get('host-subject') };
  const ports = [port ? `port=${port}` : '', tlsPort ? `tls-port=${tlsPort}` : ''].filter(Boolean).join(' ');
  const detail = `${seen}, ${quoted(contentType, 60)}: type=spice host=${quoted(host, 60)} ${ports}${keys.length ? ` (with ${keys.join(', ')})` : ''}`;
  return { step: passed('file', detail), listener };
}

function int(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** The plain port, then TLS on NEED_SECURED (or TLS only, when the file names no plain port). */
async function connectAndLink(l: Listener, timeoutMs: number): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  if (l.port) {
    const plain = await session(l, l.port, false, timeoutMs);
    steps.push(plain.connect);
    if (!plain.link) return steps;
    if (plain.link.error !== NEED_SECURED || !l.tlsPort) return [...steps, plain.link.step];
  }
  const secure = await session(l, l.tlsPort as number, true, timeoutMs);
  steps.push(secure.connect);
  if (secure.link) steps.push(secure.link.step);
  return steps;
}

async function session(
  l: Listener,
  port: number,
  tls: boolean,
  timeoutMs: number,
): Promise<{ connect: ProbeStep; link?: Awaited<ReturnType<typeof probeSpiceLink>> }> {
  const where = `${l.host.includes(':') ? `[${l.host}]` : l.host}:${port}`;
  const name = tls ? 'tls' : 'connect';
  const opened = await openTcp({ host: l.host, port, timeoutMs, tls: tls ? tlsOptions(l) : undefined });
  if (opened.kind === 'failed')
    return {
      connect: failed(name, `cannot connect to ${where}${tls ? ' with TLS' : ''}: ${opened.failure.reason}`, {
        kind: 'connect',
        failure: opened.failure,
        host: where,
      }),
    };
  const verified = !tls ? '' : l.hostSubject ? ', certificate verified (host-subject)' : ', certificate verified';
  const ca = tls && l.ca ? " against the file's ca" : '';
  try {
    const link = await probeSpiceLink(opened.stream, timeoutMs, 'after connecting');
    const secured = !tls && link.error === NEED_SECURED && l.tlsPort ? ' (it answers NEED_SECURED: TLS next)' : '';
    return { connect: passed(name, `${tls ? 'TLS' : 'TCP'} ${where}${verified}${ca}${secured}`), link };
  } finally {
    await opened.stream.close();
  }
}

function tlsOptions(l: Listener) {
  return {
    ...(l.ca ? { ca: l.ca } : {}),
    // SNI takes host names only.
    ...(/^[\d.]+$|:/.test(l.host) ? {} : { servername: l.host }),
    checkServerIdentity: (host: string, cert: PeerCertificate) =>
      l.hostSubject ? subjectError(l.hostSubject, cert) : checkServerIdentity(host, cert),
  };
}

/** host-subject ("C=XX,O=Org,CN=name") against the certificate's subject, entry by entry. */
export function subjectMatches(hostSubject: string, subject: Record<string, string | string[] | undefined>): boolean {
  const want = hostSubject
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split('=').map((s) => s.trim()));
  const have = Object.entries(subject).flatMap(([k, v]) =>
    (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => `${k}=${x}`),
  );
  const wanted = want.map(([k, v]) => `${k}=${v ?? ''}`);
  return wanted.length === have.length && wanted.every((w) => have.includes(w));
}

function subjectError(hostSubject: string, cert: PeerCertificate): Error | undefined {
  if (subjectMatches(hostSubject, cert.subject as unknown as Record<string, string>)) return undefined;
  return Object.assign(new Error(`the certificate's subject is not the file's host-subject`), {
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
}
