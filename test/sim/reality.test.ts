/**
 * The simulator must not drift from reality. Every exchange recorded from real
 * Keystone 22 / Nova 26 by the integration tier (test/fixtures/real/*.json) is
 * replayed against the simulator, set up like the tier's cloud (Zed, 2.93,
 * Nova's fake virt driver), and the answers are compared (replay.ts says how).
 * Known, deliberate differences are listed in replay.ts with their reason;
 * anything else fails. The Epoxy fixtures have their own replay (reality-epoxy.test.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Simulator } from './index.js';
import type { Cloud } from './replay.js';
import { loadFixtures, replay, tokensOf } from './replay.js';

const FIXTURES = loadFixtures(join(ROOT, 'test', 'fixtures', 'real'));

let cloud: Cloud;

beforeAll(async () => {
  const sim = await Simulator.start({ computeMaxVersion: '2.93', virtDriver: 'fake', consoleEnabled: { rdp: true } });
  cloud = { sim, tokens: await tokensOf(sim), consoleVersion: '2.8', consoleTypeOf };
});

afterAll(async () => {
  await cloud.sim.stop();
});

/** The console type a console-auth-token fixture's token was made for, from its name. */
function consoleTypeOf(name: string): [string, string] | undefined {
  if (name.includes('rdp')) return ['rdp', 'rdp-html5'];
  if (name.includes('serial')) return ['serial', 'serial'];
  if (name.includes('spice-html5')) return ['spice', 'spice-html5'];
  if (name.includes('webmks')) return ['mks', 'webmks'];
  if (name.endsWith('-404')) return undefined;
  return ['vnc', 'novnc'];
}

describe('the simulator answers like real Keystone 22 and Nova 26 (Zed)', () => {
  it('has fixtures to compare with', () => {
    expect(FIXTURES.length).toBeGreaterThan(40);
  });

  for (const f of FIXTURES) {
    it(f.name, async () => {
      await replay(f, cloud);
    });
  }
});
