/**
 * The simulator's noVNC proxy against what nova's real one did in front of
 * TigerVNC Xvnc, as the real tiers recorded it (test/fixtures/real/vnc/
 * {zed,epoxy}.json, written by test/openstack/vnc-suite.ts): the banner in the
 * first frame, RFB through nova's security proxy, the 400s, refusals after the
 * 101 (no byte, FIN), an RFB 3.3 client and security type 2 (close 1000, no
 * reason), a text frame (1003). The screen (Xvnc's size, the sim's 320x240)
 * and websockify's Date/Server headers are not compared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { consoleUrlOf, useSimulator } from '../helpers/sim.js';
import { clientFrame, closeCode, parseFrames, rawUpgrade, withToken } from '../helpers/ws-wire.js';
import { novncWebSocketUrl } from '../../src/core/console-url.js';

const ctx = useSimulator();

interface Facts {
  upgrade: { status: number; headers: Record<string, string>; frames_before_the_client_speaks: unknown[] };
  handshake_errors: Record<string, { status: number; reason: string }>;
  refused_after_upgrade: Record<string, { status: number; bytes_after_101: number; tcp_end: string }>;
  rfb: { banner: string; security_types_to_client: number[]; security_result: number };
  rfb_3_3_client: { before: string; close: { code: number; reason: string } };
  security_type_not_none: {
    security_types_to_client: number[];
    security_result: number;
    reason: string;
    close: { code: number; reason: string };
  };
  text_frame: { before: string; close: { code: number; reason: string } };
}

const TIERS = ['zed', 'epoxy'] as const;
const facts = (tier: string): Facts =>
  (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/real/vnc', `${tier}.json`), 'utf8')) as { facts: Facts }).facts;

/** A noVNC console's websocket URL, as the client derives it from the page URL. */
async function vncSocketUrl(): Promise<string> {
  return novncWebSocketUrl(await consoleUrlOf(ctx.sim, 'vnc', 'novnc'));
}

const payloads = (rest: Buffer) =>
  parseFrames(rest).map((f) => ({ opcode: f.opcode, payload: f.payload.toString('latin1') }));

describe.each(TIERS)('the simulated noVNC proxy against real %s', (tier) => {
  const f = facts(tier);

  it('the 101 with binary, then the banner in one binary frame before the client speaks', async () => {
    const r = await rawUpgrade(await vncSocketUrl(), { waitMs: 300 });
    expect(r.status).toBe(f.upgrade.status);
    expect(r.headers['sec-websocket-protocol']).toBe(f.upgrade.headers['sec-websocket-protocol']);
    expect(payloads(r.rest)).toEqual(f.upgrade.frames_before_the_client_speaks);
  });

  it('RFB through the security proxy: 3.8, [None], SecurityResult 0', async () => {
    const r = await rawUpgrade(await vncSocketUrl(), {
      waitMs: 400,
      send: [
        [50, clientFrame(2, Buffer.from('RFB 003.008\n'))],
        [150, clientFrame(2, Buffer.from([1]))],
      ],
    });
    const bytes = Buffer.concat(parseFrames(r.rest).map((fr) => fr.payload));
    expect(bytes.subarray(0, 12).toString('latin1')).toBe(f.rfb.banner);
    expect([...bytes.subarray(13, 13 + (bytes[12] as number))]).toEqual(f.rfb.security_types_to_client);
    expect(bytes.readUInt32BE(14)).toBe(f.rfb.security_result);
  });

  it('an RFB 3.3 client: the banner, then close 1000 with no reason', async () => {
    const r = await rawUpgrade(await vncSocketUrl(), {
      untilClose: true,
      send: [[50, clientFrame(2, Buffer.from('RFB 003.003\n'))]],
    });
    const frames = parseFrames(r.rest);
    expect(frames[0]?.payload.toString('latin1')).toBe(f.rfb_3_3_client.before);
    expect(closeCode(frames.find((fr) => fr.opcode === 8)!)).toEqual(f.rfb_3_3_client.close);
  });

  it('security type 2: SecurityResult 1 with the reason, then close 1000', async () => {
    const r = await rawUpgrade(await vncSocketUrl(), {
      untilClose: true,
      send: [
        [50, clientFrame(2, Buffer.from('RFB 003.008\n'))],
        [150, clientFrame(2, Buffer.from([2]))],
      ],
    });
    const frames = parseFrames(r.rest);
    const data = Buffer.concat(frames.filter((fr) => fr.opcode === 2).map((fr) => fr.payload));
    const after = data.subarray(14);
    expect(after.readUInt32BE(0)).toBe(f.security_type_not_none.security_result);
    expect(after.subarray(8, 8 + after.readUInt32BE(4)).toString()).toBe(f.security_type_not_none.reason);
    expect(closeCode(frames.find((fr) => fr.opcode === 8)!)).toEqual(f.security_type_not_none.close);
  });

  it("a text frame: close 1003 with websockify's reason", async () => {
    const r = await rawUpgrade(await vncSocketUrl(), {
      untilClose: true,
      send: [[50, clientFrame(1, 'RFB 003.008\n')]],
    });
    const frames = parseFrames(r.rest);
    expect(frames[0]?.payload.toString('latin1')).toBe(f.text_frame.before);
    expect(closeCode(frames.find((fr) => fr.opcode === 8)!)).toEqual(f.text_frame.close);
  });

  it('refusals after the 101 (unknown token, no token, another Origin): no byte, then FIN', async () => {
    const url = await vncSocketUrl();
    const cases: Record<string, Parameters<typeof rawUpgrade>> = {
      'unknown token': [withToken(url, '00000000-0000-4000-8000-000000000000')],
      'no token': [withToken(url, null)],
      'Origin of another host': [url, { origin: 'http://evil.example' }],
    };
    for (const [name, want] of Object.entries(f.refused_after_upgrade)) {
      const [u, o] = cases[name]!;
      const r = await rawUpgrade(u, { ...o, waitMs: 2000 });
      expect(
        { status: r.status, bytes_after_101: r.rest.length, tcp_end: r.reset ? 'RST' : r.ended ? 'FIN' : 'open' },
        name,
      ).toEqual(want);
    }
  });

  it("handshake errors are 400 with websockify's reasons", async () => {
    const url = await vncSocketUrl();
    const how: Record<string, Parameters<typeof rawUpgrade>[1]> = {
      'only base64 offered': { protocols: 'base64' },
      'no Sec-WebSocket-Version': { version: false },
    };
    for (const [name, want] of Object.entries(f.handshake_errors)) {
      const r = await rawUpgrade(url, how[name]);
      expect({ status: r.status, reason: r.reason }, name).toEqual({ status: want.status, reason: want.reason });
    }
  });
});
