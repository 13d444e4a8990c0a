/**
 * A cloud's settings as clouds.yaml writes them, turned into ours, and the
 * checks of single values (interface, compute version, auth URL, auth type).
 * Which layer wins is decided in resolve.ts, and only there.
 */
import { resolve as resolvePath } from 'node:path';
import type { AuthType } from '../auth/auth-types.js';
import { AUTH_TYPES, isAuthType } from '../auth/auth-types.js';
import { OsconsoleError } from '../errors.js';
import { LEGACY_AUTH_KEYS, LEGACY_TOP_KEYS, authKeyVerdict, topKeyVerdict } from './cloud-keys.js';
import type { CloudEntry } from './clouds-yaml.js';
import { isRecord, record } from './clouds-yaml.js';
import type { SettingKey } from './settings.js';
import { SETTINGS } from './settings.js';

export type { AuthType } from '../auth/auth-types.js';
export type Interface = 'public' | 'internal' | 'admin';

export type Values = Partial<Record<SettingKey, string>>;

/** The auth type: as configured (legacy names accepted), else guessed as osc-lib does. */
export function authTypeOf(values: Values): AuthType {
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
