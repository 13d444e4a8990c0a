/**
 * A serial console's stream: the proxy bridges the websocket to QEMU's
 * chardev socket, which says nothing until the guest writes. Horizon's
 * serial console sent "\r" on open to wake the getty, and `console attach`
 * does too; a refused token shows as the connection dropping right after the
 * upgrade (nova/console/websocketproxy.py new_websocket_client), within
 * 0.3-0.6 s on the real tiers (docs/facts/console-proxies.md).
 */
import type { ByteStream } from '../../http/byte-stream.js';
import { quoted } from '../../text.js';
import type { ProbeStep } from './steps.js';
import { passed, seconds, shortRead } from './steps.js';

/** How long the stream must stay open, silent, to count as open (longer than nova's refusals take). */
export const SERIAL_WINDOW_MS = 2000;

export async function probeSerial(stream: ByteStream, windowMs = SERIAL_WINDOW_MS): Promise<ProbeStep> {
  stream.write(Uint8Array.of(0x0d));
  const r = await stream.readSome(windowMs);
  if (r.bytes.length > 0)
    return passed('stream', `${r.bytes.length} bytes after "\\r": ${quoted(r.bytes.toString('utf8'), 48)}`);
  if (r.end) return shortRead('stream', r, windowMs, 'no output', 'after the upgrade');
  // Open and quiet: a guest with no getty, or another client holding the port (QEMU serves one at a time).
  return passed(
    'stream',
    `open for ${seconds(windowMs)}, no output after "\\r" (another client may hold the serial port)`,
  );
}
