/**
 * URL helpers. Catalog URLs carry path prefixes (`https://h/compute/v2.1`,
 * `https://h:8774/v2.1/<project_id>`) that a naive `new URL(path, base)` drops
 * when the path starts with `/`; these helpers never do.
 */

/** Joins a base URL and a relative path, keeping the base's path prefix and query-free. */
export function joinUrl(base: string, path: string): string {
  const u = new URL(base);
  const [rawPath, query] = splitQuery(path);
  const prefix = u.pathname.replace(/\/+$/, '');
  const rest = rawPath.replace(/^\/+/, '');
  u.pathname = rest ? `${prefix}/${rest}` : prefix || '/';
  u.search = query ?? '';
  u.hash = '';
  return u.toString();
}

function splitQuery(path: string): [string, string | undefined] {
  const i = path.indexOf('?');
  return i < 0 ? [path, undefined] : [path.slice(0, i), path.slice(i)];
}

/**
 * Tagged template for URL paths: interpolated values are percent-encoded as one
 * path segment each, so a server name or token can never change the route.
 * `urlPath\`servers/${id}/remote-consoles\``
 */
export function urlPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + (strings[i + 1] ?? '');
  });
  return out;
}

/** Builds `?a=1&b=2` from the defined entries, or '' when there are none. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** `host[:port]` of a URL (no scheme; the port only when not the default), for messages; the input itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
