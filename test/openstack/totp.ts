/**
 * RFC 6238 TOTP as Keystone's totp auth plugin checks it: HMAC-SHA-1, 6 digits,
 * 30 s steps, secret stored base32-encoded in the credential blob.
 * Kept here (not imported from the simulator) so the real-OpenStack tier
 * computes its codes independently of the code it is meant to check.
 */
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32ToBytes(secret: string): Buffer {
  const s = secret.replace(/[\s=]+/g, '').toUpperCase();
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The passcode for the 30 s window that contains `atMs` (default: now). */
export function totpCode(secretBase32: string, atMs: number = Date.now(), digits = 6, stepSeconds = 30): string {
  const counter = BigInt(Math.floor(atMs / 1000 / stepSeconds));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac('sha1', base32ToBytes(secretBase32)).update(msg).digest();
  const off = (mac[mac.length - 1] ?? 0) & 0x0f;
  const bin = mac.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}
