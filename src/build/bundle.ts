/**
 * `npm run build`, second step: bundles the compiled CLI (dist/src) and its
 * runtime dependencies into dist/bundle/, one entry plus a chunk per lazily
 * imported module, so a start reads a handful of files instead of hundreds.
 * Start-up figures before and after are in the README ("Speed").
 * `open` stays external: it finds its helper scripts next to its own files.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

/**
 * undici's HTTP/2 client loads node:http2 (and with it tls, crypto and http)
 * when undici loads, although only `allowH2: true` ever uses it; osconsole
 * never sets it, so the bundle carries a stub that says so if it is reached.
 */
const noHttp2: Plugin = {
  name: 'osconsole-no-http2',
  setup(b) {
    b.onResolve({ filter: /[\\/]client-h2\.js$/ }, (args) => ({ path: args.path, namespace: 'osconsole-stub' }));
    b.onLoad({ filter: /[\\/]client-h2\.js$/, namespace: 'osconsole-stub' }, () => ({
      contents: "module.exports = function connectH2 () { throw new Error('osconsole: HTTP/2 is not supported') }",
      loader: 'js',
    }));
  },
};

/**
 * `open` stays an ES module of its own (it finds its xdg-open next to its files), and a
 * vm.Script can import() it only through an experimental loader that warns on stderr: in
 * hot.cjs, `open` is a stand-in whose default export asks boot.cjs to import the real one.
 */
const openThroughBoot: Plugin = {
  name: 'osconsole-open-through-boot',
  setup(b) {
    b.onResolve({ filter: /^open$/ }, (args) => ({ path: args.path, namespace: 'osconsole-open' }));
    b.onLoad({ filter: /.*/, namespace: 'osconsole-open' }, () => ({
      contents:
        'module.exports = { default: (...args) => globalThis.__osconsoleImportOpen().then((m) => m.default(...args)) }',
      loader: 'js',
    }));
  },
};

/**
 * @inquirer/prompts' editor prompt (never used: osconsole asks with input, password and
 * select) pulls in @inquirer/external-editor and with it iconv-lite and chardet, ~650 KiB.
 */
const noExternalEditor: Plugin = {
  name: 'osconsole-no-external-editor',
  setup(b) {
    b.onResolve({ filter: /^@inquirer\/external-editor$/ }, (args) => ({
      path: args.path,
      namespace: 'osconsole-stub',
    }));
    b.onLoad({ filter: /^@inquirer\/external-editor$/, namespace: 'osconsole-stub' }, () => ({
      contents: "export function editAsync () { throw new Error('osconsole: the editor prompt is not included') }",
      loader: 'js',
    }));
  },
};

/**
 * Node built-ins that the hot path requires at the top of a module but seldom calls:
 * commander's child_process (executable subcommands), crypto (a temporary file's name,
 * only when a file is written), undici's assert. Each costs 5-12 ms to load on a small
 * machine (`npm run bench`), so in hot.cjs each is a stand-in that loads the real module
 * on first use. `assert(value)` with a truthy value does nothing, so the stand-in checks
 * that itself and loads node:assert only to throw (or for assert.xyz).
 */
const LAZY_BUILTINS = ['assert', 'child_process', 'crypto'];
const lazyBuiltins: Plugin = {
  name: 'osconsole-lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    // require() calls only (the dependencies'): esbuild wraps an ES import of a CommonJS
    // module in __toESM, which reads every key and would load the module at once; osconsole's
    // own code loads these with process.getBuiltinModule where it uses them.
    b.onResolve({ filter }, (args) =>
      args.namespace === 'osconsole-lazy'
        ? { path: args.path, external: true }
        : args.kind === 'require-call'
          ? { path: args.path.replace(/^node:/, ''), namespace: 'osconsole-lazy' }
          : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'osconsole-lazy' }, (args) => ({
      contents: `let real;
const load = () => (real ??= require('node:${args.path}'));
const apply = ${args.path === 'assert' ? '(_, self, a) => (a.length > 0 && a[0] ? undefined : Reflect.apply(load(), self, a))' : '(_, self, a) => Reflect.apply(load(), self, a)'};
module.exports = new Proxy(function () { 'use strict'; }, {
  apply,
  construct: (_, a) => Reflect.construct(load(), a),
  get: (_, k) => load()[k],
  has: (_, k) => k in load(),
  set: (_, k, v) => ((load()[k] = v), true),
  ownKeys: () => [...new Set([...Reflect.ownKeys(load()), 'prototype'])],
  getOwnPropertyDescriptor: (t, k) => (k === 'prototype' ? Reflect.getOwnPropertyDescriptor(t, k) : { ...Reflect.getOwnPropertyDescriptor(load(), k), configurable: true }),
  getPrototypeOf: () => Reflect.getPrototypeOf(load()),
});
`,
      loader: 'js',
    }));
  },
};

/**
 * What hot.cjs leaves to node_modules (osconsole's dependencies, installed with it), as
 * every start reads and scans the whole file: yaml (160 KiB; only clouds.yaml needs it,
 * through an import() that becomes a require()), and undici's llhttp without SIMD (70 KiB
 * of base64; only a CPU whose V8 has no WebAssembly SIMD falls back to it).
 */
const hotLeavesOut: Plugin = {
  name: 'osconsole-hot-leaves-out',
  setup(b) {
    // A stand-in that requires it: an import() left in hot.cjs would need vm's dynamic
    // import callback.
    b.onResolve({ filter: /^yaml$/ }, (args) =>
      args.namespace === 'osconsole-hot-out'
        ? { path: 'yaml', external: true }
        : { path: 'yaml', namespace: 'osconsole-hot-out' },
    );
    b.onLoad({ filter: /.*/, namespace: 'osconsole-hot-out' }, () => ({
      contents: "module.exports = require('yaml');",
      loader: 'js',
    }));
    b.onResolve({ filter: /[\\/]llhttp-wasm\.js$/ }, () => ({
      path: 'undici/lib/llhttp/llhttp-wasm.js',
      external: true,
    }));
  },
};

/** For the CommonJS bundles: import.meta.url has no CommonJS meaning; the file's own URL, from __filename. */
const commonJs = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20.18',
  define: { 'import.meta.url': '__osconsoleUrl' },
  banner: { js: "const __osconsoleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
} as const;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/src/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['open'],
  // CommonJS dependencies (undici, commander, ...) call require(); give ESM chunks one.
  banner: {
    js: "import { createRequire as __osconsoleCreateRequire } from 'node:module'; const require = __osconsoleCreateRequire(import.meta.url);",
  },
  legalComments: 'linked',
  plugins: [noHttp2, noExternalEditor],
  logLevel: 'warning',
});

/**
 * The hot path as one CommonJS file (dist/bundle/hot.cjs), every module in it
 * but what hotLeavesOut leaves to node_modules: boot.cjs compiles it with vm.Script and a V8 code cache, which an ES module
 * cannot have, for `console get`, `status` and `--help` (src/boot.ts). Its
 * SHA-256 goes into hot.json: the cache is keyed by it, as V8's own check of
 * cached data only compares the source's length.
 */
await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/main.js'],
  outfile: `${outdir}/hot.cjs`,
  ...commonJs,
  // No comments or indentation: a third less to read and scan at every start, and pure ASCII
  // (esbuild escapes the rest), which boot.cjs reads as latin1 into a one-byte string, 10× faster
  // than decoding UTF-8.
  minifyWhitespace: true,
  charset: 'ascii',
  legalComments: 'linked',
  plugins: [noHttp2, noExternalEditor, openThroughBoot, lazyBuiltins, hotLeavesOut],
});
const hot = readFileSync(`${outdir}/hot.cjs`);
if (hot.some((byte) => byte > 0x7f)) throw new Error('dist/bundle/hot.cjs is not ASCII: boot.cjs reads it as latin1');
writeFileSync(`${outdir}/hot.json`, `${JSON.stringify({ sha256: createHash('sha256').update(hot).digest('hex') })}\n`);

/**
 * The loader bin/osconsole.js requires first: small, no dependency but Node's, and
 * CommonJS like the bin (see there why). Its import() of main.js and of `open` stay
 * dynamic imports (checked below): `open` is an ES module, which Node 20 cannot require.
 */
await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/boot.js'],
  outfile: `${outdir}/boot.cjs`,
  ...commonJs,
  external: ['open'],
});
const boot = readFileSync(`${outdir}/boot.cjs`, 'utf8');
if (!boot.includes('import("open")') || /require\("open"\)/.test(boot))
  throw new Error('dist/bundle/boot.cjs must import("open"), not require it');
