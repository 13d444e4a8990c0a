/**
 * `npm run build`, second step: bundles the compiled CLI (dist/src) and its
 * runtime dependencies into dist/bundle/, one entry plus a chunk per lazily
 * imported module, so a start reads a handful of files instead of hundreds.
 * Start-up figures before and after are in the README ("Speed").
 * `open` stays external: it finds its helper scripts next to its own files.
 */
import { rmSync } from 'node:fs';
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
    b.onLoad({ filter: /.*/, namespace: 'osconsole-stub' }, () => ({
      contents: "module.exports = function connectH2 () { throw new Error('osconsole: HTTP/2 is not supported') }",
      loader: 'js',
    }));
  },
};

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
  plugins: [noHttp2],
  logLevel: 'warning',
});
