/**
 * Nova's real serial console proxy (nova-serialproxy: nova/console/websocketproxy.py on
 * websockify) in front of the tier's serial guest (test/realcloud/serial/serial_guest.py,
 * QEMU chardev-socket behaviour), reached the way a client does: a console from real
 * nova-api, then the websocket with undici (and raw node:net where the wire matters).
 * Shared by the Zed and Epoxy files (serial.test.ts, epoxy/serial.test.ts); the observed
 * facts are written to test/fixtures/real/serial/{zed,epoxy}.json when
 * OSCONSOLE_RECORD_FIXTURES=1, for the simulator's reality check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { RealcloudFacts } from './context.js';
export * from '../helpers/ws-wire.js';
import { FIXTURES, RECORD, call, tokenFor } from './realcloud.js';

/** A remote console URL for the tier's server, created as demo (what `console get --type <type>` does). */
export async function remoteConsoleUrl(f: RealcloudFacts, protocol: string, type: string): Promise<string> {
  const r = await call(`${f.compute_url}/servers/${f.server.server_id}/remote-consoles`, {
    token: await tokenFor(f, 'demo'),
    microversion: 'compute 2.6',
    body: { remote_console: { protocol, type } },
  });
  if (r.status !== 200) throw new Error(`${type} console: ${r.status} ${r.text}`);
  return r.json.remote_console.url as string;
}

export const serialUrl = (f: RealcloudFacts): Promise<string> => remoteConsoleUrl(f, 'serial', 'serial');

// ------------------------------------------------------------------ the fixture

/**
 * The facts a test observed, collected under `key` and written as one JSON file at the end
 * of the file's run (only with OSCONSOLE_RECORD_FIXTURES=1). `baseUrl`: the proxy's base
 * URL as nova.conf has it, the port left out (default: the serial proxy's ws:// one).
 */
export function factRecorder(
  f: RealcloudFacts,
  name: string,
  description: string,
  opts: { baseUrl?: string; recordedWith?: Record<string, string | undefined> } = {},
) {
  const facts: Record<string, unknown> = {};
  afterAll(() => {
    if (!RECORD || Object.keys(facts).length === 0) return;
    const v = f.versions;
    const out = {
      name,
      description,
      recorded_with: { nova: v['python3-nova'], websockify: v['python3-websockify'], ...opts.recordedWith },
      base_url: opts.baseUrl ?? `ws://${new URL(f.compute_url).hostname}:<proxy_port>/`,
      facts: Object.fromEntries(
        Object.keys(facts)
          .sort()
          .map((k) => [k, facts[k]]),
      ),
    };
    const path = `${FIXTURES}${name}.json`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  });
  return (key: string, value: unknown) => {
    expect(value).toBeDefined();
    facts[key] = value;
  };
}
