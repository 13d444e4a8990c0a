/**
 * Keystone v3 calls: version discovery, token issue (with multi-factor
 * receipts), project listing and revocation.
 *
 * Facts: keystone api-ref authenticate-v3.inc (201 + X-Subject-Token; the
 * receipt 401 carries Openstack-Auth-Receipt), keystone api/discovery.py (300
 * with versions.values), keystoneauth identity/generic/base.py and discover.py
 * (how an auth URL becomes a v3 endpoint).
 *
 *   const v3 = await discoverIdentity(http, 'https://cloud.example/identity');
 *   const r = await postToken(http, { identityUrl: v3, auth: body });
 *   if (r.kind === 'receipt') ... else r.token
 */
import { OsconsoleError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import { httpError, malformed, statusLine } from '../http/client.js';
import { redactUserinfo } from '../http/redact.js';
import { isObject } from '../http/service-errors.js';
import { joinUrl } from '../http/url.js';
import { bool, list, nullable, obj, optional, parseBody, parseWith, str, timestamp } from './validate.js';

/** The token body Keystone returns (only the fields osconsole reads). */
export interface TokenBody {
  methods: string[];
  user: { id: string; name: string; domain: { id: string; name: string } };
  expires_at: string;
  issued_at: string;
  project?: { id: string; name: string; domain: { id: string; name: string } };
  domain?: { id: string; name: string };
  system?: { all: boolean };
  roles?: Array<{ id: string; name: string }>;
  application_credential?: { id: string; name: string; restricted?: boolean };
  catalog?: Array<{
    type: string;
    name?: string;
    endpoints: Array<{ interface: string; region: string | null; region_id?: string | null; url: string }>;
  }>;
}

export interface Receipt {
  id: string;
  methods: string[];
  /** Each rule lists methods that together satisfy the user's MFA policy. */
  requiredAuthMethods: string[][];
  user: { id: string; name: string };
  expiresAt: string;
}

export type TokenResult = { kind: 'token'; token: string; body: TokenBody } | { kind: 'receipt'; receipt: Receipt };

/**
 * The Keystone v3 root for an auth URL: a URL already ending in /v3 is used as
 * is; otherwise the version document is read (300 or 200) and Keystone's v3
 * entry's self link taken. Anything else stops here, before credentials are
 * sent anywhere: `label` names where the URL came from (`OS_AUTH_URL`, ...).
 *
 * keystoneauth1 identity/generic/base.py `_do_create_plugin`: when discovery
 * fails (HTTP error, connection or TLS error, no version data) it only uses the
 * auth URL itself if its path starts with /v3 (or /v2.0), else raises "Could
 * not find versioned identity endpoints ... check that your auth_url is
 * correct"; it never appends /v3. So a 404, an HTML page or another service's
 * version document is an error (exit 2); a 5xx or a network failure keeps its
 * own exit status, since it says nothing about what the URL is.
 */
export async function discoverIdentity(http: HttpClient, authUrl: string, label = 'the auth URL'): Promise<string> {
  const trimmed = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(new URL(trimmed).pathname)) return trimmed;
  const url = `${trimmed}/`;
  let res: HttpResponse;
  try {
    res = await http.request({ method: 'GET', url, accept: [300] });
  } catch (err) {
    const status = err instanceof OsconsoleError ? err.http?.status : undefined;
    if (status === undefined || status >= 500) throw err;
    throw notKeystone(label, authUrl, `GET on it answered ${statusLine(status)}`);
  }
  const href = keystoneV3Link(res.body);
  if (href) return href.replace(/\/+$/, '');
  const what = versionList(res.body) ? 'lists no Keystone v3' : 'is not a version document';
  throw notKeystone(label, authUrl, `its answer (${statusLine(res.status)}) ${what}`);
}

function notKeystone(label: string, authUrl: string, why: string): OsconsoleError {
  return new OsconsoleError('E_USAGE', `${label} ${redactUserinfo(authUrl)} is not a Keystone endpoint: ${why}`, {
    hint: "give Keystone's URL (often https://<host>:5000/v3 or https://<host>/identity/v3)",
  });
}

/** keystoneauth1 discover.py get_version_data: `versions.values`, a plain `versions` list, or a single `version`. */
function versionList(body: unknown): unknown[] | undefined {
  if (!isObject(body)) return undefined;
  const versions = body.versions;
  if (isObject(versions) && Array.isArray(versions.values)) return versions.values;
  if (Array.isArray(versions)) return versions;
  return isObject(body.version) ? [body.version] : undefined;
}

/**
 * The self link of Keystone's v3 entry. Other services list a "v3" too (Cinder:
 * id v3.0, media type application/vnd.openstack.volume+json), so the entry
 * must be Keystone's: its media type is identity-v3 (keystone api/discovery.py
 * MEDIA_TYPE_JSON), or the document has Keystone's own `versions.values` shape.
 */
function keystoneV3Link(body: unknown): string | undefined {
  const keystoneShape = isObject(body) && isObject(body.versions) && Array.isArray(body.versions.values);
  for (const v of versionList(body) ?? []) {
    if (!isObject(v) || typeof v.id !== 'string' || !v.id.startsWith('v3')) continue;
    const status = typeof v.status === 'string' ? v.status.toLowerCase() : '';
    if (status === 'experimental' || status === 'deprecated') continue;
    const media = Array.isArray(v['media-types']) ? v['media-types'] : [];
    const identity = media.some(
      (m) => isObject(m) && typeof m.type === 'string' && m.type.includes('vnd.openstack.identity'),
    );
    if (!identity && !keystoneShape) continue;
    const links = Array.isArray(v.links) ? v.links : [];
    const self = links.find(
      (l): l is { href: string } => isObject(l) && l.rel === 'self' && typeof l.href === 'string',
    );
    if (self) return self.href;
  }
  return undefined;
}

/** POST /v3/auth/tokens; a 401 with Openstack-Auth-Receipt is a receipt, any other failure throws. */
export interface PostTokenOpts {
  /** The v3 root, from discoverIdentity. */
  identityUrl: string;
  /** The `auth` object: identity and scope. */
  auth: unknown;
  /** The id of a receipt this request completes (multi-factor). */
  receipt?: string;
}

export async function postToken(http: HttpClient, { identityUrl, auth, receipt }: PostTokenOpts): Promise<TokenResult> {
  const res = await http.request<unknown>({
    method: 'POST',
    url: joinUrl(identityUrl, 'auth/tokens'),
    json: { auth },
    headers: receipt ? { 'Openstack-Auth-Receipt': receipt } : {},
    accept: [401],
    // Issuing a token twice is harmless: retry it like a GET.
    retry: 'safe',
  });
  if (res.status === 401) {
    const receiptId = res.headers['openstack-auth-receipt'];
    if (!receiptId) throw httpError(res);
    return { kind: 'receipt', receipt: parseReceipt(res, receiptId) };
  }
  const token = res.headers['x-subject-token'];
  if (!token) throw malformed(res, 'no X-Subject-Token header in the token response');
  return { kind: 'token', token, body: tokenBody(res) };
}

const named = obj({ id: str, name: str });

/**
 * The fields of Keystone's token body osconsole reads (keystone api-ref
 * authenticate-v3.inc). The domains of the user and project are always there
 * in Keystone's answer, but keystoneauth (access/access.py) reads them as
 * None when absent, and so does osconsole.
 */
const TOKEN = obj({
  methods: list(str),
  expires_at: timestamp,
  issued_at: timestamp,
  user: obj({ id: str, name: str, domain: optional(named) }),
  project: optional(obj({ id: str, name: str, domain: optional(named) })),
  domain: optional(named),
  system: optional(obj({ all: bool })),
  roles: optional(list(obj({ id: optional(str), name: str }))),
  application_credential: optional(obj({ id: str, name: str, restricted: optional(bool) })),
  catalog: optional(
    list(
      obj({
        type: str,
        name: optional(str),
        endpoints: list(obj({ interface: str, region: nullable(str), region_id: nullable(str), url: str })),
      }),
    ),
  ),
});

function tokenBody(res: HttpResponse): TokenBody {
  const t = parseBody(res, 'token', TOKEN);
  const noDomain = { id: '', name: '' };
  return {
    ...t,
    user: { ...t.user, domain: t.user.domain ?? noDomain },
    project: t.project && { ...t.project, domain: t.project.domain ?? noDomain },
    roles: t.roles?.map((r) => ({ id: r.id ?? '', name: r.name })),
  };
}

/** keystone api-ref authenticate-v3.inc, "Authenticating with a Multi-Factor Authentication receipt". */
const RECEIPT = obj({
  receipt: obj({ methods: list(str), user: obj({ id: str, name: str }), expires_at: optional(str) }),
  required_auth_methods: list(list(str)),
});

function parseReceipt(res: HttpResponse, id: string): Receipt {
  let parsed: ReturnType<typeof RECEIPT>;
  try {
    parsed = parseWith(res, () => RECEIPT(res.body, ''));
  } catch (err) {
    // Without the 401 details: callers read a 401 as refused credentials.
    throw err instanceof OsconsoleError ? new OsconsoleError(err.code, err.message, { cause: err }) : err;
  }
  const { receipt, required_auth_methods: rules } = parsed;
  return {
    id,
    methods: receipt.methods,
    requiredAuthMethods: rules,
    user: receipt.user,
    expiresAt: receipt.expires_at ?? '',
  };
}

export interface ProjectRef {
  id: string;
  name: string;
  domain_id: string;
  enabled?: boolean;
}

/** GET /v3/auth/projects: the projects the token's user can scope to (unscoped tokens too). */
export async function listAuthProjects(
  http: HttpClient,
  { identityUrl, token }: { identityUrl: string; token: string },
): Promise<ProjectRef[]> {
  const res = await http.request<unknown>({ method: 'GET', url: joinUrl(identityUrl, 'auth/projects'), token });
  const projects = parseBody(
    res,
    'projects',
    list(obj({ id: str, name: str, domain_id: optional(str), enabled: optional(bool) })),
  );
  return projects.map((p) => ({ ...p, domain_id: p.domain_id ?? '' }));
}

/** DELETE /v3/auth/tokens for the token itself; an already invalid token (401/404) is not an error. */
export async function revokeToken(
  http: HttpClient,
  { identityUrl, token }: { identityUrl: string; token: string },
): Promise<'revoked' | 'already-invalid'> {
  try {
    await http.request({
      method: 'DELETE',
      url: joinUrl(identityUrl, 'auth/tokens'),
      token,
      headers: { 'X-Subject-Token': token },
    });
    return 'revoked';
  } catch (err) {
    if (err instanceof OsconsoleError && (err.http?.status === 401 || err.http?.status === 404))
      return 'already-invalid';
    throw err;
  }
}
