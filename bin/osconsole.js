#!/usr/bin/env node
// Entry point: the only code that touches process.exitCode.
let cli, deps;
try {
  [cli, deps] = await Promise.all([import('../dist/src/cli.js'), import('../dist/src/deps.js')]);
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write('osconsole: the built code is missing (dist/); run: npm ci (or npm run build)\n');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2), deps.createDeps());
