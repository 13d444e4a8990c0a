/**
 * RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s steps), as Keystone's totp auth
 * plugin checks it (keystone/auth/plugins/totp.py; it also accepts the
 * previous window by default: [totp] included_previous_windows = 1).
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(input: string): Buffer {
  const clean = input.replace(/=+$/, '').replace(/\s+/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const idx = BASE32.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base32 character ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The passcode for the 30 s window containing `timeMs` (RFC 4226 dynamic truncation). */
export function totp(secretBase32: string, timeMs: number, digits = 6, stepSeconds = 30): string {
  const counter = Math.floor(timeMs / 1000 / stepSeconds);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(msg).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

/** True when `passcode` matches the current or the previous window. */
export function verifyTotp(secretBase32: string, passcode: string, timeMs: number, previousWindows = 1): boolean {
  for (let w = 0; w <= previousWindows; w++) {
    if (totp(secretBase32, timeMs - w * 30_000) === passcode) return true;
  }
  return false;
}
