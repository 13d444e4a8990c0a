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
import type { AuthType } from '../auth/auth-types.js';
import { AUTH_TYPES, isAuthType } from '../auth/auth-types.js';
import { OsconsoleError } from '../errors.js';
import type { Env } from '../deps.js';
import { LEGACY_AUTH_KEYS, LEGACY_TOP_KEYS, authKeyVerdict, topKeyVerdict } from './cloud-keys.js';
import type { CloudEntry, CloudsFile, CloudsFileContext } from './clouds-yaml.js';
import { isRecord, loadCloudsFile, noCloudsError, record } from './clouds-yaml.js';
import type { SettingKey } from './settings.js';
import { SETTINGS, SETTING_BY_KEY, truthy } from './settings.js';

export type { AuthType } from '../auth/auth-types.js';
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
export function selectCloudName(
  input: { env: Env; flags: Values; cloud?: string },
  file: CloudsFile | undefined,
): string {
  const named = input.cloud ?? (input.env.OS_CLOUD || undefined);
  if (named) return named;
  if (input.flags.auth_url || input.env.OS_AUTH_URL) return envCloudName(input.env);
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
  });
}

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
      });
    }
    const read = normalizeEntry(entry, input.flags.region_name ?? env.region_name);
    fileLayer = read.values;
    fileWhere = read.where;
    origin = entry.file;
  }
  const layers: Array<[Source, Values]> = [
    ['clouds.yaml', fileLayer],
    ['env', env],
    ['flag', input.flags],
  ];
  const { values, sources } = mergeLayers(layers);
  const where = (key: SettingKey): string => {
    const st = SETTING_BY_KEY.get(key);
    if (sources[key] === 'flag') return st?.flag ?? key;
    if (sources[key] === 'env') return st?.env.find((v) => input.env[v]) ?? key;
    return fileWhere(key);
  };
  return finish(name, origin, values, sources, input.cwd, where);
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
  cwd: string,
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
    if (
      (values.application_credential_id || values.application_credential_name) &&
      values.application_credential_secret !== undefined
    ) {
      return 'v3applicationcredential';
    }
    if (values.token && !values.username && !values.user_id) return 'token';
    return 'password';
  }
  const t = raw.replace(/-/g, '_').toLowerCase();
  const alias: Record<string, AuthType> = {
    token_endpoint: 'token',
    v3applicationcredential: 'v3applicationcredential',
  };
  const type = Object.hasOwn(alias, t) ? alias[t] : t;
  if (type === undefined || !isAuthType(type)) {
    throw new OsconsoleError('E_USAGE', `auth type "${raw}" is not supported`, {
      hint: `use one of: ${AUTH_TYPES.join(', ')}`,
    });
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
  if (!/^\d+\.\d+$/.test(raw))
    throw new OsconsoleError('E_USAGE', `compute API version "${raw}" is not of the form X.Y`);
  return raw;
}

/**
 * The form of an auth URL, checked before any request: http or https, with a
 * host. `where` names the flag, variable or file key it came from. Whether it
 * is a Keystone endpoint is for version discovery to find out.
 */
export function checkAuthUrl(raw: string, where: string): void {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return;
  // Whatever precedes an @ may be a password: never echo it.
  const shown = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1***@').slice(0, 200);
  throw new OsconsoleError('E_USAGE', `${where} "${shown}" is not an http:// or https:// URL with a host`, {
    hint: 'write it in full, e.g. https://keystone.example.com:5000/v3',
  });
}

export function absolute(path: string | undefined, cwd: string): string | undefined {
  return path === undefined || path === '' ? undefined : resolvePath(cwd, path);
}

// ---- clouds.yaml entries ----

/**
 * A clouds.yaml entry in our keys: `-` and `_` are equivalent, tenant_* means
 * project_*, endpoint_type means interface, auth keys may sit at the top level,
 * and `regions:` lists the regions, the first being the default
 * (openstacksdk loader.py magic_fixes, _get_region). Keys are checked first
 * (cloud-keys.ts): unsupported ones are refused by name. `where` names the
 * file, line and key a value was read from, for error messages.
 */
export function normalizeEntry(
  entry: CloudEntry,
  wantedRegion?: string,
): { values: Values; where: (key: SettingKey) => string } {
  checkKeys(entry, entry.values, '');
  let top = underscoreKeys(entry.values);
  const region = selectRegion(entry, top, wantedRegion);
  if (region) top = overRegion(top, region.values);
  for (const [old, neu] of Object.entries(LEGACY_TOP_KEYS)) {
    if (top[old] !== undefined && top[neu] === undefined) top[neu] = top[old];
  }
  const authRaw = top.auth ?? record();
  if (!isRecord(authRaw)) throw entryType(entry, 'auth', 'a mapping');
  const auth = underscoreKeys(authRaw);
  for (const [old, neu] of Object.entries(LEGACY_AUTH_KEYS)) {
    for (const src of [auth, top]) {
      if (src[old] !== undefined && auth[neu] === undefined) auth[neu] = src[old];
    }
  }
  const out: Values = {};
  const paths: Partial<Record<SettingKey, string>> = {};
  for (const st of SETTINGS) {
    // Auth settings may also be written at the top level of the cloud.
    const raw = st.auth ? (auth[st.key] ?? top[st.key]) : top[st.key];
    if (raw === undefined || isYamlNull(raw) || st.key === 'insecure') continue;
    const path = st.auth && auth[st.key] !== undefined ? `auth.${st.key}` : st.key;
    out[st.key] = scalar(entry, path, raw);
    paths[st.key] = path;
  }
  if (region) out.region_name = region.name;
  const verify = yamlBool(entry, 'verify', top.verify);
  const insecure = yamlBool(entry, 'insecure', top.insecure);
  // `insecure: true` is the deprecated inverse of verify, and wins (openstacksdk get_requests_verify_args).
  if (insecure !== undefined) out.insecure = String(insecure);
  else if (verify === false) out.insecure = 'true';
  else delete out.insecure;
  return { values: out, where: (key) => at(entry, paths[key] ?? key) };
}

/** Refuses, by name, the keys osconsole does not support (cloud-keys.ts has the rule). */
function checkKeys(entry: CloudEntry, values: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(values)) {
    const top = topKeyVerdict(key.replace(/-/g, '_'));
    if (!top.ok) throw new OsconsoleError('E_USAGE', `${at(entry, prefix + key)}: ${top.why}`);
    if (key.replace(/-/g, '_') !== 'auth' || !isRecord(value)) continue;
    for (const authKey of Object.keys(value)) {
      const verdict = authKeyVerdict(authKey.replace(/-/g, '_'));
      if (!verdict.ok)
        throw new OsconsoleError('E_USAGE', `${at(entry, `${prefix}${key}.${authKey}`)}: ${verdict.why}`);
    }
  }
}

interface Region {
  name: string;
  values: Record<string, unknown>;
}

/**
 * The region chosen from `regions:` (openstacksdk _get_region): the one named by
 * --os-region-name, OS_REGION_NAME or the cloud's region_name, else the first.
 * Its `values` apply over the cloud's settings. undefined: no `regions:` list.
 */
function selectRegion(entry: CloudEntry, top: Record<string, unknown>, wanted: string | undefined): Region | undefined {
  const list = top.regions;
  if (list === undefined || isYamlNull(list)) return undefined;
  if (!Array.isArray(list)) throw entryType(entry, 'regions', 'a list');
  const regions = list.map((item: unknown, i) => expandRegion(entry, item, i));
  if (regions.length === 0) return undefined;
  const name =
    wanted ??
    (top.region_name !== undefined && !isYamlNull(top.region_name)
      ? scalar(entry, 'region_name', top.region_name)
      : undefined);
  if (name === undefined || name === '') return regions[0];
  const found = regions.find((r) => r.name === name);
  if (found) return found;
  throw new OsconsoleError(
    'E_USAGE',
    `region "${name}" is not one of the regions of cloud "${entry.name}" (${regions.map((r) => r.name).join(', ')}) in ${entry.file}`,
    {
      hint: 'region names are case-sensitive; check --os-region-name / OS_REGION_NAME',
    },
  );
}

function expandRegion(entry: CloudEntry, item: unknown, i: number): Region {
  if (!isRecord(item)) return { name: scalar(entry, `regions.${i}`, item), values: record() };
  const extra = Object.keys(item).filter((k) => k !== 'name' && k !== 'values');
  if (extra.length > 0 || item.name === undefined) {
    const why = extra.length > 0 ? `unexpected key: ${extra.join(', ')}` : 'no name';
    throw new OsconsoleError(
      'E_USAGE',
      `${at(entry, `regions.${i}`)} must be a region name or a mapping with name and values (${why})`,
    );
  }
  const values = item.values ?? record();
  if (!isRecord(values)) throw entryType(entry, `regions.${i}.values`, 'a mapping');
  checkKeys(entry, values, `regions.${i}.values.`);
  return { name: scalar(entry, `regions.${i}.name`, item.name), values: underscoreKeys(values) };
}

/** The region's values over the cloud's: key by key, `auth` merged one level down (openstacksdk _auth_update). */
function overRegion(top: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const out = underscoreKeys(top);
  for (const [k, v] of Object.entries(values)) {
    if (k === 'region_name' || k === 'regions') continue;
    if (k === 'auth' && isRecord(v) && isRecord(out.auth)) {
      const auth = underscoreKeys(out.auth);
      for (const [ak, av] of Object.entries(v)) auth[ak] = av;
      out.auth = auth;
    } else {
      out[k] = v;
    }
  }
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
  return (
    value === null || value === '' || value === '~' || (typeof value === 'string' && /^(null|Null|NULL)$/.test(value))
  );
}

function underscoreKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out = record();
  for (const [k, v] of Object.entries(obj)) out[k.replace(/-/g, '_')] = v;
  return out;
}

function scalar(entry: CloudEntry, path: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw entryType(entry, path, 'a string');
}

/** `file:line: clouds.NAME.path`, list indexes shown as [i]. */
function at(entry: CloudEntry, path: string): string {
  const line = entry.lineOf(path);
  return `${entry.file}${line ? `:${line}` : ''}: clouds.${entry.name}.${path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`;
}

function entryType(entry: CloudEntry, path: string, expected: string): OsconsoleError {
  return new OsconsoleError('E_USAGE', `${at(entry, path)} must be ${expected}`);
}
