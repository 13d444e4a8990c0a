/**
 * A fake Keystone v3: version discovery, token issue/validate/revoke for the
 * password, token, application_credential and totp methods with multi-factor
 * receipts, the four scope forms, project listing and the service catalog.
 *
 * Facts (status codes, bodies, headers) are from keystone's api-ref
 * (api-ref/source/v3/authenticate-v3.inc, parameters.yaml, samples/) and source
 * (keystone/auth/core.py, keystone/api/auth.py, keystone/exception.py,
 * keystone/auth/plugins/*.py, keystone/server/flask/application.py), checked
 * against real Keystone 22 (Zed) by the integration tier.
 */
import { randomBytes } from 'node:crypto';
import type { SimRequest, SimResponse } from './http.js';
import {
  empty,
  flaskJson,
  isObject,
  json,
  keystoneTime,
  pyRepr,
  requestId,
  segments,
  unknownRoute,
  wholeSeconds,
} from './http.js';
import type { AppCredential, IdentityData, Project, User } from './seed.js';
import { IMPLIED_ROLES } from './seed.js';
import { verifyTotp } from './totp.js';

export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region: string;
  region_id: string;
  url: string;
}

export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

export type TokenScope = { project: Project } | { domain: { id: string; name: string } } | { system: true } | null;

export interface TokenRecord {
  id: string;
  user: User;
  methods: string[];
  scope: TokenScope;
  /** Effective role ids (implied roles expanded). */
  roleIds: string[];
  issuedAt: number;
  expiresAt: number;
  auditIds: string[];
  appCredential?: AppCredential;
  revoked: boolean;
}

interface ReceiptRecord {
  id: string;
  user: User;
  methods: string[];
  issuedAt: number;
  expiresAt: number;
}

export interface KeystoneOptions {
  data: IdentityData;
  now: () => number;
  tokenLifetimeSeconds: number;
  receiptLifetimeSeconds: number;
  /** Builds the catalog for a token scoped to `projectId` (undefined for domain/system scope). */
  catalog: (projectId: string | undefined) => CatalogService[];
}

/** Keystone's generic 401 text (keystone/exception.py Unauthorized.message_format). */
export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';

/** The methods this Keystone has in `[auth] methods` (the realcloud recipe's list; totp is not a default). */
const AUTH_METHODS = ['password', 'token', 'application_credential', 'totp', 'external', 'mapped'];

const VALIDATION_TAIL =
  'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

class KeystoneError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    /** `error.identity`: only auth-plugin errors carry it (keystone/exception.py AuthPluginException). */
    readonly identity?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Unauthorized and Forbidden are SecurityErrors: without insecure_debug the
 * client sees only the class's generic text, whatever the raise site said.
 */
const unauthorized = () => new KeystoneError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE);
const forbidden = () => new KeystoneError(403, 'Forbidden', 'You are not authorized to perform the requested action.');
const badRequest = (message: string) => new KeystoneError(400, 'Bad Request', message);
const notFound = (message: string) => new KeystoneError(404, 'Not Found', message);
const KNOWN_AUTH_PATHS = ['auth/tokens', 'auth/projects', 'auth/domains', 'auth/catalog', 'auth/system'];

/** keystone.exception.ValidationError: "Expecting to find X in Y. The server could not comply …" */
function validation(attribute: string, target: string): KeystoneError {
  return badRequest(`Expecting to find ${attribute} in ${target}. ${VALIDATION_TAIL}`);
}

/**
 * keystone's schema errors: "Invalid input for field '<path>': <jsonschema message>"
 * followed by a dump of the schema whose form depends on the jsonschema version;
 * only the stable first line is reproduced.
 */
function schemaError(path: string, message: string): KeystoneError {
  return badRequest(path ? `Invalid input for field '${path}': ${message}` : message);
}

export class Keystone {
  readonly tokens = new Map<string, TokenRecord>();
  private readonly receipts = new Map<string, ReceiptRecord>();

  constructor(private readonly opts: KeystoneOptions) {}

  /** Handles a request whose path is relative to Keystone's root (`/`, `/v3/...`). */
  handle(req: SimRequest, path: string, rootUrl: string): SimResponse {
    let res: SimResponse;
    try {
      res = this.route(req, path, rootUrl);
    } catch (err) {
      if (!(err instanceof KeystoneError)) throw err;
      res = this.error(err, rootUrl);
    }
    // Every Keystone answer carries a request id and varies on the token.
    return { ...res, headers: { Vary: 'X-Auth-Token', 'x-openstack-request-id': requestId(), ...res.headers } };
  }

  /** Errors are rendered by Flask's jsonify: compact, keys sorted (keystone/server/flask/application.py). */
  private error(err: KeystoneError, rootUrl: string): SimResponse {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    // Every Unauthorized names where to authenticate.
    if (err.status === 401) headers['WWW-Authenticate'] = `Keystone uri="${rootUrl}/v3"`;
    const error: Record<string, unknown> = { code: err.status, message: err.message, title: err.title };
    if (err.identity) error.identity = err.identity;
    return { status: err.status, headers, body: flaskJson({ error }) };
  }

  private route(req: SimRequest, path: string, rootUrl: string): SimResponse {
    const res = this.known(req, path, rootUrl);
    return res ?? unknownRoute(this.error(this.unmatched(req, path), rootUrl));
  }

  /** Flask's answer when no view matches: 405 for a known URL, else 404. */
  private unmatched(req: SimRequest, path: string): KeystoneError {
    const rest = segments(path).slice(1).join('/');
    if (segments(path)[0] === 'v3' && KNOWN_AUTH_PATHS.includes(rest))
      return new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.');
    return notFound('The resource could not be found.');
  }

  /** The routed answer, or undefined when no route matches. */
  private known(req: SimRequest, path: string, rootUrl: string): SimResponse | undefined {
    const segs = segments(path);
    const m = req.method;
    if (segs.length === 0 && m === 'GET') return this.versions(rootUrl);
    if (segs[0] !== 'v3') return undefined;
    const rest = segs.slice(1).join('/');
    if (rest === '' && m === 'GET') return json(200, { version: this.versionEntry(rootUrl) });
    if (rest === 'auth/tokens') {
      if (m === 'POST') return this.issue(req);
      if (m === 'GET' || m === 'HEAD') return this.validateSubject(req, m === 'HEAD');
      if (m === 'DELETE') return this.revoke(req);
    }
    if (m === 'GET' && rest === 'auth/projects') return this.authProjects(req, rootUrl);
    if (m === 'GET' && rest === 'auth/domains') return this.authDomains(req, rootUrl);
    if (m === 'GET' && rest === 'auth/catalog') return this.authCatalog(req, rootUrl);
    if (m === 'GET' && rest === 'auth/system') return this.authSystem(req, rootUrl);
    return undefined;
  }

  // ---- discovery (api-ref samples/admin/identity-versions-response.json) ----

  private versionEntry(rootUrl: string) {
    return {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${rootUrl}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }

  private versions(rootUrl: string): SimResponse {
    return json(300, { versions: { values: [this.versionEntry(rootUrl)] } }, { Location: `${rootUrl}/v3/` });
  }

  // ---- POST /v3/auth/tokens ----

  /**
   * Keystone's order (keystone/api/auth.py, auth/core.py AuthInfo.create,
   * api/_shared/authentication.py): body and schema checks, method payloads,
   * scope (before any credential is checked), the plugins in order, the
   * receipt, the MFA rules, and last the role check when the token is minted.
   */
  private issue(req: SimRequest): SimResponse {
    const auth = parseAuthBody(req);
    const identity = auth.identity as Record<string, unknown>;
    const methods = identity.methods as string[];
    for (const method of methods) {
      if (!isObject(identity[method])) throw validation(method, 'identity');
      if (!AUTH_METHODS.includes(method) || !PLUGINS.includes(method)) {
        throw new KeystoneError(401, 'Unauthorized', 'Attempted to authenticate with an unsupported method.', {
          methods: AUTH_METHODS,
        });
      }
    }
    const appCredPayload = identity.application_credential;
    if (methods.includes('application_credential') && auth.scope !== undefined) {
      throw new KeystoneError(
        401,
        'Unauthorized',
        'Error authenticating with application credential: Application credentials cannot request a scope.',
        {},
      );
    }
    const requestedScope = this.lookupScope(auth.scope);
    const appCred = methods.includes('application_credential')
      ? this.lookupAppCredential(appCredPayload as Record<string, unknown>)
      : undefined;

    let user: User | undefined;
    let inheritedToken: TokenRecord | undefined;
    const done = new Set<string>();
    for (const method of methods) {
      const payload = identity[method] as Record<string, unknown>;
      let who: User;
      if (method === 'password') who = this.passwordUser(payload);
      else if (method === 'totp') who = this.totpUser(payload);
      else if (method === 'token') {
        inheritedToken = this.tokenMethod(payload);
        who = inheritedToken.user;
        // A token carries the factors it was issued for.
        for (const m of inheritedToken.methods) done.add(m);
      } else {
        who = this.checkAppCredentialSecret(appCred as AppCredential, payload);
      }
      if (user && user.id !== who.id) throw unauthorized();
      user = who;
      done.add(method);
    }
    if (!user) throw unauthorized();

    const receiptId = req.headers['openstack-auth-receipt'];
    const receipt = receiptId === undefined ? undefined : this.receipts.get(receiptId);
    if (receiptId !== undefined) {
      if (!receipt || receipt.expiresAt <= this.opts.now() || receipt.user.id !== user.id) {
        throw new KeystoneError(401, 'Unauthorized', `Could not find auth receipt: ${receiptId}.`);
      }
      for (const m of receipt.methods) done.add(m);
    }

    // keystone/auth/core.py UserMFARulesValidator: some rule must be fully satisfied.
    const rules = user.mfa_rules ?? [];
    if (rules.length > 0 && !rules.some((rule) => rule.every((m) => done.has(m)))) {
      return this.receiptResponse(user, [...done], rules);
    }

    if (inheritedToken?.appCredential) throw unauthorized();
    const scope = appCred
      ? { project: this.projectById(appCred.project_id) }
      : (requestedScope ?? this.defaultScope(user, auth.scope));
    const roleIds = appCred ? expandRoles(appCred.role_ids) : this.rolesFor(user, scope);
    if (scope && roleIds.length === 0) throw unauthorized();

    const now = wholeSeconds(this.opts.now());
    const lifetimeEnd = now + this.opts.tokenLifetimeSeconds * 1000;
    const token: TokenRecord = {
      id: newTokenId(),
      user,
      methods: [...done],
      scope,
      roleIds,
      issuedAt: now,
      // A rescoped token never outlives the token it came from (keystone/auth/plugins/token.py).
      expiresAt: inheritedToken ? Math.min(inheritedToken.expiresAt, lifetimeEnd) : lifetimeEnd,
      auditIds: inheritedToken ? [randomAuditId(), inheritedToken.auditIds[0] as string] : [randomAuditId()],
      appCredential: appCred,
      revoked: false,
    };
    this.tokens.set(token.id, token);
    const withCatalog = !req.query.has('nocatalog');
    return json(201, { token: this.tokenBody(token, withCatalog) }, { 'X-Subject-Token': token.id });
  }

  /**
   * The MFA receipt (keystone/receipt/handlers.py build_receipt): 401 with the
   * receipt id in Openstack-Auth-Receipt and no WWW-Authenticate. The rules
   * listed are those sharing a method with the ones already passed.
   */
  private receiptResponse(user: User, methods: string[], rules: string[][]): SimResponse {
    const now = wholeSeconds(this.opts.now());
    const receipt: ReceiptRecord = {
      id: newTokenId(),
      user,
      methods,
      issuedAt: now,
      expiresAt: now + this.opts.receiptLifetimeSeconds * 1000,
    };
    this.receipts.set(receipt.id, receipt);
    return json(
      401,
      {
        receipt: {
          methods,
          user: { id: user.id, name: user.name, domain: this.domainRef(user.domain_id) },
          expires_at: keystoneTime(receipt.expiresAt),
          issued_at: keystoneTime(receipt.issuedAt),
        },
        required_auth_methods: rules.filter((rule) => rule.some((m) => methods.includes(m))),
      },
      { 'Openstack-Auth-Receipt': receipt.id },
    );
  }

  private passwordUser(payload: Record<string, unknown>): User {
    const userRef = payload.user;
    // Quirk kept from keystone: the method name is not known yet when this check runs.
    if (!isObject(userRef)) throw validation('user', 'None');
    const user = this.findUser(userRef, 'identity/password/user');
    if (!user || !user.enabled || user.password !== userRef.password) throw unauthorized();
    return user;
  }

  private totpUser(payload: Record<string, unknown>): User {
    const userRef = payload.user;
    if (!isObject(userRef)) throw validation('user', 'None');
    const user = this.findUser(userRef, 'identity/totp/user');
    if (!user || !user.enabled || !user.totp_secret || typeof userRef.passcode !== 'string') throw unauthorized();
    if (!verifyTotp(user.totp_secret, userRef.passcode, this.opts.now())) throw unauthorized();
    return user;
  }

  /** The token method validates like GET /v3/auth/tokens: an unusable token is a 404 (keystone/auth/plugins/token.py). */
  private tokenMethod(payload: Record<string, unknown>): TokenRecord {
    if (typeof payload.id !== 'string') throw schemaError('identity/token', "'id' is a required property");
    const known = this.tokens.get(payload.id);
    if (!known) throw notFound('Could not recognize Fernet token');
    if (!this.liveToken(payload.id)) throw notFound('Failed to validate token');
    return known;
  }

  /** AuthInfo.create looks the credential up before any plugin runs (keystone/auth/core.py _lookup_app_cred). */
  private lookupAppCredential(payload: Record<string, unknown>): AppCredential {
    const creds = this.opts.data.appCredentials;
    if (typeof payload.id === 'string') {
      const cred = creds.find((c) => c.id === payload.id);
      if (!cred) throw notFound(`Could not find Application Credential: ${payload.id}.`);
      return cred;
    }
    if (typeof payload.name === 'string') {
      if (!isObject(payload.user)) throw validation('user', 'application credential');
      const user = this.findUser(payload.user, 'identity/application_credential/user');
      const cred = user && creds.find((c) => c.name === payload.name && c.user_id === user.id);
      if (!cred) throw unauthorized();
      return cred;
    }
    throw validation('name or ID', 'application credential');
  }

  private checkAppCredentialSecret(cred: AppCredential, payload: Record<string, unknown>): User {
    if (payload.secret !== cred.secret) throw unauthorized();
    const user = this.opts.data.users.find((u) => u.id === cred.user_id);
    if (!user || !user.enabled) throw unauthorized();
    return user;
  }

  /** A user by `id`, or by `name` plus `domain` (`id` or `name`); a name without a domain is a 400. */
  private findUser(ref: Record<string, unknown>, schemaPath: string): User | undefined {
    const users = this.opts.data.users;
    if (typeof ref.id === 'string') return users.find((u) => u.id === ref.id);
    if (typeof ref.name !== 'string')
      throw badRequest(`Invalid input for field ${schemaPath}: id or name must be present.`);
    if (ref.domain === undefined) throw validation('domain', 'user');
    const domain = this.findDomain(ref.domain, `${schemaPath}/domain`);
    return domain?.enabled ? users.find((u) => u.name === ref.name && u.domain_id === domain.id) : undefined;
  }

  private findDomain(ref: unknown, schemaPath: string) {
    if (!isObject(ref) || (typeof ref.id !== 'string' && typeof ref.name !== 'string')) {
      throw badRequest(`Invalid input for field ${schemaPath}: id or name must be present.`);
    }
    const domains = this.opts.data.domains;
    return typeof ref.id === 'string' ? domains.find((d) => d.id === ref.id) : domains.find((d) => d.name === ref.name);
  }

  private projectById(id: string): Project {
    const project = this.opts.data.projects.find((p) => p.id === id);
    if (!project) throw unauthorized();
    return project;
  }

  // ---- scope ----

  /**
   * An explicit scope, resolved before any credential is checked
   * (auth/core.py _validate_and_normalize_scope_data); undefined when none was asked for.
   */
  private lookupScope(scope: unknown): TokenScope | undefined {
    if (scope === undefined) return undefined;
    if (scope === 'unscoped') return null;
    if (!isObject(scope)) throw schemaError('scope', `${pyReprShort(scope)} is not of type 'object', 'string'`);
    const targets = ['project', 'domain', 'system', 'OS-TRUST:trust'].filter((k) => scope[k] !== undefined);
    if (targets.length !== 1) throw validation('system, project, domain, OS-TRUST:trust or unscoped', 'scope');
    if (scope.project !== undefined) {
      const ref = scope.project;
      if (!isObject(ref) || (typeof ref.id !== 'string' && typeof ref.name !== 'string')) {
        throw badRequest('Invalid input for field scope/project: id or name must be present.');
      }
      let project: Project | undefined;
      if (typeof ref.id === 'string') project = this.opts.data.projects.find((p) => p.id === ref.id);
      else {
        if (ref.domain === undefined) throw validation('domain', 'project');
        const domain = this.findDomain(ref.domain, 'scope/project/domain');
        project = domain && this.opts.data.projects.find((p) => p.name === ref.name && p.domain_id === domain.id);
      }
      if (!project || !project.enabled) throw unauthorized();
      return { project };
    }
    if (scope.domain !== undefined) {
      const domain = this.findDomain(scope.domain, 'scope/domain');
      if (!domain || !domain.enabled) throw unauthorized();
      return { domain: { id: domain.id, name: domain.name } };
    }
    if (scope.system !== undefined) {
      if (!isObject(scope.system) || scope.system.all !== true)
        throw schemaError('scope/system', "'all' is a required property");
      return { system: true };
    }
    // Trusts are not simulated.
    throw unauthorized();
  }

  /**
   * No scope asked for: the user's default project when it is usable and they
   * still have a role on it, else unscoped (api/auth.py _check_and_set_default_scoping).
   */
  private defaultScope(user: User, requested: unknown): TokenScope {
    if (requested !== undefined) return null;
    const pid = user.default_project_id;
    const project = pid ? this.opts.data.projects.find((p) => p.id === pid) : undefined;
    if (project?.enabled && this.rolesFor(user, { project }).length > 0) return { project };
    return null;
  }

  private rolesFor(user: User, scope: TokenScope): string[] {
    if (!scope) return [];
    const direct = this.opts.data.assignments
      .filter((a) => a.user_id === user.id)
      .filter((a) =>
        'project' in scope
          ? a.project_id === scope.project.id
          : 'domain' in scope
            ? a.domain_id === scope.domain.id && !a.project_id
            : a.system === 'all',
      )
      .map((a) => a.role_id);
    return expandRoles(direct);
  }

  // ---- tokens ----

  /** A token that exists, is not revoked and has not expired. Used by Nova's auth middleware too. */
  liveToken(id: string | undefined): TokenRecord | undefined {
    if (!id) return undefined;
    const token = this.tokens.get(id);
    if (!token || token.revoked || token.expiresAt <= this.opts.now()) return undefined;
    return token;
  }

  /** X-Auth-Token must be valid for every /v3/auth/* call other than POST. */
  private caller(req: SimRequest): TokenRecord {
    const token = this.liveToken(req.headers['x-auth-token']);
    if (!token) throw unauthorized();
    return token;
  }

  /** The subject token of validate/check/revoke; its failures are 404s (keystone/token/provider.py). */
  private subject(req: SimRequest, caller: TokenRecord, action: string): TokenRecord {
    const id = req.headers['x-subject-token'];
    if (!id) throw notFound('No token in the request');
    const known = this.tokens.get(id);
    if (!known) throw notFound('Could not recognize Fernet token');
    if (!this.liveToken(id)) throw notFound('Failed to validate token');
    // identity:validate_token and revoke_token admit the token's own user, and admins.
    if (known.user.id !== caller.user.id && !this.isAdmin(caller)) {
      throw new KeystoneError(403, 'Forbidden', `You are not authorized to perform the requested action: ${action}.`);
    }
    return known;
  }

  private validateSubject(req: SimRequest, head: boolean): SimResponse {
    const subject = this.subject(req, this.caller(req), 'identity:validate_token');
    if (head) return empty(200, { 'X-Subject-Token': subject.id });
    return json(
      200,
      { token: this.tokenBody(subject, !req.query.has('nocatalog')) },
      { 'X-Subject-Token': subject.id },
    );
  }

  private revoke(req: SimRequest): SimResponse {
    const subject = this.subject(req, this.caller(req), 'identity:revoke_token');
    subject.revoked = true;
    return empty(204);
  }

  private isAdmin(token: TokenRecord): boolean {
    return token.roleIds.some((id) => this.opts.data.roles.find((r) => r.id === id)?.name === 'admin');
  }

  private authProjects(req: SimRequest, rootUrl: string): SimResponse {
    const caller = this.caller(req);
    const ids = new Set(
      this.opts.data.assignments.filter((a) => a.user_id === caller.user.id && a.project_id).map((a) => a.project_id),
    );
    const projects = this.opts.data.projects
      .filter((p) => ids.has(p.id) && p.enabled)
      .map((p) => ({
        description: p.description,
        domain_id: p.domain_id,
        enabled: p.enabled,
        id: p.id,
        is_domain: false,
        links: { self: `${rootUrl}/v3/projects/${p.id}` },
        name: p.name,
        options: {},
        parent_id: p.domain_id,
        tags: [],
      }));
    return json(200, { links: { next: null, previous: null, self: `${rootUrl}/v3/auth/projects` }, projects });
  }

  private authDomains(req: SimRequest, rootUrl: string): SimResponse {
    const caller = this.caller(req);
    const ids = new Set(
      this.opts.data.assignments.filter((a) => a.user_id === caller.user.id && a.domain_id).map((a) => a.domain_id),
    );
    const domains = this.opts.data.domains
      .filter((d) => ids.has(d.id))
      .map((d) => ({
        description: d.description,
        enabled: d.enabled,
        id: d.id,
        links: { self: `${rootUrl}/v3/domains/${d.id}` },
        name: d.name,
        options: {},
        tags: [],
      }));
    return json(200, { domains, links: { next: null, previous: null, self: `${rootUrl}/v3/auth/domains` } });
  }

  /** Only a project-scoped token has a catalog to return; the 403's text is masked. */
  private authCatalog(req: SimRequest, rootUrl: string): SimResponse {
    const caller = this.caller(req);
    if (!caller.scope || !('project' in caller.scope)) throw forbidden();
    return json(200, {
      catalog: this.opts.catalog(caller.scope.project.id),
      links: { self: `${rootUrl}/v3/auth/catalog` },
    });
  }

  private authSystem(req: SimRequest, rootUrl: string): SimResponse {
    const caller = this.caller(req);
    const has = this.opts.data.assignments.some((a) => a.user_id === caller.user.id && a.system === 'all');
    return json(200, { system: has ? [{ all: true }] : [], links: { self: `${rootUrl}/v3/auth/system` } });
  }

  private domainRef(id: string): { id: string; name: string } {
    const d = this.opts.data.domains.find((x) => x.id === id);
    return { id, name: d?.name ?? id };
  }

  /** The token body (api-ref samples/auth/responses/project-scoped-password.json and siblings). */
  tokenBody(token: TokenRecord, withCatalog: boolean): Record<string, unknown> {
    // Key order as keystone/common/render_token.py builds it.
    const body: Record<string, unknown> = {
      methods: token.methods,
      user: {
        domain: this.domainRef(token.user.domain_id),
        id: token.user.id,
        name: token.user.name,
        password_expires_at: null,
      },
      audit_ids: token.auditIds,
      expires_at: keystoneTime(token.expiresAt),
      issued_at: keystoneTime(token.issuedAt),
    };
    const scope = token.scope;
    if (scope) {
      if ('project' in scope) {
        body.project = {
          domain: this.domainRef(scope.project.domain_id),
          id: scope.project.id,
          name: scope.project.name,
        };
        body.is_domain = false;
      } else if ('domain' in scope) {
        body.domain = { id: scope.domain.id, name: scope.domain.name };
      } else {
        body.system = { all: true };
      }
      body.roles = token.roleIds.map((id) => ({ id, name: this.opts.data.roles.find((r) => r.id === id)?.name ?? id }));
      if (withCatalog) body.catalog = this.opts.catalog('project' in scope ? scope.project.id : undefined);
    }
    if (token.appCredential) {
      body.application_credential = {
        id: token.appCredential.id,
        name: token.appCredential.name,
        restricted: !token.appCredential.unrestricted,
      };
    }
    return body;
  }
}

/** The methods this simulator has plugins for. */
const PLUGINS = ['password', 'token', 'application_credential', 'totp'];

/**
 * The body checks keystone makes before looking at credentials
 * (request_processing/json_body.py, auth/schema.py, auth/core.py).
 */
function parseAuthBody(req: SimRequest): Record<string, unknown> {
  const type = req.headers['content-type'];
  if (req.text !== '' && type && !/^application\/json\b/i.test(type))
    throw validation('application/json', 'Content-Type header');
  let body: unknown;
  try {
    body = req.text.trim() === '' ? {} : JSON.parse(req.text);
  } catch {
    throw validation('valid JSON', 'request body');
  }
  if (!isObject(body)) throw validation('valid JSON', 'request body');
  if (!isObject(body.auth)) throw validation('auth', 'request body');
  const auth = body.auth;
  if (!isObject(auth.identity)) throw schemaError('', "'identity' is a required property");
  const methods = auth.identity.methods;
  if (methods === undefined) throw schemaError('identity', "'methods' is a required property");
  if (!Array.isArray(methods)) throw schemaError('identity/methods', `${pyRepr(methods)} is not of type 'array'`);
  if (!methods.every((m) => typeof m === 'string')) throw schemaError('identity/methods', 'items must be strings');
  if (methods.length === 0) throw validation('methods', 'identity');
  return auth;
}

function pyReprShort(v: unknown): string {
  const r = pyRepr(v);
  return r.length > 60 ? `${r.slice(0, 57)}...` : r;
}

export function expandRoles(direct: string[]): string[] {
  const out: string[] = [];
  const visit = (id: string) => {
    if (out.includes(id)) return;
    out.push(id);
    for (const implied of IMPLIED_ROLES[id] ?? []) visit(implied);
  };
  direct.forEach(visit);
  return out;
}

/** Fernet tokens and receipts are ~180-char URL-safe base64 strings starting with gAAAAA. */
function newTokenId(): string {
  return `gAAAAA${randomBytes(135).toString('base64url')}`;
}

function randomAuditId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}
