/**
 * The auth types osconsole accepts: the one list the settings help, the
 * completion, the man page and the login code read. No imports, so option
 * parsing loads nothing else. Names follow keystoneauth's plugin entry points
 * (keystoneauth pyproject.toml, `keystoneauth1.plugin`); see docs/facts/keystone-and-config.md#auth-types.
 */

interface AuthTypeInfo {
  /** The Keystone v3 auth method it sends; v3multifactor sends those of auth_methods. */
  method?: string;
  /** Another name for a type listed before it (keystoneauth registers both). */
  alias?: true;
}

export const AUTH_TYPE_INFO = {
  password: { method: 'password' },
  v3password: { method: 'password', alias: true },
  token: { method: 'token' },
  v3token: { method: 'token', alias: true },
  v3applicationcredential: { method: 'application_credential' },
  v3totp: { method: 'totp' },
  v3multifactor: {},
} as const satisfies Record<string, AuthTypeInfo>;

export type AuthType = keyof typeof AUTH_TYPE_INFO;

export const AUTH_TYPES = Object.keys(AUTH_TYPE_INFO) as AuthType[];

/** The names help text shows: each type once, without its alias. */
export const MAIN_AUTH_TYPES: AuthType[] = AUTH_TYPES.filter((t) => !('alias' in AUTH_TYPE_INFO[t]));

export function isAuthType(name: string): name is AuthType {
  return Object.hasOwn(AUTH_TYPE_INFO, name);
}
