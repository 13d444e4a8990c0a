/**
 * The start of an RFB (VNC) session, far enough to prove the VNC server
 * behind a proxy: the banner, security type None, and the ServerInit with
 * the desktop's size and name. Facts (RFC 6143): the server speaks first
 * with 12 bytes "RFB xxx.yyy\n" (7.1.1); from 3.7 it lists security types
 * as u8 count + u8 types, a count of 0 followed by a u32-length reason
 * (7.1.2); 3.3 sends one u32 type instead; SecurityResult is a u32, 0 = OK,
 * sent for None from 3.8 on, with a reason after a failure (7.1.3);
 * ClientInit is one byte, shared-flag (7.3.1); ServerInit is u16 width, u16
 * height, a 16-byte pixel format, a u32-length name (7.3.2), all big-endian.
 * Through nova the banner is always 003.008 and the only type offered is None
 * (nova/console/securityproxy/rfb.py RFBSecurityProxy.connect).
 */
import type { ByteStream } from '../../http/byte-stream.js';
import { quoted } from '../../text.js';
import type { ProbeStep } from './steps.js';
import { failed, passed, quotedBytes, shortRead } from './steps.js';

const BANNER = /^RFB (\d{3})\.(\d{3})\n$/;
const NONE = 1;
/** Longest reason or desktop name read; anything longer is a broken server. */
const MAX_TEXT = 4096;

/** RFC 6143 7.1.2 and the IANA RFB security types registry, for the ones a Nova admin may meet. */
const SECURITY_NAMES: Record<number, string> = {
  1: 'None',
  2: 'VNC Authentication',
  16: 'Tight',
  18: 'TLS',
  19: 'VeNCrypt',
  20: 'SASL',
};

export function securityName(type: number): string {
  return SECURITY_NAMES[type] ? `${SECURITY_NAMES[type]} (${type})` : `type ${type}`;
}

/** "RFB 003.008\n" → [3, 8]; undefined when it is not a banner. */
export function parseBanner(bytes: Buffer): [number, number] | undefined {
  const m = BANNER.exec(bytes.toString('latin1'));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The version a client answers: 3.8 for 3.8 and later, else the server's own 3.3 or 3.7. */
export function answerVersion([major, minor]: [number, number]): [number, number] {
  if (major > 3 || minor >= 8) return [3, 8];
  return [3, minor >= 7 ? 7 : 3];
}

export function formatBanner([major, minor]: [number, number]): string {
  return `RFB ${String(major).padStart(3, '0')}.${String(minor).padStart(3, '0')}\n`;
}

/** ServerInit's fixed part: width, height, and the name's length. */
export function parseServerInit(head: Buffer): { width: number; height: number; nameLength: number } {
  return { width: head.readUInt16BE(0), height: head.readUInt16BE(2), nameLength: head.readUInt32BE(20) };
}

/**
 * Banner, security, desktop: one step each, stopping at the first that
 * fails. The stream is left open; the caller closes it.
 */
export async function probeRfb(stream: ByteStream, timeoutMs: number): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const banner = await stream.read(12, timeoutMs);
  if (banner.bytes.length < 12) return [shortRead('banner', banner, timeoutMs, 'no RFB banner', 'after the upgrade')];
  const version = parseBanner(banner.bytes);
  if (!version)
    return [
      failed('banner', `not a VNC server: it sent ${quotedBytes(banner.bytes)}`, {
        kind: 'protocol',
        expected: 'rfb',
        got: quotedBytes(banner.bytes),
      }),
    ];
  steps.push(passed('banner', formatBanner(version).trim()));
  const answer = answerVersion(version);
  stream.write(Buffer.from(formatBanner(answer), 'latin1'));
  const security = await negotiateNone(stream, answer, timeoutMs);
  steps.push(security);
  if (!security.ok) return steps;
  steps.push(await desktop(stream, timeoutMs));
  return steps;
}

async function negotiateNone(stream: ByteStream, [, minor]: [number, number], timeoutMs: number): Promise<ProbeStep> {
  const short = (r: Awaited<ReturnType<ByteStream['read']>>, what: string) =>
    shortRead('security', r, timeoutMs, what, 'after the upgrade');
  let types: number[];
  if (minor === 3) {
    const t = await stream.read(4, timeoutMs);
    if (t.bytes.length < 4) return short(t, 'no security type');
    types = [t.bytes.readUInt32BE(0)];
  } else {
    const count = await stream.read(1, timeoutMs);
    if (count.bytes.length < 1) return short(count, 'no security types');
    const list = await stream.read(count.bytes[0] as number, timeoutMs);
    if (list.bytes.length < (count.bytes[0] as number)) return short(list, 'no security types');
    types = [...list.bytes];
  }
  if (types.length === 0 || types[0] === 0) {
    const reason = await readReason(stream, timeoutMs);
    return failed('security', `the VNC server refused the connection: ${quoted(reason, 80)}`, {
      kind: 'refused',
      protocol: 'rfb',
      reason,
    });
  }
  const offered = types.map(securityName).join(', ');
  if (!types.includes(NONE))
    return failed('security', `no security type None: the server offers ${offered}`, { kind: 'auth', types });
  if (minor !== 3) stream.write(Uint8Array.of(NONE));
  // SecurityResult follows None from 3.8 on (RFC 6143 7.2.1).
  if (minor < 8) return passed('security', `security type None (offered: ${offered})`);
  const result = await stream.read(4, timeoutMs);
  if (result.bytes.length < 4) return short(result, 'no SecurityResult');
  if (result.bytes.readUInt32BE(0) !== 0) {
    const reason = await readReason(stream, timeoutMs);
    return failed('security', `security type None failed: ${quoted(reason, 80)}`, {
      kind: 'refused',
      protocol: 'rfb',
      reason,
    });
  }
  return passed('security', `security type None accepted (offered: ${offered})`);
}

async function desktop(stream: ByteStream, timeoutMs: number): Promise<ProbeStep> {
  // ClientInit, shared: other viewers of this console stay connected.
  stream.write(Uint8Array.of(1));
  const head = await stream.read(24, timeoutMs);
  if (head.bytes.length < 24) return shortRead('desktop', head, timeoutMs, 'no ServerInit', 'after the upgrade');
  const init = parseServerInit(head.bytes);
  const name = await stream.read(Math.min(init.nameLength, MAX_TEXT), timeoutMs);
  return passed('desktop', `${init.width}x${init.height}, desktop name ${quoted(name.bytes.toString('utf8'), 60)}`);
}

/** A failure reason: u32 length, then that many bytes (RFC 6143 7.1.2, 7.1.3). */
async function readReason(stream: ByteStream, timeoutMs: number): Promise<string> {
  const len = await stream.read(4, timeoutMs);
  if (len.bytes.length < 4) return '(no reason given)';
  const text = await stream.read(Math.min(len.bytes.readUInt32BE(0), MAX_TEXT), timeoutMs);
  return text.bytes.toString('utf8');
}
