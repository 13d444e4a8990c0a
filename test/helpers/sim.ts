/**
 * Starts a simulator for a test file and stops it afterwards; the setup file
 * (strict-sim.ts) verifies it after each test and forgets its fault rules.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { SimulatorOptions } from '../sim/index.js';
import { Simulator } from '../sim/index.js';

export function useSimulator(opts: SimulatorOptions = {}): { readonly sim: Simulator } {
  const holder = {} as { sim: Simulator };
  beforeAll(async () => {
    holder.sim = await Simulator.start(opts);
  });
  afterAll(async () => {
    await holder.sim?.stop();
  });
  beforeEach(() => {
    holder.sim.clearLog();
  });
  return holder;
}

/** The problems of every simulator started so far (see Simulator.problems); resets them for the next test. */
export function takeSimulatorProblems(): string[] {
  const out: string[] = [];
  for (const sim of Simulator.unverified) {
    out.push(...sim.problems().map((p) => `${sim.url}: ${p}`));
    sim.resetChecks();
    if (sim.stopped) Simulator.unverified.delete(sim);
  }
  return out;
}

/** Throws, listing them, when a simulator saw an unknown route or kept a fault rule that never fired. */
export function verifySimulators(): void {
  const problems = takeSimulatorProblems();
  if (problems.length === 0) return;
  throw new Error(
    `the simulator was not used as the test says:\n  ${problems.join('\n  ')}\n` +
      'A rule that never fires tests nothing: make it fire (as often as its times says) or remove it. To allow it, pass optional: true on the ' +
      'rule, or call sim.expectUnknown({ method, path }) for a route, with a comment saying why.',
  );
}

/** Password auth as a seeded user, scoped to their project; returns the token id. */
export async function issueToken(
  sim: Simulator,
  user: 'demo' | 'admin' | 'reader' | 'noproj' | 'alice' = 'demo',
  scope?: unknown,
): Promise<string> {
  const c = (await import('../sim/index.js')).CREDENTIALS[user];
  const res = await fetch(`${sim.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: c.username, domain: { name: c.domain }, password: c.password } },
        },
        scope: scope ?? { project: { name: c.project, domain: { name: c.domain } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`token for ${user}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
  return res.headers.get('x-subject-token') as string;
}

/** A console URL of web-1 from the simulator's Nova (remote-consoles at 2.6) as demo: for proxy tests. */
export async function consoleUrlOf(
  sim: Simulator,
  protocol: 'vnc' | 'serial',
  type: 'novnc' | 'serial',
): Promise<string> {
  const { SERVER_IDS } = await import('../sim/index.js');
  const res = await fetch(`${sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': await issueToken(sim, 'demo'),
      'OpenStack-API-Version': 'compute 2.6',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol, type } }),
  });
  return ((await res.json()) as { remote_console: { url: string } }).remote_console.url;
}
