/**
 * clouds.yaml and secure.yaml, as openstacksdk reads them
 * (openstacksdk openstack/config/loader.py):
 *  - search order: OS_CLIENT_CONFIG_FILE, then ./, the user config dir
 *    ($XDG_CONFIG_HOME/openstack), ~/.config/openstack, /etc/openstack; in each,
 *    clouds.yaml, clouds.yml, clouds.json; the first file found wins (no merge);
 *  - secure.yaml is searched the same way (OS_CLIENT_SECURE_FILE first) and
 *    deep-merged over it, its values winning.
 * Unlike the SDK, a file that cannot be parsed is an error naming the file and
 * line, not silently skipped: a typo should not send you to another cloud.
 *
 * YAML is read as PyYAML's safe_load reads it for the SDK: anchors, aliases and
 * `<<` merge keys (explicit keys win over merged ones; in `<<: [*a, *b]` the
 * earlier mapping wins; the merge is shallow at that mapping). Every mapping is
 * built without a prototype, so a cloud or key named `__proto__`, `constructor`
 * or `toString` is an ordinary name.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OsconsoleError } from '../errors.js';
import type { Env } from '../deps.js';

import type * as YamlNs from 'yaml';

type YamlModule = typeof YamlNs;

export interface CloudsFileContext {
  env: Env;
  cwd: string;
  homedir: string;
}

/** A YAML mapping with the line each key sits on, for error messages. */
export interface CloudEntry {
  name: string;
  /** The cloud's settings, after secure.yaml was merged in. */
  values: Record<string, unknown>;
  file: string;
  /** Line of a key path like `auth.password` (1-based), when known. */
  lineOf(path: string): number | undefined;
}

export interface CloudsFile {
  file: string;
  secureFile?: string;
  names: string[];
  /** The top-level keys of a file that has no `clouds:` mapping (e.g. `cloud:` mistyped). */
  withoutClouds?: string[];
  get(name: string): CloudEntry | undefined;
}

/** The error for a clouds.yaml without a `clouds:` mapping, when a cloud is needed from it. */
export function noCloudsError(file: CloudsFile): OsconsoleError {
  return new OsconsoleError(
    'E_USAGE',
    `${file.file} has no "clouds:" mapping (its top-level keys: ${(file.withoutClouds ?? []).join(', ') || 'none'})`,
  );
}

const EXTS = ['yaml', 'yml', 'json'];

export function searchDirs(ctx: CloudsFileContext): string[] {
  const xdg = ctx.env.XDG_CONFIG_HOME;
  const dirs = [
    ctx.cwd,
    ...(xdg ? [join(xdg, 'openstack')] : []),
    join(ctx.homedir, '.config', 'openstack'),
    '/etc/openstack',
  ];
  return [...new Set(dirs.map((d) => resolve(d)))];
}

function candidates(ctx: CloudsFileContext, base: 'clouds' | 'secure', override: string | undefined): string[] {
  const files = searchDirs(ctx).flatMap((dir) => EXTS.map((ext) => join(dir, `${base}.${ext}`)));
  return override ? [resolve(ctx.cwd, override), ...files] : files;
}

function readFirst(paths: string[]): { file: string; text: string } | undefined {
  for (const file of paths) {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing or unreadable (the SDK skips EACCES too): try the next one.
      if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
    }
  }
  return undefined;
}

/** Loads clouds.yaml (+ secure.yaml); undefined when there is none anywhere. */
export async function loadCloudsFile(ctx: CloudsFileContext): Promise<CloudsFile | undefined> {
  const override = ctx.env.OS_CLIENT_CONFIG_FILE;
  if (override) {
    try {
      readFileSync(resolve(ctx.cwd, override));
    } catch (err) {
      throw new OsconsoleError(
        'E_USAGE',
        `cannot read OS_CLIENT_CONFIG_FILE ${override}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  const found = readFirst(candidates(ctx, 'clouds', override));
  if (!found) return undefined;
  // yaml is CommonJS: its exports are the default export (named ones are not reliable once bundled).
  const YAML = ((await import('yaml')) as unknown as { default: YamlModule }).default;
  const main = parseYaml(YAML, found.file, found.text);
  const secureFound = readFirst(candidates(ctx, 'secure', ctx.env.OS_CLIENT_SECURE_FILE));
  const secure = secureFound ? parseYaml(YAML, secureFound.file, secureFound.text) : undefined;

  const clouds = mappingAt(main, 'clouds');
  const secureClouds = secure ? mappingAt(secure, 'clouds') : record();
  const names = Object.keys(clouds);
  const root = main.data;
  // The SDK only warns about a file without `clouds:`; here it is an error once a cloud is needed from it.
  const withoutClouds = isRecord(root) && !Object.hasOwn(root, 'clouds') ? Object.keys(root) : undefined;
  return {
    file: found.file,
    secureFile: secureFound?.file,
    names,
    ...(withoutClouds ? { withoutClouds } : {}),
    get(name) {
      if (!Object.hasOwn(clouds, name)) return undefined;
      const base = clouds[name];
      if (!isRecord(base)) throw typeError(main, `clouds.${name}`, 'a mapping');
      const extra = Object.hasOwn(secureClouds, name) ? secureClouds[name] : undefined;
      const values = isRecord(extra) ? deepMerge(base, extra) : deepMerge(base, record());
      return {
        name,
        values,
        file: found.file,
        lineOf: (path) => main.lineOf(`clouds.${name}.${path}`) ?? secure?.lineOf(`clouds.${name}.${path}`),
      };
    },
  };
}

interface ParsedYaml {
  file: string;
  data: unknown;
  lineOf(path: string): number | undefined;
}

function parseYaml(YAML: YamlModule, file: string, text: string): ParsedYaml {
  const lineCounter = new YAML.LineCounter();
  // The failsafe schema keeps every scalar as written: `compute_api_version: 2.10` must not
  // become the number 2.1, nor `password: 012345` the number 12345. Booleans and nulls are
  // read by normalizeEntry (YAML 1.1 spellings too, as PyYAML reads them for the SDK).
  // `merge: true` reads `<<` keys as YAML 1.1 (PyYAML) does; the failsafe schema does not by default.
  const doc = YAML.parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    schema: 'failsafe',
    merge: true,
  });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
    const what = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+.*$/, '') ?? 'invalid YAML';
    throw new OsconsoleError('E_USAGE', `${file}:${line}: invalid YAML: ${what}`);
  }
  let data: unknown;
  try {
    // yaml's maxAliasCount (100) stops alias bombs ("billion laughs") before they expand.
    data = withoutPrototypes(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (err) {
    const why = err instanceof ReferenceError ? `its aliases expand too much (an alias bomb?)` : (err as Error).message;
    throw new OsconsoleError('E_USAGE', `${file}: invalid YAML: ${why}`);
  }
  return {
    file,
    data,
    lineOf(path) {
      // A key that came from a merge or an alias is not in the document: use its closest written ancestor.
      for (let keys = path.split('.'); keys.length > 0; keys = keys.slice(0, -1)) {
        const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
        // For a scalar the node is the value; the key's line is the same line in block style.
        const offset = node?.range?.[0];
        if (offset !== undefined) return lineCounter.linePos(offset).line;
      }
      return undefined;
    },
  };
}

const MAX_ALIAS_COUNT = 100;

/** The parsed YAML with every mapping rebuilt without a prototype. */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (!isRecord(value)) return value;
  const out = record();
  for (const [k, v] of Object.entries(value)) out[k] = withoutPrototypes(v);
  return out;
}

/** An empty mapping without a prototype: any key, `__proto__` included, is an own key. */
export function record(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function mappingAt(parsed: ParsedYaml, key: string): Record<string, unknown> {
  const root = parsed.data ?? {};
  if (!isRecord(root)) throw new OsconsoleError('E_USAGE', `${parsed.file}:1: expected a mapping with a "${key}" key`);
  const value = Object.hasOwn(root, key) ? root[key] : undefined;
  if (value === undefined || value === null) return record();
  if (!isRecord(value)) throw typeError(parsed, key, 'a mapping of cloud names');
  return value;
}

function typeError(parsed: ParsedYaml, path: string, expected: string): OsconsoleError {
  const line = parsed.lineOf(path);
  return new OsconsoleError('E_USAGE', `${parsed.file}${line ? `:${line}` : ''}: ${path} must be ${expected}`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** openstacksdk _util.merge_clouds: nested mappings merge, anything else is replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = record();
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(over)) {
    const b = Object.hasOwn(out, k) ? out[k] : undefined;
    out[k] = isRecord(b) && isRecord(v) ? deepMerge(b, v) : v;
  }
  return out;
}
