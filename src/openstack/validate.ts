/**
 * Checking the JSON bodies OpenStack sends, where they enter osconsole (the
 * functions of src/openstack/): only the fields osconsole reads, extra fields
 * tolerated, optional ones where the API reference (or a real service) may
 * omit them. A body of the wrong shape becomes exit 1 naming the request,
 * the field and an excerpt of the body, never a TypeError further on.
 *
 *   const body = parseBody(res, obj({ servers: list(obj({ id: str, name: str })) }));
 *   // GET https://h/servers/detail returned 200 OK with an unexpected body: servers[0].name: expected a string ({"servers": ...})
 */
import type { HttpResponse } from '../http/client.js';
import { malformed } from '../http/client.js';
import { isObject } from '../http/service-errors.js';
import { hasControl, quoted } from '../text.js';

/** Reads a value at a path (e.g. `token.user`), or throws ShapeError. */
export type Check<T> = (value: unknown, path: string) => T;

export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(path ? `${path}: expected ${expected}` : `expected ${expected}`);
    this.name = 'ShapeError';
  }
}

/**
 * Checks the object under `key` of a response body (`{"token": {...}}`); a
 * mismatch is the "unexpected body" error of that request.
 */
export function parseBody<T>(res: HttpResponse, key: string, check: Check<T>): T {
  const body = res.body;
  const value = isObject(body) ? body[key] : undefined;
  if (!isObject(value) && !Array.isArray(value)) throw malformed(res, `expected a JSON object with "${key}"`);
  return parseWith(res, () => check(value, key));
}

/** Runs checks on a response (several fields, or a value found in it); a mismatch is its "unexpected body" error. */
export function parseWith<T>(res: HttpResponse, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ShapeError) throw malformed(res, err.message);
    throw err;
  }
}

const typed =
  <T>(test: (v: unknown) => v is T, expected: string): Check<T> =>
  (v, path) => {
    if (!test(v)) throw new ShapeError(path, expected);
    return v;
  };

export const str = typed((v): v is string => typeof v === 'string', 'a string');
export const num = typed((v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
export const bool = typed((v): v is boolean => typeof v === 'boolean', 'true or false');
/** An ISO 8601 time as Keystone writes them (2015-08-27T09:49:58.000000Z). */
export const timestamp = typed(
  (v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  'an ISO 8601 time',
);

/** Absent (or null, which Keystone and Nova use for "none") reads as undefined. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v, path) => (v === undefined || v === null ? undefined : check(v, path));
}

/** A documented null: absent or null reads as null. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, path) => {
    if (v === undefined || v === null) return null;
    try {
      return check(v, path);
    } catch (err) {
      if (err instanceof ShapeError && err.path === path) throw new ShapeError(path, `${err.expected} or null`);
      throw err;
    }
  };
}

export function list<T>(item: Check<T>): Check<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new ShapeError(path, 'a list');
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

type Shape = Record<string, Check<unknown>>;
type Parsed<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** An object with these fields (others ignored); the result holds the checked fields that are present. */
export function obj<S extends Shape>(shape: S): Check<Parsed<S>> {
  return (v, path) => {
    if (!isObject(v)) throw new ShapeError(path, 'an object');
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const value = check(Object.hasOwn(v, key) ? v[key] : undefined, path ? `${path}.${key}` : key);
      if (value !== undefined) out[key] = value;
    }
    return out as Parsed<S>;
  };
}

/** A string matching a pattern (e.g. a microversion). */
export function matching(re: RegExp, expected: string): Check<string> {
  return (v, path) => {
    if (typeof v !== 'string' || !re.test(v))
      throw new ShapeError(path, `${expected}${typeof v === 'string' ? `, got ${quoted(v)}` : ''}`);
    return v;
  };
}

/** An absolute http(s) URL (next links, endpoints). */
export const httpUrl: Check<string> = urlOf(['http:', 'https:'], 'a URL');

/**
 * A console URL as Nova builds them (base URL + token): http, https, ws or
 * wss, with no spaces or control characters, which would only reach the
 * user's terminal or browser as something else.
 */
export const consoleUrl: Check<string> = urlOf(['http:', 'https:', 'ws:', 'wss:'], 'an http, https, ws or wss URL');

function urlOf(schemes: string[], expected: string): Check<string> {
  return (v, path) => {
    const s = str(v, path);
    let ok = !/\s/.test(s) && !hasControl(s);
    if (ok) {
      try {
        const u = new URL(s);
        ok = schemes.includes(u.protocol) && u.host !== '';
      } catch {
        ok = false;
      }
    }
    if (!ok) throw new ShapeError(path, `${expected}, got ${quoted(s, 80)}`);
    return s;
  };
}
