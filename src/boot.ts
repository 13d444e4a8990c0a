/**
 * How bin/osconsole.js loads the CLI. Compiling the ~700 KB of JavaScript a
 * command runs is the largest start-up cost left (README "Speed"). For the hot
 * commands (`console get`, `status`, `--help`) the whole CLI is compiled from
 * one CommonJS file (dist/bundle/hot.cjs) with vm.Script and a V8 code cache
 * made after the first successful run: V8 then skips parsing and compiling
 * what that run compiled. Other commands load the lazy ES chunks (main.js).
 *
 * The cache lives in the config directory's cache/ (0700), one file per
 * osconsole version, hot.cjs hash, Node version and architecture, 0600,
 * written atomically, at most MAX_CACHE_BYTES, the others removed. A file
 * that is not a regular file of ours, private, and of a sane size is not
 * read. V8 rejects data made for another source length, V8 version or flags
 * (vm.Script cachedDataRejected); that file is then rewritten. The source
 * itself is only ever read from the installed package.
 * OSCONSOLE_NO_CODE_CACHE=1 turns all of it off.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { configDir } from './config/paths.js';
import { VERSION } from './version.js';

export interface Cli {
  main(argv: string[], deps: unknown): Promise<number>;
  createDeps(): unknown;
}

export interface Loaded {
  cli: Cli;
  /** How it was loaded (OSCONSOLE_BOOT_TRACE=1 prints it, with `ms`). */
  how: 'esm' | 'hot, cache used' | 'hot, no cache' | 'hot, cache rejected';
  /** Reading, compiling and running the top level, in ms. */
  ms: number;
  /** After main() returned: write the cache when it was missing or rejected and the run succeeded. */
  done(code: number): void;
}

/** More than the hot path's cache ever is (a few MiB): anything bigger is not ours. */
export const MAX_CACHE_BYTES = 32 * 1024 * 1024;

/** `console get`, `status`, `--help` (and bare `osconsole`): the words, whatever the options around them. */
export function isHot(argv: string[]): boolean {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (words.length === 0) return argv.every((a) => a === '--help' || a === '-h') || argv.length === 0;
  return (words[0] === 'console' && words[1] === 'get') || words[0] === 'status';
}

export async function loadCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Loaded> {
  if (env.OSCONSOLE_NO_CODE_CACHE !== '1' && isHot(argv)) {
    try {
      return loadHot(env);
    } catch {
      // Whatever went wrong with the hot file or its cache, the ES modules still work.
    }
  }
  const t0 = now();
  const cli = (await import(esmEntry())) as Cli;
  return { cli, how: 'esm', ms: now() - t0, done: () => undefined };
}

/** In ms. Not performance.now(): the `performance` global loads perf_hooks, ~3 ms of a start. */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function esmEntry(): string {
  return new URL('./main.js', import.meta.url).href;
}

function loadHot(env: NodeJS.ProcessEnv): Loaded {
  const t0 = now();
  const file = fileURLToPath(new URL('./hot.cjs', import.meta.url));
  // ASCII (the build checks): latin1 makes a one-byte string without decoding UTF-8.
  const source = readFileSync(file, 'latin1');
  const { sha256 } = JSON.parse(readFileSync(join(dirname(file), 'hot.json'), 'utf8')) as { sha256: string };
  const dir = cacheDir(env);
  const name = cacheName(sha256);
  const cachedData = dir === undefined ? undefined : readCache(join(dir, name));
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  // hot.cjs's stand-in for `open` (src/build/bundle.ts) imports the real ES module through here.
  (globalThis as { __osconsoleImportOpen?: () => Promise<unknown> }).__osconsoleImportOpen = () => import('open');
  const module = { exports: {} as Cli };
  (script.runInThisContext() as (...a: unknown[]) => void)(
    module.exports,
    createRequire(file),
    module,
    file,
    dirname(file),
  );
  const rejected = cachedData !== undefined && script.cachedDataRejected === true;
  const how = cachedData === undefined ? 'hot, no cache' : rejected ? 'hot, cache rejected' : 'hot, cache used';
  return {
    cli: module.exports,
    how,
    ms: now() - t0,
    // Not a closure over cachedData: the buffer (~700 KB) can go once V8 has read it.
    done: (code) => {
      if (code !== 0 || dir === undefined || how === 'hot, cache used') return;
      try {
        writeCache(dir, name, script.createCachedData());
      } catch {
        // A cache that cannot be written is only a slower next start.
      }
    },
  };
}

function cacheName(sha256: string): string {
  return `hot-${VERSION}-${sha256.slice(0, 16)}-node${process.version}-${process.arch}.v8`;
}

/** The config directory's cache/, made 0700 if need be; undefined when it is not safely ours. */
function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const base = configDir({ env, homedir: homedir(), platform: process.platform });
  const dir = join(base, 'cache');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of [base, dir]) if (!privateTo(lstatSync(d), true)) return undefined;
  return dir;
}

/** A directory or file of this user's that no one else may write (a directory: nor read). */
function privateTo(st: Stats, directory: boolean): boolean {
  if (process.getuid && st.uid !== process.getuid()) return false;
  if (directory) return st.isDirectory() && (st.mode & 0o077) === 0;
  return st.isFile() && (st.mode & 0o022) === 0;
}

function readCache(path: string): Buffer | undefined {
  try {
    const st = lstatSync(path);
    if (!privateTo(st, false) || st.size === 0 || st.size > MAX_CACHE_BYTES) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, name: string, data: Buffer): void {
  if (data.length === 0 || data.length > MAX_CACHE_BYTES) return;
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, join(dir, name));
  // One file per Node version and architecture: older osconsole builds' go.
  const suffix = name.slice(name.indexOf('-node'));
  for (const other of readdirSync(dir))
    if (other !== name && other.startsWith('hot-') && other.endsWith(suffix)) rmSync(join(dir, other), { force: true });
}
