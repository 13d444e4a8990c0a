/**
 * The simulator's small HTTP toolkit: a parsed request, a response value that
 * handlers return (so fault injection can rewrite or cut it before it is sent),
 * and helpers for the JSON and error bodies OpenStack services send.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface SimRequest {
  method: string;
  /** Path without the query string, percent-decoding NOT applied. */
  path: string;
  /** The query string as sent, with the leading `?`, or ''. */
  search: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Raw body text. */
  text: string;
  /** The simulator's base URL (scheme://host:port), to build links. */
  base: string;
  raw: IncomingMessage;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Set by a service's router when no route matched (never sent): tests fail on it unless they expect it. */
  unknownRoute?: boolean;
}

/** Marks a response as the answer to a route the simulator does not know. */
export function unknownRoute(res: SimResponse): SimResponse {
  return { ...res, unknownRoute: true };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: value === undefined ? '' : pyJson(value),
  };
}

export function empty(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers, body: '' };
}

export function html(status: number, body: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'Content-Type': 'text/html; charset=UTF-8', ...headers }, body };
}

export function requestId(): string {
  return `req-${randomUUID()}`;
}

/** Parses the request body as JSON; `undefined` for an empty body, throws SyntaxError when malformed. */
export function parseJsonBody(req: SimRequest): unknown {
  if (req.text.trim() === '') return undefined;
  return JSON.parse(req.text);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Splits a path into segments, dropping empty ones (so `/a//b/` → [a, b]). */
export function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/**
 * ISO 8601 as Keystone writes token times: Fernet timestamps have whole
 * seconds, so the microseconds are always zero (2015-11-07T02:58:43.000000Z).
 */
export function keystoneTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '.000000Z');
}

/** Whole seconds, as Fernet tokens and receipts carry them. */
export function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * JSON as Python's json.dumps writes it (oslo jsonutils, used by Nova and
 * keystonemiddleware): `", "` and `": "` separators, insertion order.
 */
export function pyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** JSON as Flask's jsonify writes it (Keystone's error bodies): compact, keys sorted, trailing newline. */
export function flaskJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return `${JSON.stringify(sort(value))}\n`;
}

/** Python's repr() of JSON data, as Nova's validation messages print values. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** ISO 8601 as Nova writes server times: seconds and `Z` (e.g. 2013-09-03T04:01:32Z). */
export function novaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
