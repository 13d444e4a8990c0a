#!/usr/bin/env node
// Entry point: the only code that touches process.exitCode.
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising WASM
// tier then compiles it again in the background, which costs a short-lived CLI
// ~70 ms and ~35 MiB at exit for no gain over a few requests. The baseline
// compiler alone is enough (figures: README "Speed").
setFlagsFromString('--liftoff-only');

// `--version` alone needs nothing but package.json.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

let cli;
try {
  cli = await import('../dist/bundle/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write('osconsole: the built code is missing (dist/bundle); run: npm ci (or npm run build)\n');
  process.exit(1);
}
process.exitCode = await cli.main(argv, cli.createDeps());
