/**
 * Global setup of the real-OpenStack tier (test/vitest.openstack.config.ts).
 *
 * 1. Checks the machine can run real Keystone/Nova from Debian packages: root,
 *    Debian 12 (/etc/debian_version), apt-get. If not, every test of the tier
 *    is skipped and "skipped: <reason>" is printed — unless CI is set, where the
 *    run fails instead (CI must never pass without running the tier).
 * 2. Runs test/realcloud/install.sh, keystone-up.sh, nova-up.sh (each idempotent;
 *    ~0.2 s in total when the stack is already up) and prints each phase's wall time.
 * 3. Provides the facts (URLs, users, ids, TOTP secret, ...) as inject('realcloud').
 * 4. At the end stops everything by saved PIDs (test/realcloud/down.sh), unless
 *    OSCONSOLE_REALCLOUD_KEEP=1, or the stack was already up before this run
 *    (then whoever started it stops it).
 *
 * Env: CI, OSCONSOLE_REALCLOUD_KEEP=1, OSCONSOLE_REALCLOUD_STATE, and the
 * OSCONSOLE_REALCLOUD_* knobs of the scripts (see test/realcloud/README.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { RealcloudFacts } from './context.js';
import { listening, runScript, sayer, secs, skipped, teardown } from './tier.js';

const SCRIPTS = fileURLToPath(new URL('../realcloud/', import.meta.url));
const STATE = process.env.OSCONSOLE_REALCLOUD_STATE || '/tmp/osconsole-realcloud';
const KS_PORT = process.env.OSCONSOLE_REALCLOUD_KEYSTONE_PORT || '15000';
const NOVA_PORT = process.env.OSCONSOLE_REALCLOUD_NOVA_PORT || '15774';

const say = sayer('realcloud');

/** Why this machine cannot run the tier, or null when it can. */
export function cannotRunReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root (installs Debian packages, runs rabbitmq/keystone/nova as root)';
  }
  if (!existsSync('/etc/debian_version')) return 'needs Debian 12 (no /etc/debian_version)';
  const deb = readFileSync('/etc/debian_version', 'utf8').trim();
  if (!/^12(\.|$)/.test(deb) && !/^bookworm/.test(deb)) {
    return `needs Debian 12 bookworm (OpenStack Zed packages); /etc/debian_version says ${deb}`;
  }
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg-query')) return 'needs apt-get and dpkg-query';
  if (!existsSync('/bin/bash') && !existsSync('/usr/bin/bash')) return 'needs bash';
  return null;
}

/** Runs a script of test/realcloud/ with the tier's state dir. */
function run(script: string, args: string[] = []): Promise<string> {
  return runScript(SCRIPTS, script, {
    args,
    env: { OSCONSOLE_REALCLOUD_STATE: STATE },
    logs: `${STATE}/log and ${STATE}/nova/log`,
  });
}

function packageVersions(): Record<string, string> {
  const pkgs = [
    'python3-keystone',
    'python3-nova',
    'python3-placement',
    'python3-glance',
    'rabbitmq-server',
    'uwsgi-core',
    'python3-websockify',
    'novnc',
    'tigervnc-standalone-server',
  ];
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', ...pkgs], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  for (const line of (r.stdout || '').split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) out[name] = version;
  }
  return out;
}

/**
 * Waits until nova-compute answers a remote-console request. After a restart
 * on existing state the first console RPC can time out (nova-api answers 500)
 * although every service reports in (realcloud README gotcha 11): tests must
 * not meet that.
 */
export async function consoleReady(f: RealcloudFacts): Promise<void> {
  const deadline = Date.now() + 120_000;
  const auth = await fetch(`${f.auth_url}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { id: f.users.demo.id, password: f.users.demo.password } },
        },
        scope: { project: { id: f.projects.demo } },
      },
    }),
  });
  await auth.arrayBuffer();
  const token = auth.headers.get('x-subject-token') ?? '';
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${f.compute_url}/servers/${f.server.server_id}/remote-consoles`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.6' },
      body: JSON.stringify({ remote_console: { protocol: 'vnc', type: 'novnc' } }),
      signal: AbortSignal.timeout(70_000),
    }).catch((err: unknown) => err as Error);
    if (!(res instanceof Error)) {
      last = `${res.status} ${(await res.text()).slice(0, 120)}`;
      if (res.status === 200) return;
    } else last = res.message;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`nova-compute never answered a remote-console request (last: ${last})`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const reason = process.env.OSCONSOLE_REALCLOUD_SKIP ? 'OSCONSOLE_REALCLOUD_SKIP is set' : cannotRunReason();
  if (skipped(project, 'real-OpenStack tier', say, reason)) return undefined;

  const t0 = Date.now();
  const wasUp =
    (await listening(`http://127.0.0.1:${KS_PORT}/v3`)) &&
    (await listening(`http://127.0.0.1:${NOVA_PORT}/`)) &&
    existsSync(`${STATE}/facts.json`);
  const timings: Record<string, number> = {};
  const phase = async (name: string, script: string, args: string[] = []): Promise<void> => {
    const t = Date.now();
    await run(script, args);
    timings[name] = Date.now() - t;
    say(`${name.padEnd(8)} ${secs(timings[name])}`);
  };
  say(`state dir ${STATE}${wasUp ? ' (stack already up)' : ''}`);
  let facts: RealcloudFacts;
  try {
    await phase('install', 'install.sh', ['all']);
    await phase('keystone', 'keystone-up.sh');
    await phase('nova', 'nova-up.sh');
    const json = await run('facts.py', [STATE]);
    facts = { ...(JSON.parse(json) as Omit<RealcloudFacts, 'versions'>), versions: packageVersions() };
    const t = Date.now();
    await consoleReady(facts);
    say(`consoles ${secs(Date.now() - t)} (first remote console answered)`);
  } catch (err) {
    say(`start-up failed after ${secs(Date.now() - t0)}: ${(err as Error).message}`);
    if (!wasUp && !process.env.OSCONSOLE_REALCLOUD_KEEP) {
      await run('down.sh').catch(() => undefined);
    }
    throw err;
  }
  say(
    `stack ready in ${secs(Date.now() - t0)} (install ${secs(timings.install ?? 0)}, keystone ${secs(timings.keystone ?? 0)}, nova ${secs(timings.nova ?? 0)})`,
  );
  const status = spawnSync('bash', [SCRIPTS + 'status.sh'], {
    encoding: 'utf8',
    env: { ...process.env, OSCONSOLE_REALCLOUD_STATE: STATE },
  });
  for (const line of (status.stdout ?? '').split('\n').filter(Boolean)) say(`rss ${line}`);
  project.provide('realcloud', { facts });

  return teardown(say, {
    wasUp,
    where: `auth URL ${facts.auth_url}, state ${STATE}`,
    stopWith: 'test/realcloud/down.sh',
    down: () => run('down.sh'),
  });
}
