/**
 * The VNC server behind the simulated noVNC proxy, as a client sees it
 * through nova's RFB security proxy (nova/console/securityproxy/rfb.py
 * RFBSecurityProxy.connect, Zed = Epoxy; recorded against TigerVNC Xvnc in
 * test/fixtures/real/vnc/*.json):
 * - the server's banner `RFB 003.008\n` (nova requires 3.8 of both sides;
 *   another client version → the session ends: `link.reset()`);
 * - security types offered: exactly [1] None (`\x01\x01`), whatever the
 *   hypervisor's; another choice → u32 1 + reason, then the end (_fail);
 * - SecurityResult u32 0, then the backend's own protocol: ClientInit (1
 *   byte), ServerInit (RFC 6143 §7.3.2), then client messages (§7.5) answered
 *   with one raw FramebufferUpdate per FramebufferUpdateRequest.
 * A server that is not 3.8 or not reachable never gets here: nova drops the
 * client's connection (no close frame) — see the proxy's `backend` modes.
 */
import type { GuestLink } from './guest.js';

export const RFB_VERSION = 'RFB 003.008\n';
export const SCREEN = { width: 320, height: 240 };
/** 32 bpp, depth 24, little-endian, true colour, max 255 each, shifts red 16, green 8, blue 0. */
const PIXEL_FORMAT = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
/** Client message lengths (type → fixed length, or a function of the bytes so far), RFC 6143 §7.5. */
const CLIENT_MESSAGES: Record<number, (b: Buffer) => number | undefined> = {
  0: () => 20, // SetPixelFormat
  2: (b) => (b.length >= 4 ? 4 + 4 * b.readUInt16BE(2) : undefined), // SetEncodings
  3: () => 10, // FramebufferUpdateRequest
  4: () => 8, // KeyEvent
  5: () => 6, // PointerEvent
  6: (b) => (b.length >= 8 ? 8 + b.readUInt32BE(4) : undefined), // ClientCutText
};

export interface RfbSession {
  /** The version the client answered, the security type it chose. */
  clientVersion?: string;
  securityType?: number;
  /** ServerInit was sent. */
  initialised: boolean;
  /** Keysyms of KeyEvents (down only). */
  keys: number[];
  updates: number;
}

/** One server's VNC display: each proxy connection gets its own session. */
export class FakeRfb {
  readonly sessions: RfbSession[] = [];

  constructor(readonly name: string) {}

  connect(link: GuestLink): (data: Buffer) => void {
    const s: RfbSession = { initialised: false, keys: [], updates: 0 };
    this.sessions.push(s);
    let buf = Buffer.alloc(0);
    let stage: 'version' | 'security' | 'init' | 'messages' = 'version';
    link.write(Buffer.from(RFB_VERSION, 'latin1'));
    return (data) => {
      buf = Buffer.concat([buf, data]);
      for (;;) {
        if (stage === 'version') {
          if (buf.length < 12) return;
          s.clientVersion = buf.subarray(0, 12).toString('latin1');
          buf = buf.subarray(12);
          if (s.clientVersion !== RFB_VERSION) return link.reset();
          link.write(Buffer.from([1, 1]));
          stage = 'security';
        } else if (stage === 'security') {
          if (buf.length < 1) return;
          s.securityType = buf[0];
          buf = buf.subarray(1);
          if (s.securityType !== 1) return this.fail(link, 'Only the security type 1 (NONE) is supported');
          link.write(Buffer.alloc(4)); // SecurityResult OK
          stage = 'init';
        } else if (stage === 'init') {
          if (buf.length < 1) return;
          buf = buf.subarray(1);
          link.write(this.serverInit());
          s.initialised = true;
          stage = 'messages';
        } else {
          const len = buf.length > 0 ? CLIENT_MESSAGES[buf[0] as number]?.(buf) : undefined;
          if (buf.length > 0 && !((buf[0] as number) in CLIENT_MESSAGES)) return link.reset();
          if (len === undefined || buf.length < len) return;
          const msg = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (msg[0] === 4 && msg[1] === 1) s.keys.push(msg.readUInt32BE(4));
          if (msg[0] === 3) {
            s.updates++;
            link.write(this.update());
          }
        }
      }
    };
  }

  /** rfb.py _fail: a u32 1 (failed) and the reason, then the connection is closed. */
  private fail(link: GuestLink, reason: string): void {
    const r = Buffer.from(reason);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(r.length, 4);
    link.write(Buffer.concat([head, r]));
    link.reset();
  }

  private serverInit(): Buffer {
    const name = Buffer.from(this.name);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(SCREEN.width, 0);
    head.writeUInt16BE(SCREEN.height, 2);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(name.length, 0);
    return Buffer.concat([head, PIXEL_FORMAT, len, name]);
  }

  /** One raw rectangle of the whole screen: four horizontal bands, red, green, blue, white. */
  private update(): Buffer {
    const { width, height } = SCREEN;
    const head = Buffer.alloc(16);
    head.writeUInt8(0, 0); // FramebufferUpdate
    head.writeUInt16BE(1, 2); // one rectangle
    head.writeUInt16BE(width, 8);
    head.writeUInt16BE(height, 10);
    head.writeInt32BE(0, 12); // raw
    const pixels = Buffer.alloc(width * height * 4);
    const bands = [0xff0000, 0x00ff00, 0x0000ff, 0xffffff];
    for (let y = 0; y < height; y++) {
      const colour = bands[Math.floor((y * bands.length) / height)] as number;
      for (let x = 0; x < width; x++) pixels.writeUInt32LE(colour, (y * width + x) * 4);
    }
    return Buffer.concat([head, pixels]);
  }
}
