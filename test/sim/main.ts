/**
 * `npm run sim`: runs the simulator in the foreground and prints the
 * `export OS_*=...` lines to use it from another shell.
 *
 *   npm run sim -- [--port N] [--user demo|admin|reader|mfa|noproj|alice]
 *                  [--compute-max-version 2.93] [--token-lifetime SECONDS]
 *                  [--latency MS] [--console-token-ttl SECONDS] [--enforce-session-timeout]
 *
 * The serial proxy answers the `console get --type serial` URLs too, so
 * `osconsole console attach web-1` reaches a fake guest (any login and password).
 */
import { parseArgs } from 'node:util';
import { CREDENTIALS, Simulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OSCONSOLE_SIM_PORT ?? '0' },
    user: { type: 'string', default: 'demo' },
    'compute-max-version': { type: 'string' },
    'token-lifetime': { type: 'string' },
    latency: { type: 'string' },
    'console-token-ttl': { type: 'string' },
    'enforce-session-timeout': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: npm run sim -- [--port N] [--user NAME] [--compute-max-version X.Y] [--token-lifetime S] [--latency MS]\n' +
      '                      [--console-token-ttl S] [--enforce-session-timeout]\n',
  );
  process.exit(0);
}

const user = values.user as keyof typeof CREDENTIALS;
if (!(user in CREDENTIALS)) {
  process.stderr.write(`sim: unknown user ${user}; one of ${Object.keys(CREDENTIALS).join(', ')}\n`);
  process.exit(2);
}

const sim = await Simulator.start({
  port: Number(values.port),
  computeMaxVersion: values['compute-max-version'],
  tokenLifetimeSeconds: values['token-lifetime'] ? Number(values['token-lifetime']) : undefined,
  consoleTokenTtlSeconds: values['console-token-ttl'] ? Number(values['console-token-ttl']) : undefined,
  enforceSessionTimeout: values['enforce-session-timeout'],
});
if (values.latency) sim.addFault({ action: { kind: 'latency', ms: Number(values.latency) } });

process.stderr.write(`osconsole cloud simulator listening on ${sim.url} (Keystone ${sim.authUrl}); Ctrl-C stops it.\n`);
process.stderr.write('In another shell, run these lines, then: ./bin/osconsole.js login\n');
process.stderr.write(
  'Serial consoles reach a fake guest (any login, any password): ./bin/osconsole.js console attach web-1\n',
);
for (const [k, v] of Object.entries(sim.env(user))) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);

const stop = () => {
  void sim.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
