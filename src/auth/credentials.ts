/**
 * From a resolved cloud config to Keystone auth request bodies, and to the list
 * of what is still missing (to prompt for, or to name in an error).
 *
 * Shapes: keystone api-ref authenticate-v3.inc and its request samples;
 * keystoneauth identity/v3/*.py (domain defaults, scope order: domain,
 * project, system); openstacksdk _handle_domain_id (a domain given with a
 * project name fills the missing user and project domains).
 */
import { AUTH_TYPE_INFO, isAuthType } from './auth-types.js';
import type { AuthType } from './auth-types.js';
import type { Values } from '../config/cloud-config.js';
import type { CloudConfig } from '../config/resolve.js';
import type { SettingKey } from '../config/settings.js';
import { OsconsoleError } from '../errors.js';

export interface Need {
  key: SettingKey;
  label: string;
  secret: boolean;
}

const LABELS: Partial<Record<SettingKey, string>> = {
  auth_url: 'Auth URL',
  username: 'Username',
  password: 'Password',
  passcode: 'TOTP passcode',
  token: 'Token',
  application_credential_secret: 'Application credential secret',
  application_credential_id: 'Application credential id',
  auth_methods: 'Auth methods (e.g. v3password,v3totp)',
};

const SECRET: ReadonlySet<SettingKey> = new Set(['password', 'passcode', 'token', 'application_credential_secret']);

function need(key: SettingKey): Need {
  return { key, label: LABELS[key] ?? key, secret: SECRET.has(key) };
}

/** Keystone method names for an auth type (v3multifactor lists its own). */
export function methodsOf(type: AuthType, values: Values): string[] {
  const info = AUTH_TYPE_INFO[type];
  if ('method' in info) return [info.method];
  return (values.auth_methods ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => {
      // An auth type's name, or the bare method `totp` (openstacksdk accepts both).
      const named: { method?: string } | undefined = isAuthType(m) ? AUTH_TYPE_INFO[m] : undefined;
      const method = named?.method ?? (m === 'totp' ? 'totp' : undefined);
      if (!method)
        throw new OsconsoleError('E_USAGE', `auth method "${m}" in auth_methods is not supported`, {
          hint: 'use v3password and v3totp',
        });
      return method;
    });
}

/** What must still be supplied, in prompt order. */
export function missing(cfg: CloudConfig): Need[] {
  const v = cfg.values;
  const out: Need[] = [];
  if (!v.auth_url) out.push(need('auth_url'));
  if (cfg.authType === 'v3multifactor' && !v.auth_methods) return [...out, need('auth_methods')];
  const methods = methodsOf(cfg.authType, v);
  const hasUser = Boolean(v.username || v.user_id);
  for (const m of methods) {
    if (m === 'password' || m === 'totp') {
      if (!hasUser && !out.some((n) => n.key === 'username')) out.push(need('username'));
      const key = m === 'password' ? 'password' : 'passcode';
      if (v[key] === undefined) out.push(need(key));
    } else if (m === 'token') {
      if (!v.token) out.push(need('token'));
    } else if (m === 'application_credential') {
      if (!v.application_credential_id && !v.application_credential_name) out.push(need('application_credential_id'));
      if (v.application_credential_name && !v.application_credential_id && !hasUser) out.push(need('username'));
      if (v.application_credential_secret === undefined) out.push(need('application_credential_secret'));
    }
  }
  return out;
}

function defaultDomain(v: Values): { id: string } | { name: string } {
  if (v.default_domain_id) return { id: v.default_domain_id };
  if (v.default_domain) return { id: v.default_domain };
  if (v.default_domain_name) return { name: v.default_domain_name };
  return { id: 'default' };
}

/** `{id}` or `{name, domain}` for the user, filling the domain as keystoneauth does. */
function userRef(v: Values): Record<string, unknown> {
  if (v.user_id) return { id: v.user_id };
  const domain = v.user_domain_id
    ? { id: v.user_domain_id }
    : v.user_domain_name
      ? { name: v.user_domain_name }
      : (domainScopeRef(v) ?? defaultDomain(v));
  return { name: v.username, domain };
}

function domainScopeRef(v: Values): { id: string } | { name: string } | undefined {
  if (v.domain_id) return { id: v.domain_id };
  if (v.domain_name) return { name: v.domain_name };
  return undefined;
}

/** The `identity` object of an auth request for the given Keystone methods. */
export function identityFor(v: Values, methods: string[]): Record<string, unknown> {
  const identity: Record<string, unknown> = { methods };
  for (const m of methods) {
    if (m === 'password') identity.password = { user: { ...userRef(v), password: v.password ?? '' } };
    else if (m === 'totp') identity.totp = { user: { ...userRef(v), passcode: v.passcode ?? '' } };
    else if (m === 'token') identity.token = { id: v.token ?? '' };
    else if (m === 'application_credential') {
      identity.application_credential = v.application_credential_id
        ? { id: v.application_credential_id, secret: v.application_credential_secret ?? '' }
        : { name: v.application_credential_name, user: userRef(v), secret: v.application_credential_secret ?? '' };
    }
  }
  return identity;
}

/** The `scope` asked for, or undefined when none was configured (then Keystone uses the default project). */
export function scopeFor(v: Values): Record<string, unknown> | undefined {
  if (v.project_id) return { project: { id: v.project_id } };
  if (v.project_name) {
    const domain = v.project_domain_id
      ? { id: v.project_domain_id }
      : v.project_domain_name
        ? { name: v.project_domain_name }
        : (domainScopeRef(v) ?? defaultDomain(v));
    return { project: { name: v.project_name, domain } };
  }
  const domain = domainScopeRef(v);
  if (domain) return { domain };
  if (v.system_scope) {
    if (v.system_scope.toLowerCase() !== 'all')
      throw new OsconsoleError('E_USAGE', `system scope "${v.system_scope}" is not supported; use all`);
    return { system: { all: true } };
  }
  return undefined;
}

/** Application credentials carry their own scope: Keystone refuses a `scope` with them. */
export function canRequestScope(cfg: CloudConfig): boolean {
  return !methodsOf(cfg.authType, cfg.values).includes('application_credential');
}

/** A short description of who is logging in, for messages ("demo (Default)", "app credential 6313…"). */
export function whoOf(v: Values, type: AuthType): string {
  if (type === 'v3applicationcredential')
    return `application credential ${v.application_credential_id ?? v.application_credential_name ?? '?'}`;
  if (type === 'token' || type === 'v3token') return 'the given token';
  const user = v.username ?? v.user_id ?? '?';
  const domain = v.user_domain_name ?? v.user_domain_id;
  return domain ? `${user} (${domain})` : user;
}
