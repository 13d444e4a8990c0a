/**
 * The SPICE link exchange, which proves a SPICE server behind a proxy. The
 * client speaks first (spice-protocol spice/protocol.h, all little-endian):
 * SpiceLinkHeader {u32 magic "REDQ", u32 major 2, u32 minor 2, u32 size}
 * then SpiceLinkMess {u32 connection_id, u8 channel_type (1 = main), u8
 * channel_id, u32 num_common_caps, u32 num_channel_caps, u32 caps_offset}
 * (18 bytes, no capabilities here). The server answers with its own
 * SpiceLinkHeader and SpiceLinkReply {u32 error, 162-byte public key, caps};
 * the error codes are spice/enums.h SpiceLinkErr. Nothing secret is sent:
 * the ticket (password) would follow the reply, and the probe stops there.
 */
import type { ByteStream } from '../../http/byte-stream.js';
import type { ProbeStep } from './steps.js';
import { failed, passed, quotedBytes, shortRead } from './steps.js';

export const SPICE_MAGIC = Buffer.from('REDQ', 'latin1');
const MAJOR = 2;
const MINOR = 2;
const LINK_MESS_SIZE = 18;
/** SPICE_TICKET_PUBKEY_BYTES (1024 / 8 + 34) plus error and the three caps fields. */
const MIN_REPLY = 4 + 162 + 12;
const MAX_REPLY = 64 * 1024;
const CHANNEL_MAIN = 1;

/** spice/enums.h SpiceLinkErr, in order. */
export const LINK_ERRORS = [
  'OK',
  'ERROR',
  'INVALID_MAGIC',
  'INVALID_DATA',
  'VERSION_MISMATCH',
  'NEED_SECURED',
  'NEED_UNSECURED',
  'PERMISSION_DENIED',
  'BAD_CONNECTION_ID',
  'CHANNEL_NOT_AVAILABLE',
] as const;
export const NEED_SECURED = 5;

export function linkErrorName(code: number): string {
  return LINK_ERRORS[code] ?? `error ${code}`;
}

/** SpiceLinkHeader + SpiceLinkMess for a new session's main channel, without capabilities. */
export function linkMessage(): Buffer {
  const b = Buffer.alloc(16 + LINK_MESS_SIZE);
  SPICE_MAGIC.copy(b, 0);
  b.writeUInt32LE(MAJOR, 4);
  b.writeUInt32LE(MINOR, 8);
  b.writeUInt32LE(LINK_MESS_SIZE, 12);
  b.writeUInt32LE(0, 16); // connection_id: 0, a new session
  b.writeUInt8(CHANNEL_MAIN, 20);
  b.writeUInt8(0, 21); // channel_id
  b.writeUInt32LE(0, 22); // num_common_caps
  b.writeUInt32LE(0, 26); // num_channel_caps
  b.writeUInt32LE(LINK_MESS_SIZE, 30); // caps_offset: right after the message
  return b;
}

export interface LinkHeader {
  magic: boolean;
  major: number;
  minor: number;
  size: number;
}

export function parseLinkHeader(b: Buffer): LinkHeader {
  return {
    magic: b.subarray(0, 4).equals(SPICE_MAGIC),
    major: b.readUInt32LE(4),
    minor: b.readUInt32LE(8),
    size: b.readUInt32LE(12),
  };
}

/**
 * Sends the link message and reads the reply: the step, and the server's
 * link error (undefined when no reply was read), for callers that move to
 * the TLS port on NEED_SECURED.
 */
export async function probeSpiceLink(
  stream: ByteStream,
  timeoutMs: number,
  since = 'after the upgrade',
): Promise<{ step: ProbeStep; error?: number }> {
  stream.write(linkMessage());
  // The magic first: another protocol (an RFB banner is 12 bytes) is told apart without waiting for 16.
  const magic = await stream.read(4, timeoutMs);
  if (magic.bytes.length > 0 && !SPICE_MAGIC.subarray(0, magic.bytes.length).equals(magic.bytes))
    return { step: notSpice(Buffer.concat([magic.bytes, (await stream.readSome(50)).bytes])) };
  if (magic.bytes.length < 4) return { step: shortRead('link', magic, timeoutMs, 'no SPICE link reply', since) };
  const rest = await stream.read(12, timeoutMs);
  if (rest.bytes.length < 12) return { step: shortRead('link', rest, timeoutMs, 'no SPICE link reply', since) };
  const head = { bytes: Buffer.concat([magic.bytes, rest.bytes]) };
  const h = parseLinkHeader(head.bytes);
  if (!h.magic) return { step: notSpice(head.bytes) };
  if (h.major !== MAJOR)
    return {
      step: failed('link', `SPICE protocol ${h.major}.${h.minor}, not ${MAJOR}.x`, {
        kind: 'refused',
        protocol: 'spice',
        reason: 'VERSION_MISMATCH',
        code: 4,
      }),
    };
  if (h.size < 4 || h.size > MAX_REPLY)
    return {
      step: failed('link', `a SPICE link reply of ${h.size} bytes`, {
        kind: 'protocol',
        expected: 'spice',
        got: quotedBytes(head.bytes),
      }),
    };
  const reply = await stream.read(h.size, timeoutMs);
  if (reply.bytes.length < 4) return { step: shortRead('link', reply, timeoutMs, 'no SPICE link reply', since) };
  const error = reply.bytes.readUInt32LE(0);
  const version = `SPICE ${h.major}.${h.minor}`;
  if (error !== 0)
    return {
      step: failed('link', `"REDQ" reply (${version}), link error ${linkErrorName(error)} (${error})`, {
        kind: 'refused',
        protocol: 'spice',
        reason: linkErrorName(error),
        code: error,
      }),
      error,
    };
  const complete = h.size >= MIN_REPLY ? '' : ` (a short reply: ${h.size} bytes)`;
  return { step: passed('link', `"REDQ" reply (${version}), main channel link accepted${complete}`), error };
}

function notSpice(got: Buffer): ProbeStep {
  return failed('link', `not a SPICE server: it answered ${quotedBytes(got)}`, {
    kind: 'protocol',
    expected: 'spice',
    got: quotedBytes(got),
  });
}
