/**
 * The simulator must not drift from real Epoxy either. Every exchange the Epoxy half of the
 * real-OpenStack tier recorded from real Keystone 27 / Nova 31 (OpenStack 2025.1,
 * test/fixtures/real/epoxy/*.json, written by test/openstack/epoxy/*.test.ts with
 * OSCONSOLE_RECORD_FIXTURES=1) is replayed against the simulator set up like that cloud
 * (compute API up to 2.100, Nova's fake virt driver, [vnc], [spice], [serial_console] and
 * [mks] enabled, the same console base URLs), and the answers are compared: status codes,
 * header names and the values that matter, body shapes (keys and value types), the exact
 * text of error messages (replay.ts), and here also console URLs (token aside) and the
 * fake driver's console-auth-token values. Known, deliberate differences are listed in
 * KNOWN_DIFFERENCES with their reason; anything else fails.
 * The Zed fixtures have their own replay (reality.test.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Simulator } from './index.js';
import type { Cloud } from './replay.js';
import { loadFixtures, normalize, replay, tokensOf } from './replay.js';

const FIXTURES = loadFixtures(join(ROOT, 'test', 'fixtures', 'real', 'epoxy'));

/**
 * The console base URLs of the Epoxy tier's nova.conf (test/realcloud-epoxy/stack-up.sh,
 * ports from config.sh), so that the simulator's URLs can be compared with the recorded ones
 * as text. Nothing listens on them, in the tier or here.
 */
const EPOXY_BASE_URLS = {
  novnc: 'http://127.0.0.1:16608/vnc_auto.html',
  'spice-html5': 'http://127.0.0.1:16609/spice_auto.html',
  serial: 'ws://127.0.0.1:16610/',
  webmks: 'http://127.0.0.1:16611/',
  'spice-direct': 'http://127.0.0.1:16613/nova',
};

/** Fixture name -> why the simulator may answer differently (checked: such a fixture must still exist). */
const KNOWN_DIFFERENCES: Record<string, string> = {};

/**
 * A value that differs on purpose, and why. The fake virt driver's internal_access_path:
 * real Nova 31 gives uuids.<protocol>_access_path, a uuidsentinel that is random per
 * nova-compute process (nova/virt/fake.py), recorded as <uuid-N>; Nova 26 (Zed) gave
 * "FAKE", which the simulator keeps for both: a per-process random value cannot be
 * compared, osconsole prints the field verbatim and nothing depends on its value.
 */
const FAKE_ACCESS_PATH = /^<uuid-\d+>$/;
function listedValueDifferences(real: Record<string, unknown>, simulated: Record<string, unknown>): void {
  if (typeof real.internal_access_path === 'string' && FAKE_ACCESS_PATH.test(real.internal_access_path))
    if (simulated.internal_access_path === 'FAKE') simulated.internal_access_path = real.internal_access_path;
}

/** The cloud as the tier runs it, and the same with [spice] enabled = false (spice-disabled fixtures). */
const clouds: Cloud[] = [];

beforeAll(async () => {
  for (const spice of [true, false]) {
    const sim = await Simulator.start({
      computeMaxVersion: '2.100',
      virtDriver: 'fake',
      consoleBaseUrls: EPOXY_BASE_URLS,
      consoleEnabled: { spice },
    });
    clouds.push({ sim, tokens: await tokensOf(sim), consoleVersion: '2.99', consoleTypeOf });
  }
});

afterAll(async () => {
  for (const c of clouds) await c.sim.stop();
});

/** The console type a console-auth-token fixture's token was made for, from its name. */
function consoleTypeOf(name: string): [string, string] | undefined {
  if (name.endsWith('-404')) return undefined;
  if (name.includes('novnc')) return ['vnc', 'novnc'];
  if (name.includes('spice-html5')) return ['spice', 'spice-html5'];
  return ['spice', 'spice-direct'];
}

describe('the simulator answers like real Keystone 27 and Nova 31 (2025.1 Epoxy)', () => {
  it('has Epoxy fixtures to compare with, among them the spice-direct exchange', () => {
    expect(FIXTURES.length).toBeGreaterThan(20);
    expect(FIXTURES.map((f) => f.name)).toContain('epoxy/nova-remote-console-spice-direct');
  });

  it('every known difference names a fixture that exists', () => {
    const names = new Set(FIXTURES.map((f) => f.name));
    expect(Object.keys(KNOWN_DIFFERENCES).filter((n) => !names.has(n))).toEqual([]);
  });

  for (const f of FIXTURES) {
    const known = KNOWN_DIFFERENCES[f.name];
    (known ? it.fails : it)(known ? `${f.name} (known difference: ${known})` : f.name, async () => {
      const body = await replay(f, clouds[f.name.includes('spice-disabled') ? 1 : 0]!);
      if (f.response.body === null || f.response.body === undefined) return;
      // console URLs: the same base and token form (the base URLs are the tier's, above)
      const realUrl = (f.response.body as { remote_console?: { url?: string } }).remote_console?.url;
      if (realUrl !== undefined)
        expect(normalize((body as { remote_console: { url: string } }).remote_console.url)).toBe(realUrl);
      // os-console-auth-tokens: the fake driver's values, field for field (tls_port only where real has it)
      const realConsole = (f.response.body as { console?: Record<string, unknown> }).console;
      if (realConsole && 'port' in realConsole) {
        const simConsole = JSON.parse(normalize(JSON.stringify((body as { console: unknown }).console)));
        listedValueDifferences(realConsole, simConsole);
        expect(JSON.stringify(simConsole)).toBe(JSON.stringify(realConsole));
      }
    });
  }
});
