#!/usr/bin/env node
// Entry point: the only code that touches process.exitCode.
// CommonJS (bin/package.json), as is dist/bundle/boot.cjs: an ES entry starts Node's ES
// module loader, which reads files through fs/promises (and that loads readline): 5 ms
// of every start on Node 22, 12 ms on Node 20 (README "Speed"). Cold commands still
// import the ES chunks.
'use strict';
const { setFlagsFromString } = require('node:v8');

// undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising WASM
// tier then compiles it again in the background, which costs a short-lived CLI
// ~70 ms and ~35 MiB at exit for no gain over a few requests. The baseline
// compiler alone is enough (figures: README "Speed"). Node 24's V8 no longer
// honours --liftoff-only set at run time; a tiering budget no function reaches
// keeps it on the baseline all the same (a cached console get: 375 → 248 ms).
setFlagsFromString('--liftoff-only');
setFlagsFromString('--wasm-tiering-budget=1000000000');

// Node ignores SIGPIPE, so a reader that went away (`| head -1`) or a full disk
// arrives as an 'error' event on the stream, maybe after main() returned, and
// unhandled it is a stack trace. README "Exit status": EPIPE on stdout is not
// an error (the status stays the command's own); any other write error on
// stdout is exit 1 with one line.
let stdoutError; // the first one; later writes to the dead stream may fail again
let stdoutFailed = false;
process.stdout.on('error', (err) => {
  if (stdoutError) return;
  stdoutError = err;
  if (err?.code === 'EPIPE') return;
  stdoutFailed = true;
  process.stderr.write(`osconsole: cannot write to stdout: ${describeErrno(err)}\n`);
  process.exitCode = 1;
});
// A failing stderr leaves nowhere to report anything; the exit status still tells.
process.stderr.on('error', () => undefined);

function describeErrno(err) {
  // "no space left on device (ENOSPC)": libuv's text, as coreutils prints strerror.
  const errors = require('node:util').getSystemErrorMap();
  const known = typeof err?.errno === 'number' ? errors.get(err.errno) : undefined;
  return known ? `${known[1]} (${known[0]})` : String(err?.message ?? err);
}

// `--version` alone needs nothing but package.json.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // No process.exit(): a write error is reported on the next tick.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  let boot;
  try {
    boot = require('../dist/bundle/boot.cjs');
  } catch (err) {
    if (err?.code !== 'MODULE_NOT_FOUND') throw err;
    process.stderr.write('osconsole: the built code is missing (dist/bundle); run: npm ci (or npm run build)\n');
    process.exit(1);
  }
  run(boot);
}

async function run(boot) {
  // The hot commands compile from one file with a V8 code cache; the rest load lazy chunks.
  const loaded = await boot.loadCli(argv);
  if (process.env.OSCONSOLE_BOOT_TRACE)
    process.stderr.write(`osconsole: loaded ${loaded.how} (${loaded.ms.toFixed(1)} ms)\n`);
  const code = await loaded.cli.main(argv, loaded.cli.createDeps());
  loaded.done(code);
  process.exitCode = stdoutFailed && code === 0 ? 1 : code;
}
