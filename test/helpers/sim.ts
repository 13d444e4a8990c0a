/** Starts a simulator for a test file and stops it afterwards. */
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
    holder.sim.faults.clear();
  });
  return holder;
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
