/**
 * `npm run demo`: osconsole against the bundled cloud simulator, start to
 * finish, with the commands shown as they run. It starts the simulator on a
 * free loopback port, logs in from an openrc-style environment, fetches a
 * noVNC URL, logs in as an admin and fetches a spice-direct console with its
 * connection tuple, inspects that console's token, and stops the simulator.
 * Nothing outside a temporary directory is touched.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator } from './index.js';

const BIN = fileURLToPath(new URL('../../../bin/osconsole.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'osconsole-demo-'));
const sim = await Simulator.start();
let failed = false;

/** Runs the CLI as a child process; async, since the simulator answers from this process. */
async function run(title: string, args: string[], env: Record<string, string>, input?: string): Promise<string> {
  const shown = Object.entries(env)
    .filter(([k]) => k === 'OS_CLOUD_NAME' || k === 'OS_USERNAME' || k === 'OS_PROJECT_NAME')
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  const piped = input === undefined ? '' : `printf '${input.replace(/\r/g, '\\r')}' | `;
  process.stdout.write(
    `\n# ${title}\n$ ${piped}${shown}osconsole ${args.map((a) => (/[\s$&|<>]/.test(a) ? `'${a}'` : a)).join(' ')}\n`,
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      OSCONSOLE_CONFIG_DIR: join(home, 'config'),
      NO_COLOR: '1',
      ...env,
    },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  const r = { stdout: '', stderr: '', status: 0 as number | null };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
  r.status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr.replace(/^/gm, '  (stderr) ').replace(/ {2}\(stderr\) $/, ''));
  if (r.status !== 0) {
    process.stdout.write(`  exit status ${r.status}\n`);
    failed = true;
  }
  return r.stdout;
}

try {
  process.stdout.write(`osconsole demo: a simulated Keystone and Nova at ${sim.url} (Keystone ${sim.authUrl})\n`);
  const demo = { ...sim.env('demo') };
  await run('log in as demo with OS_* variables, as an openrc would set them', ['login'], demo);
  await run('a noVNC console URL for server web-1 (stdout is the URL alone)', ['console', 'get', 'web-1'], {});
  await run('the same as JSON, for scripts', ['console', 'get', 'web-1', '--type', 'serial', '--json'], {});
  await run(
    "the serial console itself, from a script: keys on stdin, the console's bytes on stdout (a terminal gets raw mode; Ctrl-] quits)",
    ['console', 'attach', 'web-1'],
    {},
    'root\rsecret\runame -a\r',
  );
  process.stdout.write('\n');
  await run(
    'its boot log, through the line a CI script waits for (exit 124 if it does not come within --for)',
    ['console', 'log', 'web-1', '--until', 'cloud-init.* finished', '--for', '10s'],
    {},
  );
  const admin = { ...sim.env('admin'), OS_PROJECT_NAME: 'demo', OS_CLOUD_NAME: 'demo-admin' };
  await run('log in as an admin of project demo (a second session)', ['login'], admin);
  const out = await run(
    'a spice-direct console: the URL, then host<TAB>port<TAB>tls_port',
    ['console', 'get', 'web-1', '--type', 'spice-direct'],
    {},
  );
  const url = out.split('\n')[0] ?? '';
  if (url) await run('what stands behind that console token (admins only)', ['console', 'inspect', url], {});
  await run('the cached sessions', ['status'], {});
  process.stdout.write(
    failed
      ? '\nThe demo FAILED (see above).\n'
      : '\nDone. The simulator stops now; `npm run sim` keeps one running for you.\n',
  );
} finally {
  await sim.stop();
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
