/**
 * Global setup of the Epoxy half of the real-OpenStack tier (the "epoxy" project of
 * test/vitest.openstack.config.ts): real Keystone 27 + Nova 31 (OpenStack 2025.1 Epoxy,
 * compute API up to 2.100, so spice-direct at 2.99) from Debian 13 "trixie" packages in a
 * chroot, on 127.0.0.1:16000-16999, run by test/realcloud-epoxy/up.sh.
 *
 * 1. Checks the machine can run it: Linux, root (debootstrap, chroot, mount), a Debian host
 *    whose apt sources name a Debian mirror (the chroot is bootstrapped from it), and
 *    debootstrap (or apt-get to install it). If not, every Epoxy test is skipped and
 *    "skipped: <reason>" is printed, unless CI is set: then the run fails.
 * 2. Runs up.sh: creates the chroot on first use (debootstrap + apt, minutes), reuses it
 *    after (~35 s from stopped, ~2 s when already up), starts and seeds the stack. up.sh
 *    undoes its mounts itself when it fails half-way.
 * 3. Provides the facts (same shape as the Zed tier's) as inject('realcloud') to the
 *    Epoxy project's files, with the chroot's package versions.
 * 4. At the end runs down.sh (stop by saved PIDs, unmount), unless
 *    OSCONSOLE_REALCLOUD_KEEP=1 or the stack was up before this run.
 *
 * Env: CI, OSCONSOLE_REALCLOUD_SKIP (both tiers) or OSCONSOLE_EPOXY_SKIP (this one),
 * OSCONSOLE_REALCLOUD_KEEP, OSCONSOLE_EPOXY_ROOT and the knobs in test/realcloud-epoxy/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { RealcloudFacts } from './context.js';
import { consoleReady } from './global-setup.js';
import { listening, runScript, sayer, secs, skipped, teardown } from './tier.js';

const SCRIPTS = fileURLToPath(new URL('../realcloud-epoxy/', import.meta.url));
/** Must match EPOXY_ROOT in test/realcloud-epoxy/config.sh. */
export const EPOXY_ROOT = process.env.OSCONSOLE_EPOXY_ROOT || '/srv/osconsole-epoxy';
const KS_PORT = 16000;
const NOVA_PORT = 16774;
const PACKAGES = [
  'python3-keystone',
  'python3-nova',
  'python3-placement',
  'python3-glance',
  'rabbitmq-server',
  'python3-websockify',
];

const say = sayer('epoxy');

/** Does the host's apt configuration name at least one Debian source (up.sh reads the mirror there)? */
function hostHasDebianSource(): boolean {
  const files = ['/etc/apt/sources.list'];
  for (const dir of ['/etc/apt/sources.list.d']) {
    if (existsSync(dir)) for (const f of readdirSync(dir)) files.push(`${dir}/${f}`);
  }
  return files.some((f) => {
    try {
      return /^\s*(URIs:|deb\s)/m.test(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** Why this machine cannot run the Epoxy tier, or null when it can. */
export function cannotRunReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root (debootstrap, chroot and mount for the Debian 13 chroot)';
  }
  if (!existsSync('/etc/debian_version') || !existsSync('/etc/os-release')) {
    return 'needs a Debian host (the trixie chroot is bootstrapped from the mirror in its apt sources)';
  }
  if (!hostHasDebianSource()) return 'needs a deb source in /etc/apt (the mirror debootstrap uses)';
  for (const bin of ['/usr/sbin/chroot', '/usr/bin/mount', '/usr/bin/mountpoint', '/usr/bin/findmnt']) {
    if (!existsSync(bin)) return `needs ${bin}`;
  }
  const bootstrapped = existsSync(`${EPOXY_ROOT}/.epoxy-debootstrap-done`);
  if (!bootstrapped && !existsSync('/usr/sbin/debootstrap') && !existsSync('/usr/bin/apt-get')) {
    return 'needs debootstrap (or apt-get to install it) to create the chroot';
  }
  return null;
}

/** Runs a script of test/realcloud-epoxy/ (its state is inside the chroot). */
function run(script: string): Promise<string> {
  return runScript(SCRIPTS, script, { logs: '<state>/log in the chroot' });
}

/** Package versions inside the chroot (the host's dpkg knows nothing of them). */
function packageVersions(): Record<string, string> {
  const r = spawnSync(
    'chroot',
    [
      EPOXY_ROOT,
      '/usr/bin/env',
      '-i',
      'PATH=/usr/bin:/bin',
      'dpkg-query',
      '-W',
      '-f=${Package} ${Version}\\n',
      ...PACKAGES,
    ],
    { encoding: 'utf8' },
  );
  // the VNC server and noVNC's pages are the host's (test/realcloud/vnc/xvnc.sh, up.sh)
  const host = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', 'novnc', 'tigervnc-standalone-server'], {
    encoding: 'utf8',
  });
  const out: Record<string, string> = {};
  for (const line of `${r.stdout || ''}${host.stdout || ''}`.split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) out[name] = version;
  }
  return out;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const reason = process.env.OSCONSOLE_REALCLOUD_SKIP
    ? 'OSCONSOLE_REALCLOUD_SKIP is set'
    : process.env.OSCONSOLE_EPOXY_SKIP
      ? 'OSCONSOLE_EPOXY_SKIP is set'
      : cannotRunReason();
  if (skipped(project, 'Epoxy tier', say, reason)) return undefined;

  const t0 = Date.now();
  const fresh = !existsSync(`${EPOXY_ROOT}/.epoxy-debootstrap-done`);
  const wasUp =
    (await listening(`http://127.0.0.1:${KS_PORT}/v3`)) && (await listening(`http://127.0.0.1:${NOVA_PORT}/`));
  say(
    `chroot ${EPOXY_ROOT}${fresh ? ' (not there yet: debootstrap + apt, a few minutes)' : ''}${wasUp ? ' (stack already up)' : ''}`,
  );
  let facts: RealcloudFacts;
  try {
    const path = (await run('up.sh')).trim().split('\n').pop() ?? '';
    const upMs = Date.now() - t0;
    say(`up.sh ${secs(upMs)}`);
    facts = {
      ...(JSON.parse(readFileSync(path, 'utf8')) as Omit<RealcloudFacts, 'versions'>),
      versions: packageVersions(),
    };
    const t = Date.now();
    await consoleReady(facts);
    say(`consoles ${secs(Date.now() - t)} (first remote console answered)`);
  } catch (err) {
    say(`start-up failed after ${secs(Date.now() - t0)}: ${(err as Error).message}`);
    // up.sh has run down.sh already when it failed; this covers a failure after it
    if (!wasUp && !process.env.OSCONSOLE_REALCLOUD_KEEP) await run('down.sh').catch(() => undefined);
    throw err;
  }
  say(
    `stack ready in ${secs(Date.now() - t0)}: keystone ${facts.versions['python3-keystone']}, nova ${facts.versions['python3-nova']}`,
  );
  const status = spawnSync('bash', [SCRIPTS + 'status.sh'], { encoding: 'utf8' });
  for (const line of (status.stdout ?? '').split('\n').filter(Boolean)) say(`rss ${line}`);
  project.provide('realcloud', { facts });

  return teardown(say, {
    wasUp,
    where: `auth URL ${facts.auth_url}`,
    stopWith: 'test/realcloud-epoxy/down.sh',
    down: () => run('down.sh'),
  });
}
