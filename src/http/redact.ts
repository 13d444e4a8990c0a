/**
 * Redaction for everything `--debug` prints: tokens and receipts become a short
 * SHA-256 fingerprint, so two log lines can be matched without revealing the
 * secret (a bearer token or a console token grants access on its own).
 */

/** Header names (lower case) whose values are credentials. */
const SECRET_HEADERS = new Set([
  'x-auth-token',
  'x-subject-token',
  'x-service-token',
  'openstack-auth-receipt',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

/** Query parameters that carry console tokens (`path` holds noVNC's `?token=`). */
const SECRET_QUERY = new Set(['token', 'path', 'password', 'secret', 'passcode']);

export function fingerprint(secret: string): string {
  // node:crypto (~10 ms to load) on first use: only --debug prints fingerprints.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

export function redacted(secret: string): string {
  return `<redacted ${fingerprint(secret)}>`;
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? redacted(value) : value;
  }
  return out;
}

/** `scheme://user:password@`: userinfo is a credential wherever a URL appears. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi;

/** Replaces the userinfo of every URL in a text (error messages, proxy URLs) with `<redacted>`. */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, '$1<redacted>@');
}

/** `token=…` (also percent-encoded, as in noVNC's `path=%3Ftoken%3D…`) inside free text such as a body excerpt. */
const QUERY_SECRET_IN_TEXT = /((?:token|password|secret|passcode)(?:=|%3D))(?!<redacted)[^&"'\s\\%]+/gi;

/** Hides userinfo and token-bearing query values in free text (error lines, body excerpts). */
export function redactText(text: string): string {
  return redactUserinfo(text).replace(QUERY_SECRET_IN_TEXT, '$1<redacted>');
}

/**
 * Hides secrets in a URL: userinfo (no fingerprint: a password's short hash
 * could be guessed offline), the os-console-auth-tokens path segment and
 * token-bearing query values.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactUserinfo(url);
  }
  const userinfo = u.username !== '' || u.password !== '';
  u.username = '';
  u.password = '';
  u.pathname = u.pathname.replace(
    /(\/os-console-auth-tokens\/)([^/]+)/,
    (_m, head: string, tok: string) => head + redacted(decodeURIComponent(tok)),
  );
  // URLSearchParams would percent-encode "<redacted sha256:…>": set placeholders, then swap them.
  const swaps: string[] = [];
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_QUERY.has(key.toLowerCase())) {
      swaps.push(redacted(u.searchParams.get(key) ?? ''));
      u.searchParams.set(key, `REDACTED${swaps.length - 1}X`);
    }
  }
  const out = decodeURI(u.toString()).replace(/REDACTED(\d+)X/g, (_m, i: string) => swaps[Number(i)] ?? '');
  return userinfo ? out.replace('//', '//<redacted>@') : out;
}
