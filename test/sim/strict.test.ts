/**
 * The strict simulator itself: what the fast suite's afterEach
 * (test/helpers/strict-sim.ts) fails a test for, and what it lets pass.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { takeSimulatorProblems, verifySimulators } from '../helpers/sim.js';
import { Simulator } from './index.js';

let sim: Simulator;
beforeEach(async () => {
  sim = await Simulator.start();
});
afterEach(async () => {
  await sim.stop();
});

it('a fault rule that never fired fails the test, naming the rule; fired and optional rules do not', async () => {
  sim.addFault({ match: { method: 'POST', path: /remote-consoles$/ }, action: { kind: 'status', status: 409 } });
  sim.addFault({ match: { path: '/identity' }, action: { kind: 'status', status: 503 } });
  sim.addFault({ match: { path: '/identity' }, times: 2, action: { kind: 'latency', ms: 1 } });
  // Never fires either, but allowed to.
  sim.addFault({ match: { method: 'DELETE' }, action: { kind: 'drop' }, optional: true });
  expect((await fetch(sim.identityUrl)).status).toBe(503);
  expect(() => verifySimulators()).toThrow(
    /fault rule never fired: POST \/remote-consoles\$\/ → status \{"status":409\}\n.*fault rule fired 1 of 2 times: \/identity → latency \{"ms":1\} \(times 2\)\n.*make it fire/,
  );
  // verify consumed the problems: the next test starts clean.
  expect(takeSimulatorProblems()).toEqual([]);
});

it('a request to an unknown route is answered as the service would, and fails the test unless expected', async () => {
  const res = await fetch(`${sim.url}/placement/resource_providers`);
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ code: '404 Not Found' });
  expect((await fetch(`${sim.authUrl}/auth/tokens`, { method: 'PUT' })).status).toBe(405);
  expect(takeSimulatorProblems()).toEqual([
    `${sim.url}: request to a route the simulator does not know: GET /placement/resource_providers → 404`,
    `${sim.url}: request to a route the simulator does not know: PUT /identity/v3/auth/tokens → 405`,
  ]);
  sim.expectUnknown({ method: 'GET', path: /^\/placement\// });
  await (await fetch(`${sim.url}/placement/traits`)).arrayBuffer();
  expect(takeSimulatorProblems()).toEqual([]);
  expect(sim.log.at(-1)).toMatchObject({ path: '/placement/traits', unknownRoute: true });
});

it('a stopped simulator is still verified once, then forgotten', async () => {
  const other = await Simulator.start();
  other.addFault({ action: { kind: 'hang' } });
  await other.stop();
  expect(takeSimulatorProblems()).toEqual([`${other.url}: fault rule never fired: any request → hang`]);
  expect(Simulator.unverified.has(other)).toBe(false);
});
