/**
 * Reading the error bodies OpenStack services send, so a failure prints the
 * service's own words instead of "HTTP 404".
 *
 * Shapes (sources: nova nova/api/openstack/wsgi.py Fault; keystone
 * keystone/server/flask/application.py; keystonemiddleware auth_token;
 * keystoneauth1/exceptions/http.py for the API-SIG form; webob exc.py):
 *   Nova fault        {"itemNotFound": {"code": 404, "message": "..."}}
 *   Keystone / ksm    {"error": {"code": 401, "title": "Unauthorized", "message": "..."}}
 *   API-SIG           {"errors": [{"title": "...", "detail": "..."}]}
 *   webob JSON        {"message": "...", "code": "404 Not Found", "title": "Not Found"}
 * Anything else (an HTML page from a proxy, plain text) becomes a short excerpt.
 */

const EXCERPT_CHARS = 160;

export function serviceMessage(body: unknown, text: string): string {
  const fromJson = messageFromJson(body);
  if (fromJson) return oneLine(fromJson);
  return excerpt(text);
}

function messageFromJson(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const err = body.error;
  if (isObject(err) && typeof err.message === 'string') return err.message;
  const errors = body.errors;
  if (Array.isArray(errors) && isObject(errors[0])) {
    const first = errors[0];
    const detail = first.detail ?? first.title;
    if (typeof detail === 'string') return detail;
  }
  if (typeof body.message === 'string') return body.message;
  const keys = Object.keys(body);
  if (keys.length === 1) {
    const inner = body[keys[0] as string];
    if (isObject(inner) && typeof inner.message === 'string') return inner.message;
  }
  return undefined;
}

/** A short, single-line excerpt of a non-JSON body: the HTML <title> or the text without tags. */
export function excerpt(text: string): string {
  if (!text) return '(empty body)';
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain =
    title ?? text.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ');
  const line = oneLine(plain);
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS - 1)}…` : line || '(empty body)';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
