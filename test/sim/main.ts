/**
 * `npm run sim`: runs the simulator in the foreground and prints the
 * `export OS_*=...` lines to use it from another shell.
 *
 *   npm run sim -- [--port N] [--user demo|admin|reader|mfa|noproj|alice]
 *                  [--compute-max-version 2.93] [--token-lifetime SECONDS]
 *                  [--latency MS] [--console-token-ttl SECONDS] [--enforce-session-timeout]
 *                  [--boot-line-ms MS]
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
    'boot-line-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: npm run sim -- [--port N] [--user NAME] [--compute-max-version X.Y] [--token-lifetime S] [--latency MS]\n' +
      '                      [--console-token-ttl S] [--enforce-session-timeout] [--boot-line-ms MS]\n',
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
  bootLineMs: values['boot-line-ms'] ? Number(values['boot-line-ms']) : undefined,
});
if (values.latency) sim.addFault({ action: { kind: 'latency', ms: Number(values.latency) } });

process.stderr.write(`osconsole cloud simulator listening on ${sim.url} (Keystone ${sim.authUrl}); Ctrl-C stops it.\n`);
process.stderr.write('In another shell, run these lines, then: ./bin/osconsole.js login\n');
process.stderr.write(
  'Serial consoles reach a fake guest (any login, any password): ./bin/osconsole.js console attach web-1\n',
);
process.stderr.write(
  `A server that finishes building writes its boot to its console log: curl -X POST -H 'Content-Type: application/json' -d '{"afterGets": 1}' ${sim.url}/__sim/servers/f4962c34-cd6b-4efe-adc5-f7d95ed3a595/build, then ./bin/osconsole.js console log building-vm --wait --follow --until login:\n`,
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
