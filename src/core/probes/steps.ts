/**
 * What a probe saw, step by step, before `console check` explains it: each
 * failed step carries a machine-readable failure that core/check.ts maps to
 * a likely cause, a hint and an exit status. Details are for people and
 * already escaped where they quote the cloud or the console (text.ts quoted).
 */
import type { Received, StreamEnd } from '../../http/byte-stream.js';
import type { ConnectFailure } from '../../http/websocket.js';
import { quoted } from '../../text.js';

export type StepName =
  | 'page'
  | 'file'
  | 'websocket'
  | 'connect'
  | 'tls'
  | 'banner'
  | 'security'
  | 'desktop'
  | 'link'
  | 'stream'
  | 'origin'
  | 'token';

export type Failure =
  /** No connection, or no answer: refused, unresolved, TLS, a time-out. */
  | { kind: 'connect'; failure: ConnectFailure; host: string }
  /** An HTTP answer that is not the expected one (a page's 404, a 400 to the upgrade). */
  | { kind: 'status'; status: number; statusText: string; body: string; contentType: string }
  /** 101, but a subprotocol osconsole did not offer or cannot speak. */
  | { kind: 'subprotocol'; got: string }
  /** 101 with a wrong Sec-WebSocket-Accept: not a websocket server. */
  | { kind: 'not-websocket' }
  /** The stream ended before the protocol's answer: a close frame, or a connection that just dropped. */
  | { kind: 'ended'; end: StreamEnd; afterMs: number; bytes: number }
  /** Nothing (or not enough) arrived within the deadline, the connection still open. */
  | { kind: 'silent'; waitedMs: number; bytes: number }
  /** Bytes that are not the expected protocol (no "RFB " banner, no "REDQ" magic). */
  | { kind: 'protocol'; expected: 'rfb' | 'spice' | 'vv'; got: string }
  /** The VNC server offers no security type a viewer can use without a password. */
  | { kind: 'auth'; types: number[] }
  /** Refused inside the protocol: an RFB failure reason, a SPICE link error. */
  | { kind: 'refused'; protocol: 'rfb' | 'spice'; reason: string; code?: number }
  /** The token lookup: unknown to Nova, or a hypervisor address only the proxy's own host can reach. */
  | { kind: 'token'; problem: 'unknown' | 'loopback' | 'link-local'; host?: string; message?: string };

export interface ProbeStep {
  name: StepName;
  ok: boolean;
  /** What was seen: "101 Switching Protocols, subprotocol binary", "RFB 003.008", ... */
  detail: string;
  failure?: Failure;
}

export function passed(name: StepName, detail: string): ProbeStep {
  return { name, ok: true, detail };
}

export function failed(name: StepName, detail: string, failure: Failure): ProbeStep {
  return { name, ok: false, detail, failure };
}

/** "0.1 s" */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** How a stream ended, for a detail. */
export function describeEnd(end: StreamEnd): string {
  switch (end.kind) {
    case 'close':
      return `the proxy closed the websocket (${end.code ?? 'no code'}${end.reason ? ` ${quoted(end.reason)}` : ''})`;
    case 'eof':
      return 'the connection dropped with no close frame';
    case 'error':
      return end.code === 'ECONNRESET'
        ? 'the connection was reset with no close frame'
        : `the connection failed (${end.code ?? quoted(end.message)})`;
  }
}

/**
 * A read that fell short: the stream ended (how, and when after it opened)
 * or the deadline passed. `what` names what was awaited ("no banner").
 */
export function shortRead(name: StepName, r: Received, waitedMs: number, what: string, since: string): ProbeStep {
  if (r.end) {
    const after = r.endedAfterMs ?? 0;
    const got = r.bytes.length > 0 ? ` after ${r.bytes.length} bytes` : '';
    return failed(name, `${describeEnd(r.end)} ${seconds(after)} ${since}${got}: ${what}`, {
      kind: 'ended',
      end: r.end,
      afterMs: after,
      bytes: r.bytes.length,
    });
  }
  return failed(
    name,
    `${what} within ${seconds(waitedMs)} ${since}${r.bytes.length ? ` (${r.bytes.length} bytes)` : ''}`,
    {
      kind: 'silent',
      waitedMs,
      bytes: r.bytes.length,
    },
  );
}

/** Bytes from the wire as a short quoted string, controls escaped. */
export function quotedBytes(b: Buffer, max = 24): string {
  return quoted(b.toString('latin1'), max);
}
