/**
 * The simulator's serial proxy against what nova's real one did on the wire,
 * as the real tier recorded it (test/fixtures/real/serial/{zed,epoxy}.json,
 * written by test/openstack/serial-suite.ts with OSCONSOLE_RECORD_FIXTURES=1):
 * the 101 and its headers, the only 400s, refusals after the 101, a text
 * frame, ping. Where websockify 0.10 (Zed) and 0.12 (Epoxy) differ, the
 * simulator follows 0.12: headers Date and Server are left out of the
 * comparison, and the code-less close is checked against Epoxy only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { consoleUrlOf, useSimulator } from '../helpers/sim.js';
import { Session, clientFrame, parseFrames, rawUpgrade, withToken } from '../helpers/ws-wire.js';

const ctx = useSimulator();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The recorded facts: fields as serial-suite.ts wrote them. */
interface Facts {
  upgrade: { status: number; reason: string; header_names: string[]; headers: Record<string, string> };
  upgrade_without_subprotocol: { status: number; header_names: string[] };
  handshake_errors: Record<string, { status: number; reason: string; header_names: string[] }>;
  refused_after_upgrade: {
    cases: Record<string, { status: number; bytes_after_101: number; tcp_end: string; tcp_end_after_sending: string }>;
    undici: { code: number; reason: string; wasClean: boolean };
  };
  text_frame: { close: { code: number; reason: string }; undici: { code: number; reason: string; wasClean: boolean } };
  ping: { pong_payload: string };
  client_close: { without_code: { code: number | null; reason: string } };
}

const facts = (tier: string): Facts =>
  (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/real/serial', `${tier}.json`), 'utf8')) as { facts: Facts }).facts;

/** Date and Server are websockify 0.12's additions (the simulator sends neither). */
const core = (names: string[]) => names.filter((n) => n !== 'date' && n !== 'server').sort();

async function serialUrl(): Promise<string> {
  return consoleUrlOf(ctx.sim, 'serial', 'serial');
}

/** How serial-suite.ts produced each recorded case. */
const HANDSHAKE_ERRORS: Record<string, { version?: boolean; protocols?: string }> = {
  'no Sec-WebSocket-Version': { version: false },
  'only base64 offered': { protocols: 'base64' },
};

function refusal(name: string, url: string): { url: string; origin?: string } {
  const port = new URL(url).port;
  switch (name) {
    case 'unknown token':
      return { url: withToken(url, UNKNOWN) };
    case 'no token':
      return { url: withToken(url, null) };
    case 'Origin of another host':
      return { url, origin: 'http://console.example.org' };
    case 'Origin with https (the proxy is ws://)':
      return { url, origin: `https://127.0.0.1:${port}` };
    default:
      throw new Error(`a recorded case this test does not know how to replay: ${name}`);
  }
}

describe.each(['zed', 'epoxy'])('the simulated serial proxy does what the real one did (%s)', (tier) => {
  const real = facts(tier);

  it('the 101: status line, headers and the chosen subprotocol; none chosen when none is offered', async () => {
    const url = await serialUrl();
    const r = await rawUpgrade(url, { waitMs: 300 });
    expect([r.status, r.reason]).toEqual([real.upgrade.status, real.upgrade.reason]);
    expect(core(Object.keys(r.headers))).toEqual(core(real.upgrade.header_names));
    const { server: _server, ...headers } = real.upgrade.headers;
    expect(r.headers).toMatchObject(headers);
    const none = await rawUpgrade(url, { protocols: null, waitMs: 300 });
    expect(none.status).toBe(real.upgrade_without_subprotocol.status);
    expect(core(Object.keys(none.headers))).toEqual(core(real.upgrade_without_subprotocol.header_names));
  });

  it('the 400s before the upgrade: same status and reason', async () => {
    const url = await serialUrl();
    for (const [name, want] of Object.entries(real.handshake_errors)) {
      const opts = HANDSHAKE_ERRORS[name];
      expect(opts, `a recorded case this test does not replay: ${name}`).toBeDefined();
      const r = await rawUpgrade(url, opts);
      expect({ name, status: r.status, reason: r.reason, headers: core(Object.keys(r.headers)) }).toEqual({
        name,
        status: want.status,
        reason: want.reason,
        headers: core(want.header_names),
      });
    }
  });

  it('refusals after the 101: no byte, the TCP connection ends (FIN; RST once the client has typed); undici: 1006', async () => {
    const url = await serialUrl();
    for (const [name, want] of Object.entries(real.refused_after_upgrade.cases)) {
      const c = refusal(name, url);
      const quiet = await rawUpgrade(c.url, { origin: c.origin });
      const typed = await rawUpgrade(c.url, { origin: c.origin, send: [[0, clientFrame(2, '\r')]] });
      expect({
        name,
        status: quiet.status,
        bytes_after_101: quiet.rest.length,
        tcp_end: quiet.ended && !quiet.reset ? 'FIN' : 'RST',
        tcp_end_after_sending: typed.reset ? 'RST' : 'FIN',
      }).toEqual({ name, ...want });
    }
    const s = new Session(withToken(url, UNKNOWN));
    expect(await s.closed).toEqual(real.refused_after_upgrade.undici);
  });

  it('a text frame: the close code and reason', async () => {
    const s = new Session(await serialUrl());
    await s.opened;
    s.ws.send('\r');
    expect(await s.closed).toEqual(real.text_frame.undici);
  });

  it('a ping: a pong with its payload', async () => {
    const payload = real.ping.pong_payload;
    const r = await rawUpgrade(await serialUrl(), { send: [[0, clientFrame(9, payload)]], waitMs: 300 });
    const pong = parseFrames(r.rest).find((f) => f.opcode === 10);
    expect(pong?.payload.toString()).toBe(payload);
  });
});

describe('where websockify 0.10 and 0.12 differ, the simulator is 0.12 (Epoxy)', () => {
  it('a close frame without a code is answered as Epoxy answered it', async () => {
    const want = facts('epoxy').client_close.without_code;
    const r = await rawUpgrade(await serialUrl(), { send: [[0, clientFrame(8)]], untilClose: true, waitMs: 1000 });
    const close = parseFrames(r.rest).find((f) => f.opcode === 8);
    expect(close).toBeDefined();
    const code = close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
    expect({ code, reason: close?.payload.subarray(2).toString() ?? '' }).toEqual(want);
  });
});
