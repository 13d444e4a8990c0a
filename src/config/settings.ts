/**
 * The cloud settings osconsole understands, each with its clouds.yaml key, its
 * command-line flag and its OS_* environment variables (first one wins; the
 * others are legacy spellings). One table drives the flags, the environment,
 * the help text, the man page and the error messages that name what is missing.
 *
 * Sources: keystoneauth loading/opts.py (OS_<OPT> for each plugin option),
 * osc-lib shell.py and cli/client_config.py, openstacksdk config/loader.py;
 * see docs/facts/keystone-and-config.md#settings-and-environment.
 */
import { MAIN_AUTH_TYPES } from '../auth/auth-types.js';

export type SettingKey =
  | 'auth_type'
  | 'auth_url'
  | 'username'
  | 'user_id'
  | 'password'
  | 'user_domain_name'
  | 'user_domain_id'
  | 'project_name'
  | 'project_id'
  | 'project_domain_name'
  | 'project_domain_id'
  | 'domain_name'
  | 'domain_id'
  | 'system_scope'
  | 'default_domain'
  | 'default_domain_id'
  | 'default_domain_name'
  | 'token'
  | 'application_credential_id'
  | 'application_credential_name'
  | 'application_credential_secret'
  | 'passcode'
  | 'auth_methods'
  | 'region_name'
  | 'interface'
  | 'cacert'
  | 'cert'
  | 'key'
  | 'insecure'
  | 'compute_api_version'
  | 'identity_api_version';

export interface Setting {
  key: SettingKey;
  /** Lives under `auth:` in clouds.yaml. */
  auth: boolean;
  flag: string;
  /** Placeholder shown in --help; undefined for boolean flags. */
  arg?: string;
  env: string[];
  description: string;
  /** Never printed, logged or stored. */
  secret?: boolean;
}

const s = (
  key: SettingKey,
  auth: boolean,
  env: string[],
  description: string,
  extra: Partial<Setting> = {},
): Setting => ({
  key,
  auth,
  flag: `--os-${key.replace(/_/g, '-')}`,
  env,
  description,
  ...extra,
});

export const SETTINGS: readonly Setting[] = [
  s('auth_type', false, ['OS_AUTH_TYPE', 'OS_AUTH_PLUGIN'], `auth plugin: ${MAIN_AUTH_TYPES.join(', ')}`, {
    arg: 'type',
  }),
  s('auth_url', true, ['OS_AUTH_URL'], 'Keystone URL, with or without /v3', { arg: 'url' }),
  s('username', true, ['OS_USERNAME'], 'user name', { arg: 'name' }),
  s('user_id', true, ['OS_USER_ID'], 'user id', { arg: 'id' }),
  s('password', true, ['OS_PASSWORD'], 'password (prefer the prompt: flags are visible to other users)', {
    arg: 'password',
    secret: true,
  }),
  s('user_domain_name', true, ['OS_USER_DOMAIN_NAME'], "the user's domain name", { arg: 'name' }),
  s('user_domain_id', true, ['OS_USER_DOMAIN_ID'], "the user's domain id", { arg: 'id' }),
  s('project_name', true, ['OS_PROJECT_NAME', 'OS_TENANT_NAME'], 'project to scope to, by name', { arg: 'name' }),
  s('project_id', true, ['OS_PROJECT_ID', 'OS_TENANT_ID'], 'project to scope to, by id', { arg: 'id' }),
  s('project_domain_name', true, ['OS_PROJECT_DOMAIN_NAME'], "the project's domain name", { arg: 'name' }),
  s('project_domain_id', true, ['OS_PROJECT_DOMAIN_ID'], "the project's domain id", { arg: 'id' }),
  s('domain_name', true, ['OS_DOMAIN_NAME'], 'domain to scope to, by name', { arg: 'name' }),
  s('domain_id', true, ['OS_DOMAIN_ID'], 'domain to scope to, by id', { arg: 'id' }),
  s('system_scope', true, ['OS_SYSTEM_SCOPE'], 'system scope (all)', { arg: 'all' }),
  s(
    'default_domain',
    true,
    ['OS_DEFAULT_DOMAIN'],
    'domain id for user and project names given without one (default: default)',
    { arg: 'id' },
  ),
  s('default_domain_id', true, ['OS_DEFAULT_DOMAIN_ID'], 'same as --os-default-domain', { arg: 'id' }),
  s(
    'default_domain_name',
    true,
    ['OS_DEFAULT_DOMAIN_NAME'],
    'domain name for user and project names given without one',
    { arg: 'name' },
  ),
  s('token', true, ['OS_TOKEN', 'OS_AUTH_TOKEN'], 'an existing token to rescope (auth type token)', {
    arg: 'token',
    secret: true,
  }),
  s('application_credential_id', true, ['OS_APPLICATION_CREDENTIAL_ID'], 'application credential id', { arg: 'id' }),
  s(
    'application_credential_name',
    true,
    ['OS_APPLICATION_CREDENTIAL_NAME'],
    'application credential name (with the user)',
    { arg: 'name' },
  ),
  s('application_credential_secret', true, ['OS_APPLICATION_CREDENTIAL_SECRET'], 'application credential secret', {
    arg: 'secret',
    secret: true,
  }),
  s('passcode', true, ['OS_PASSCODE'], 'TOTP passcode (multi-factor auth)', { arg: 'code', secret: true }),
  s('auth_methods', true, ['OS_AUTH_METHODS'], 'methods for v3multifactor, e.g. v3password,v3totp', { arg: 'list' }),
  s('region_name', false, ['OS_REGION_NAME'], 'region of the endpoints to use', { arg: 'name' }),
  s(
    'interface',
    false,
    ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'],
    'endpoint interface: public, internal or admin (default: public)',
    { arg: 'interface' },
  ),
  s('cacert', false, ['OS_CACERT'], 'CA bundle to verify TLS with', { arg: 'file' }),
  s('cert', false, ['OS_CERT'], 'client certificate for TLS', { arg: 'file' }),
  s('key', false, ['OS_KEY'], 'client certificate key for TLS', { arg: 'file' }),
  {
    key: 'insecure',
    auth: false,
    flag: '--insecure',
    env: ['OS_INSECURE'],
    description: 'do not verify TLS certificates (warns every time)',
  },
  s('compute_api_version', false, ['OS_COMPUTE_API_VERSION'], 'pin the compute microversion (X.Y)', { arg: 'X.Y' }),
  s('identity_api_version', false, ['OS_IDENTITY_API_VERSION'], 'identity API version; only 3 is supported', {
    arg: 'version',
  }),
];

/**
 * The TLS settings that name files. With `insecure`, they make the one TLS
 * shape (http/client.ts TlsOptions) that the resolver builds, the session
 * cache stores and the HTTP client reads: a new one is a row above, a name
 * here, and its use in the client.
 */
export const TLS_FILES = ['cacert', 'cert', 'key'] as const satisfies readonly SettingKey[];
export type TlsFile = (typeof TLS_FILES)[number];

export const SETTING_BY_KEY: ReadonlyMap<SettingKey, Setting> = new Map(SETTINGS.map((x) => [x.key, x]));

/** Variables that only choose a cloud or a file; they never make an `envvars` cloud by themselves. */
export const SELECTOR_VARS = ['OS_CLOUD', 'OS_CLOUD_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE'];

/** Boolean settings from text (flags and environment variables): 1, true, yes, on, y, any case. */
export function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on|y)$/i.test(value.trim());
}

/** "pass --os-username or set OS_USERNAME": how to supply a setting, for error messages. */
export function howToSet(key: SettingKey): string {
  const st = SETTING_BY_KEY.get(key);
  if (!st) return key;
  return `pass ${st.flag} or set ${st.env[0]}`;
}

/** The commander option attribute for a setting (`--os-user-domain-name` → `osUserDomainName`). */
export function attributeOf(st: Setting): string {
  return st.flag
    .replace(/^--/, '')
    .split('-')
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
}
