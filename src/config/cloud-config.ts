/**
 * Resolving the cloud to talk to and its settings, with the documented
 * precedence: command-line flags > OS_* environment > clouds.yaml (+ secure.yaml).
 *
 * Which cloud: --os-cloud, else OS_CLOUD, else the `envvars` cloud (renamed by
 * OS_CLOUD_NAME) when OS_AUTH_URL is set or --os-auth-url is given, else the
 * only cloud in clouds.yaml.
 *
 * Layers merge key by key, but related keys travel together: a layer that names
 * the project by name also drops a project id from a lower layer (and likewise
 * for users, domains and application credentials), so an openrc never mixes with
 * a clouds.yaml entry into a scope nobody asked for.
 */
import { resolve as resolvePath } from 'node:path';
import { OsconsoleError } from '../errors.js';
import type { Env } from '../output/output.js';
import type { CloudEntry, CloudsFile, CloudsFileContext } from './clouds-yaml.js';
import { isRecord, loadCloudsFile } from './clouds-yaml.js';
import type { SettingKey } from './settings.js';
import { SETTINGS, truthy } from './settings.js';

export const AUTH_TYPES = ['password', 'v3password', 'token', 'v3token', 'v3applicationcredential', 'v3totp', 'v3multifactor'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];
export type Interface = 'public' | 'internal' | 'admin';
export type Source = 'flag' | 'env' | 'clouds.yaml';

export type Values = Partial<Record<SettingKey, string>>;

export interface CloudConfig {
  name: string;
  /** Where the cloud was defined: a clouds.yaml path, or 'environment'. */
  origin: string;
  authType: AuthType;
  values: Values;
  /** Which layer each value came from. */
  sources: Partial<Record<SettingKey, Source>>;
  regionName?: string;
  interface: Interface;
  tls: { verify: boolean; cacert?: string; cert?: string; key?: string };
  computeApiVersion?: string;
}

export interface ResolveInput extends CloudsFileContext {
  /** Values given on the command line (only flags the user actually typed). */
  flags: Values;
  /** --os-cloud */
  cloud?: string;
}

const GROUPS: SettingKey[][] = [
  ['project_id', 'project_name'],
  ['user_id', 'username'],
  ['domain_id', 'domain_name'],
  ['user_domain_id', 'user_domain_name'],
  ['project_domain_id', 'project_domain_name'],
  ['application_credential_id', 'application_credential_name'],
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

/** Which cloud a command means, before reading anything. */
export function selectCloudName(input: { env: Env; flags: Values; cloud?: string }, file: CloudsFile | undefined): string {
  const named = input.cloud ?? (input.env.OS_CLOUD || undefined);
  if (named) return named;
  if (input.flags.auth_url || input.env.OS_AUTH_URL) return envCloudName(input.env);
  if (file && file.names.length === 1) return file.names[0] as string;
  if (file && file.names.length > 1) {
    throw new OsconsoleError('E_AUTH', `${file.file} defines several clouds (${file.names.join(', ')}) and none was chosen`, {
      hint: 'pass --os-cloud NAME or set OS_CLOUD',
    });
  }
  throw new OsconsoleError('E_AUTH', 'no cloud configured: no --os-cloud/OS_CLOUD, no OS_AUTH_URL and no clouds.yaml', {
    hint: 'pass --os-auth-url (OS_AUTH_URL) or --os-cloud (OS_CLOUD), or run osconsole login on a terminal',
  });
}

export async function resolveCloud(input: ResolveInput): Promise<CloudConfig> {
  const file = await loadCloudsFile(input);
  const name = selectCloudName(input, file);
  const isEnv = name === envCloudName(input.env) && !file?.names.includes(name);
  let fileLayer: Values = {};
  let origin = 'environment';
  if (!isEnv) {
    const entry = file?.get(name);
    if (!entry) {
      const where = file ? `${file.file} (clouds: ${file.names.join(', ') || 'none'})` : 'any clouds.yaml (none found)';
      throw new OsconsoleError('E_USAGE', `cloud "${name}" is not defined in ${where}`, { hint: 'check --os-cloud / OS_CLOUD' });
    }
    fileLayer = normalizeEntry(entry);
    origin = entry.file;
  }
  const layers: Array<[Source, Values]> = [
    ['clouds.yaml', fileLayer],
    ['env', envValues(input.env)],
    ['flag', input.flags],
  ];
  const { values, sources } = mergeLayers(layers);
  return finish(name, origin, values, sources, input.cwd);
}

export function mergeLayers(layers: Array<[Source, Values]>): { values: Values; sources: Partial<Record<SettingKey, Source>> } {
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

function finish(name: string, origin: string, values: Values, sources: Partial<Record<SettingKey, Source>>, cwd: string): CloudConfig {
  const identity = values.identity_api_version;
  if (identity !== undefined && !/^3(\.\d+)?$/.test(identity)) {
    throw new OsconsoleError('E_USAGE', `identity API version ${identity} is not supported: osconsole speaks Keystone v3 only`);
  }
  const iface = normalizeInterface(values.interface);
  const regionName = values.region_name;
  if (values.auth_url?.includes('{region_name}') && regionName) values.auth_url = values.auth_url.replace('{region_name}', regionName);
  const insecure = values.insecure !== undefined && truthy(values.insecure);
  return {
    name,
    origin,
    authType: authTypeOf(values),
    values,
    sources,
    regionName,
    interface: iface,
    // Relative paths are relative to where the command ran; the session stores them absolute.
    tls: {
      verify: !insecure,
      cacert: absolute(values.cacert, cwd),
      cert: absolute(values.cert, cwd),
      key: absolute(values.key, cwd),
    },
    computeApiVersion: computeVersionOf(values.compute_api_version),
  };
}

/** The auth type: as configured (legacy names accepted), else guessed as osc-lib does. */
function authTypeOf(values: Values): AuthType {
  const raw = values.auth_type;
  if (raw === undefined || raw === '') {
    if ((values.application_credential_id || values.application_credential_name) && values.application_credential_secret !== undefined) {
      return 'v3applicationcredential';
    }
    if (values.token && !values.username && !values.user_id) return 'token';
    return 'password';
  }
  const t = raw.replace(/-/g, '_').toLowerCase();
  const alias: Record<string, AuthType> = { token_endpoint: 'token', v3applicationcredential: 'v3applicationcredential' };
  const type = (alias[t] ?? t) as AuthType;
  if (!AUTH_TYPES.includes(type)) {
    throw new OsconsoleError('E_USAGE', `auth type "${raw}" is not supported`, { hint: `use one of: ${AUTH_TYPES.join(', ')}` });
  }
  return type;
}

/** publicURL/internalURL/adminURL are accepted spellings (keystoneauth normalises them). */
export function normalizeInterface(raw: string | undefined): Interface {
  if (raw === undefined || raw === '') return 'public';
  const v = raw.toLowerCase().replace(/url$/, '');
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new OsconsoleError('E_USAGE', `interface "${raw}" is not one of public, internal, admin`);
}

/** `2.79` pins; `2`, `2.0` and `latest` pin nothing (openstacksdk get_api_version). */
export function computeVersionOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '' || raw === 'latest' || raw === '2' || raw === '2.0') return undefined;
  if (!/^\d+\.\d+$/.test(raw)) throw new OsconsoleError('E_USAGE', `compute API version "${raw}" is not of the form X.Y`);
  return raw;
}

export function absolute(path: string | undefined, cwd: string): string | undefined {
  return path === undefined || path === '' ? undefined : resolvePath(cwd, path);
}


// ---- clouds.yaml entries ----

const LEGACY_AUTH_KEYS: Record<string, SettingKey> = {
  tenant_name: 'project_name',
  tenant_id: 'project_id',
  project_domain: 'project_domain_name',
  user_domain: 'user_domain_name',
  auth_token: 'token',
};

const LEGACY_TOP_KEYS: Record<string, string> = {
  auth_plugin: 'auth_type',
  endpoint_type: 'interface',
};

/**
 * A clouds.yaml entry in our keys: `-` and `_` are equivalent, tenant_* means
 * project_*, endpoint_type means interface, auth keys may sit at the top level,
 * and `regions:` gives the default region (openstacksdk loader.py magic_fixes).
 */
export function normalizeEntry(entry: CloudEntry): Values {
  const top = underscoreKeys(entry.values);
  for (const [old, neu] of Object.entries(LEGACY_TOP_KEYS)) {
    if (top[old] !== undefined && top[neu] === undefined) top[neu] = top[old];
  }
  const authRaw = top.auth ?? {};
  if (!isRecord(authRaw)) throw entryType(entry, 'auth', 'a mapping');
  const auth = underscoreKeys(authRaw);
  for (const [old, neu] of Object.entries(LEGACY_AUTH_KEYS)) {
    for (const src of [auth, top]) {
      if (src[old] !== undefined && auth[neu] === undefined) auth[neu] = src[old];
    }
  }
  const out: Values = {};
  for (const st of SETTINGS) {
    // Auth settings may also be written at the top level of the cloud.
    const raw = st.auth ? (auth[st.key] ?? top[st.key]) : top[st.key];
    if (raw === undefined || isYamlNull(raw) || st.key === 'insecure') continue;
    out[st.key] = scalar(entry, st.auth && auth[st.key] !== undefined ? `auth.${st.key}` : st.key, raw);
  }
  if (out.region_name === undefined && top.regions !== undefined) {
    const regions = top.regions;
    if (!Array.isArray(regions)) throw entryType(entry, 'regions', 'a list');
    const first: unknown = regions[0];
    const name = isRecord(first) ? first.name : first;
    if (name !== undefined) out.region_name = scalar(entry, 'regions', name);
  }
  const verify = yamlBool(entry, 'verify', top.verify);
  const insecure = yamlBool(entry, 'insecure', top.insecure);
  // `insecure: true` is the deprecated inverse of verify, and wins (openstacksdk get_requests_verify_args).
  if (insecure !== undefined) out.insecure = String(insecure);
  else if (verify === false) out.insecure = 'true';
  else delete out.insecure;
  return out;
}

/** A YAML boolean as PyYAML (YAML 1.1) reads it: true/false, yes/no, on/off, any case. */
function yamlBool(entry: CloudEntry, path: string, value: unknown): boolean | undefined {
  if (value === undefined || isYamlNull(value)) return undefined;
  if (typeof value === 'boolean') return value;
  const v = String(value).toLowerCase();
  if (['true', 'yes', 'on', 'y'].includes(v)) return true;
  if (['false', 'no', 'off', 'n'].includes(v)) return false;
  throw entryType(entry, path, 'true or false');
}

function isYamlNull(value: unknown): boolean {
  return value === null || value === '' || value === '~' || (typeof value === 'string' && /^(null|Null|NULL)$/.test(value));
}

function underscoreKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k.replace(/-/g, '_')] = v;
  return out;
}

function scalar(entry: CloudEntry, path: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw entryType(entry, path, 'a string');
}

function entryType(entry: CloudEntry, path: string, expected: string): OsconsoleError {
  const line = entry.lineOf(path);
  return new OsconsoleError('E_USAGE', `${entry.file}${line ? `:${line}` : ''}: clouds.${entry.name}.${path} must be ${expected}`);
}
