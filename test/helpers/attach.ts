/**
 * Shared by the `console attach` end-to-end files (two files, so that their
 * waits run in parallel): a simulator per test, logged in as demo, and
 * attach run in-process in pipe mode.
 */
import { WebSocket } from 'undici';
import { afterEach, expect } from 'vitest';
import type { LiveRun } from './cli.js';
import { expectExit, startMain } from './cli.js';
import type { TestEnv } from './env.js';
import { useTestEnv } from './env.js';
import type { SimulatorOptions } from '../sim/index.js';
import { SERVER_IDS, Simulator } from '../sim/index.js';

export function useAttach() {
  const env = useTestEnv();
  const h = {
    sim: undefined as unknown as Simulator,
    get t(): TestEnv {
      return env.t;
    },
    /** A simulator, and a session logged in to it as demo (with `loginEnv`, e.g. OS_CACERT). */
    async start(opts: SimulatorOptions = {}, loginEnv: Record<string, string> = {}): Promise<Simulator> {
      h.sim = await Simulator.start(opts);
      const r = await env.t.main(['login'], { ...h.sim.env('demo'), ...loginEnv });
      expect(r.code, r.stderr).toBe(0);
      h.sim.clearLog();
      return h.sim;
    },
    /** `console attach` in-process, in pipe mode; the backoff and poll waits are recorded, not slept. */
    attach(args: string[]): LiveRun {
      return startMain(['console', 'attach', ...args], { env: env.t.env(), homedir: env.t.home });
    },
    consolesCreated: () =>
      h.sim.requests('compute').filter((e) => e.method === 'POST' && /remote-consoles|\/action$/.test(e.path)).length,
    upgrades: () => h.sim.log.filter((e) => e.path.startsWith('/console/serial')),
    web1: () => h.sim.serialGuest(SERVER_IDS.web1),
    /** A serial console URL for web-1, from the CLI itself. */
    async consoleUrl(): Promise<string> {
      const r = await env.t.main(['console', 'get', 'web-1', '--type', 'serial']);
      expectExit(r, 0);
      return r.stdout.trim();
    },
  };
  afterEach(async () => {
    await h.sim?.stop();
  });
  return h;
}

/**
 * A loopback port that refuses connections, and keeps refusing: one below Linux's
 * ephemeral range (32768-60999) and above the real tiers' (15000-16999), so neither a
 * parallel test file's port-0 listener nor a connection's own local port can take it
 * before the test dials it (a freed port-0 port once answered a test with a reset).
 */
export async function closedPort(): Promise<number> {
  const { connect } = await import('node:net');
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
}

export async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Another client on the same serial port (undici's WebSocket, as attach uses). */
export async function rawClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, ['binary']);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return ws;
}
