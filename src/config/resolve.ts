/**
 * The one place where settings are resolved, once per command, with the
 * documented precedence: command-line flags > OS_* environment > clouds.yaml
 * (+ secure.yaml) for a login (and a silent renewal); flags > OS_* > the
 * cached session for the commands that use one. Everything downstream reads
 * the resulting Settings (or, for a login, CloudConfig) and never looks at a
 * flag, a variable or the session's stored values again.
 *
 * Which cloud: --os-cloud, else OS_CLOUD, else the `envvars` cloud (renamed by
 * OS_CLOUD_NAME) when OS_AUTH_URL is set or --os-auth-url is given, else (login)
 * the only cloud in clouds.yaml, or (session commands) the current session.
 *
 * Layers merge key by key, but related keys travel together: a layer that names
 * the project by name also drops a project id from a lower layer (and likewise
 * for users, domains and application credentials), so an openrc never mixes with
 * a clouds.yaml entry into a scope nobody asked for.
 */
import type { AuthType } from '../auth/auth-types.js';
import { OsconsoleError } from '../errors.js';
import type { TlsOptions } from '../http/client.js';
import { DEFAULT_TIMEOUT_MS } from '../http/defaults.js';
import type { Interface, Values } from './cloud-config.js';
import {
  absolute,
  authTypeOf,
  checkAuthUrl,
  computeVersionOf,
  normalizeEntry,
  normalizeInterface,
} from './cloud-config.js';
import type { CloudsFile, CloudsFileContext } from './clouds-yaml.js';
import { loadCloudsFile, noCloudsError } from './clouds-yaml.js';
import type { StoredSession } from './session-store.js';
import type { SettingKey } from './settings.js';
import { SETTINGS, SETTING_BY_KEY, TLS_FILES, truthy } from './settings.js';

export type Source = 'flag' | 'env' | 'clouds.yaml';

type Env = CloudsFileContext['env'];

/** What the user typed that bears on the cloud: --os-cloud and the other --os-* flags. */
export interface Selection {
  cloud?: string;
  flags: Values;
}

/** The settings a command runs with, resolved once. */
export interface Settings {
  /** The cloud's name (clouds.yaml entry, `envvars`, or the session's). */
  readonly name: string;
  readonly regionName?: string;
  readonly interface: Interface;
  readonly tls: Readonly<TlsOptions>;
  /** A pinned compute microversion (X.Y), checked against the cloud's range when used. */
  readonly computeApiVersion?: string;
  /** Connect and response timeout, milliseconds. */
  readonly timeoutMs: number;
}

/** Settings for a login: where the cloud was defined and the auth values, each with its layer. */
export interface CloudConfig extends Settings {
  /** A clouds.yaml path, 'environment', or 'prompt'. */
  readonly origin: string;
  readonly authType: AuthType;
  /** Filled in place by the prompts of a login. */
  values: Values;
  readonly sources: Partial<Record<SettingKey, Source>>;
}

export interface ResolveInput extends CloudsFileContext, Selection {
  /** Absent: the HTTP default. */
  timeoutMs?: number;
}

const GROUPS: SettingKey[][] = [
  ['project_id', 'project_name'],
  ['user_id', 'username'],
  ['domain_id', 'domain_name'],
  ['user_domain_id', 'user_domain_name'],
  ['project_domain_id', 'project_domain_name'],
  ['application_credential_id', 'application_credential_name'],
];

/** Settings that say where, as whom and for what a session was made. */
const IDENTITY: readonly SettingKey[] = [
  'auth_url',
  'auth_type',
  'username',
  'user_id',
  'user_domain_name',
  'user_domain_id',
  'project_name',
  'project_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
  'system_scope',
  'application_credential_id',
  'application_credential_name',
];

/** openstacksdk's `envvars` cloud name, unless OS_CLOUD_NAME renames it. */
export function envCloudName(env: Env): string {
  return env.OS_CLOUD_NAME || 'envvars';
}

/** The environment layer: each setting from its first OS_* variable that is set. */
export function envValues(env: Env): Values {
  const out: Values = {};
  for (const st of SETTINGS) {
    const v = st.env.map((name) => env[name]).find((x) => x !== undefined && x !== '');
    if (v !== undefined) out[st.key] = v;
  }
  return out;
}

/** The cloud a selection names (--os-cloud, OS_CLOUD, or `envvars` for an auth URL), or undefined. */
function namedCloud(sel: Selection, env: Env): string | undefined {
  const named = sel.cloud ?? (env.OS_CLOUD || undefined);
  if (named) return named;
  if (sel.flags.auth_url || env.OS_AUTH_URL) return envCloudName(env);
  return undefined;
}

/** The selection means the `envvars` cloud: an auth URL and no cloud named. */
function isEnvSelection(sel: Selection, env: Env): boolean {
  return !sel.cloud && !env.OS_CLOUD && Boolean(sel.flags.auth_url || env.OS_AUTH_URL);
}

/** Which cloud a login means, before reading anything. */
export function selectCloudName(input: { env: Env } & Selection, file: CloudsFile | undefined): string {
  const named = namedCloud(input, input.env);
  if (named) return named;
  if (file && file.names.length === 1) return file.names[0] as string;
  if (file?.withoutClouds) throw noCloudsError(file);
  if (file && file.names.length > 1) {
    throw new OsconsoleError(
      'E_AUTH',
      `${file.file} defines several clouds (${file.names.join(', ')}) and none was chosen`,
      {
        hint: 'pass --os-cloud NAME or set OS_CLOUD',
      },
    );
  }
  throw new OsconsoleError('E_AUTH', 'no cloud configured: no --os-cloud/OS_CLOUD, no OS_AUTH_URL and no clouds.yaml', {
    hint: 'pass --os-auth-url (OS_AUTH_URL) or --os-cloud (OS_CLOUD), or run osconsole login on a terminal',
    reason: 'no-cloud-configured',
  });
}

/**
 * The cloud a session-using command means: --os-cloud/OS_CLOUD, else `envvars`
 * when OS_AUTH_URL is set, else the current session.
 */
export function sessionName(sel: Selection, env: Env, current: string | null): string {
  const named = namedCloud(sel, env);
  if (named) return named;
  if (current) return current;
  throw new OsconsoleError('E_AUTH', 'not logged in', { hint: 'run: osconsole login' });
}

/** sessionName(), falling back to the only cloud of clouds.yaml when nothing is selected or current. */
export async function sessionCloud(input: CloudsFileContext & Selection, current: string | null): Promise<string> {
  try {
    return sessionName(input, input.env, current);
  } catch (err) {
    const clouds = await loadCloudsFile(input).catch(() => undefined);
    if (clouds?.names.length === 1) return clouds.names[0] as string;
    throw err;
  }
}

/** flags > OS_* > clouds.yaml: the cloud a login (or a silent renewal) authenticates to. */
export async function resolveCloud(input: ResolveInput): Promise<CloudConfig> {
  const file = await loadCloudsFile(input);
  const name = selectCloudName(input, file);
  const isEnv = name === envCloudName(input.env) && !file?.names.includes(name);
  const env = envValues(input.env);
  let fileLayer: Values = {};
  let fileWhere = (key: SettingKey): string => key;
  let origin = 'environment';
  if (!isEnv) {
    const entry = file?.get(name);
    if (!entry) {
      if (file?.withoutClouds) throw noCloudsError(file);
      const where = file ? `${file.file} (clouds: ${file.names.join(', ') || 'none'})` : 'any clouds.yaml (none found)';
      throw new OsconsoleError('E_USAGE', `cloud "${name}" is not defined in ${where}`, {
        hint: 'check --os-cloud / OS_CLOUD',
        reason: 'unknown-cloud',
      });
    }
    const read = normalizeEntry(entry, input.flags.region_name ?? env.region_name);
    fileLayer = read.values;
    fileWhere = read.where;
    origin = entry.file;
  }
  const { values, sources } = mergeLayers([
    ['clouds.yaml', fileLayer],
    ['env', env],
    ['flag', input.flags],
  ]);
  const where = (key: SettingKey): string => {
    const st = SETTING_BY_KEY.get(key);
    if (sources[key] === 'flag') return st?.flag ?? key;
    if (sources[key] === 'env') return st?.env.find((v) => input.env[v]) ?? key;
    return fileWhere(key);
  };
  return finish(name, origin, values, sources, input, where);
}

/**
 * resolveCloud(), except that with nothing configured at all a person at a
 * terminal starts from an empty `envvars` cloud (the flags only) and is asked.
 */
export async function resolveForLogin(input: ResolveInput, interactive: boolean): Promise<CloudConfig> {
  try {
    return await resolveCloud(input);
  } catch (err) {
    if (!interactive || !(err instanceof OsconsoleError && err.reason === 'no-cloud-configured')) throw err;
    const sources: Partial<Record<SettingKey, Source>> = {};
    for (const key of Object.keys(input.flags) as SettingKey[]) sources[key] = 'flag';
    return finish(envCloudName(input.env), 'prompt', { ...input.flags }, sources, input, (key) => key);
  }
}

export function mergeLayers(layers: Array<[Source, Values]>): {
  values: Values;
  sources: Partial<Record<SettingKey, Source>>;
} {
  const values: Values = {};
  const sources: Partial<Record<SettingKey, Source>> = {};
  for (const [source, layer] of layers) {
    for (const group of GROUPS) {
      if (group.some((k) => layer[k] !== undefined)) {
        for (const k of group) {
          delete values[k];
          delete sources[k];
        }
      }
    }
    for (const [k, v] of Object.entries(layer) as Array<[SettingKey, string | undefined]>) {
      if (v === undefined) continue;
      values[k] = v;
      sources[k] = source;
    }
  }
  return { values, sources };
}

function finish(
  name: string,
  origin: string,
  values: Values,
  sources: Partial<Record<SettingKey, Source>>,
  input: ResolveInput,
  where: (key: SettingKey) => string,
): CloudConfig {
  const identity = values.identity_api_version;
  if (identity !== undefined && !/^3(\.\d+)?$/.test(identity)) {
    throw new OsconsoleError(
      'E_USAGE',
      `identity API version ${identity} is not supported: osconsole speaks Keystone v3 only`,
    );
  }
  const iface = normalizeInterface(values.interface);
  const regionName = values.region_name;
  if (values.auth_url?.includes('{region_name}') && regionName)
    values.auth_url = values.auth_url.replace('{region_name}', regionName);
  if (values.auth_url !== undefined) checkAuthUrl(values.auth_url, where('auth_url'));
  return {
    name,
    origin,
    authType: authTypeOf(values),
    values,
    sources,
    regionName,
    interface: iface,
    tls: tlsOver(values, input.cwd, { verify: true, cacert: null, cert: null, key: null }),
    computeApiVersion: computeVersionOf(values.compute_api_version),
    timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/**
 * TLS from resolved values over a base (the defaults, or what a login stored).
 * Relative paths are relative to where the command ran; the session stores them absolute.
 */
export function tlsOver(values: Values, cwd: string, base: Readonly<TlsOptions>): TlsOptions {
  const tls: TlsOptions = { ...base, verify: values.insecure !== undefined ? !truthy(values.insecure) : base.verify };
  for (const key of TLS_FILES) tls[key] = absolute(values[key], cwd) ?? base[key] ?? null;
  return tls;
}

/**
 * What this command's flags and environment ask of a cached session, when they
 * say anything about identity: the environment and flags alone for the
 * `envvars` cloud, the whole resolved configuration for a named one.
 * undefined: nothing to check.
 */
export async function askedOfSession(input: CloudsFileContext & Selection, name: string): Promise<Values | undefined> {
  const env = envValues(input.env);
  if (!IDENTITY.some((k) => input.flags[k] !== undefined || env[k] !== undefined)) return undefined;
  if (isEnvSelection(input, input.env) && name === envCloudName(input.env)) {
    return mergeLayers([
      ['env', env],
      ['flag', input.flags],
    ]).values;
  }
  try {
    return (await resolveCloud({ ...input, cloud: name })).values;
  } catch {
    // The session was not made from clouds.yaml (an envvars login, renamed): nothing to compare.
    return undefined;
  }
}

/** The input to renew the session of cloud `name`: the selection, pointed at that cloud. */
export function renewalInput(input: ResolveInput, name: string): ResolveInput {
  return { ...input, cloud: isEnvSelection(input, input.env) && name === envCloudName(input.env) ? undefined : name };
}

/**
 * The settings of a session-using command: flags > OS_* > what the login
 * stored (a later command may change the region, the interface, the TLS
 * settings or the pin without logging in again). clouds.yaml is not read:
 * the session already holds what it said.
 */
export function sessionSettings(
  input: { env: Env; cwd: string; flags: Values; timeoutMs: number },
  session: StoredSession,
): Settings {
  const over = mergeLayers([
    ['env', envValues(input.env)],
    ['flag', input.flags],
  ]).values;
  return {
    name: session.cloud,
    regionName: over.region_name ?? session.region_name ?? undefined,
    interface: normalizeInterface(over.interface ?? session.interface),
    tls: tlsOver(over, input.cwd, session.tls),
    computeApiVersion: computeVersionOf(over.compute_api_version ?? session.compute_api_version ?? undefined),
    timeoutMs: input.timeoutMs,
  };
}

/** A stored session's own settings, nothing layered over them (logout revokes with what the login used). */
export function storedSettings(session: StoredSession, timeoutMs: number): Settings {
  return {
    name: session.cloud,
    regionName: session.region_name ?? undefined,
    interface: normalizeInterface(session.interface),
    tls: tlsOver({}, '', session.tls),
    computeApiVersion: session.compute_api_version ?? undefined,
    timeoutMs,
  };
}
