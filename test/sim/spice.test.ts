/**
 * The simulator's SPICE side over real sockets: the spice-direct proxy's .vv
 * (Kerbside) names a SPICE listener that answers the link stage
 * (spice-protocol spice/protocol.h), and the spice-html5 proxy's websocket
 * bridges to the same responder after nova's token checks.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { clientFrame, closeCode, parseFrames, rawUpgrade } from '../helpers/ws-wire.js';
import { SERVER_IDS, Simulator } from './index.js';

const ctx = useSimulator();

async function consoleUrl(type: 'spice-direct' | 'spice-html5' | 'novnc'): Promise<string> {
  const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': await issueToken(ctx.sim, 'demo'),
      'OpenStack-API-Version': 'compute 2.99',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol: type === 'novnc' ? 'vnc' : 'spice', type } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { remote_console: { url: string } }).remote_console.url;
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token') as string;

/** SpiceLinkHeader + SpiceLinkMess for a new session's main channel, no caps (built here by hand). */
function linkMessage(magic = 'REDQ', major = 2): Buffer {
  const b = Buffer.alloc(34);
  b.write(magic, 0, 'latin1');
  b.writeUInt32LE(major, 4);
  b.writeUInt32LE(2, 8);
  b.writeUInt32LE(18, 12);
  b.writeUInt32LE(0, 16); // connection_id
  b.writeUInt8(1, 20); // channel_type main
  b.writeUInt8(0, 21); // channel_id
  b.writeUInt32LE(18, 30); // caps_offset
  return b;
}

/** The reply as the client reads it: header fields and SpiceLinkReply's. */
function parseReply(b: Buffer) {
  return {
    magic: b.subarray(0, 4).toString('latin1'),
    major: b.readUInt32LE(4),
    minor: b.readUInt32LE(8),
    size: b.readUInt32LE(12),
    error: b.readUInt32LE(16),
    pubKey: b.subarray(20, 182),
    numCommonCaps: b.readUInt32LE(182),
    numChannelCaps: b.readUInt32LE(186),
    capsOffset: b.readUInt32LE(190),
    length: b.length,
  };
}

/** Sends `bytes` over TCP, collects what comes back until the server ends it (or waitMs). */
function tcpExchange(port: number, bytes: Buffer, waitMs = 5000) {
  return new Promise<{ data: Buffer; endedAfterMs: number | null }>((resolve, reject) => {
    const t0 = Date.now();
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    let data = Buffer.alloc(0);
    let endedAfterMs: number | null = null;
    const timer = setTimeout(() => sock.destroy(), waitMs);
    sock.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
    sock.on('end', () => {
      endedAfterMs = Date.now() - t0;
      sock.end();
    });
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data, endedAfterMs });
    });
  });
}

async function vvOf(url: string): Promise<{ text: string; entries: Map<string, string> }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-virt-viewer;charset=UTF-8');
  const text = await res.text();
  const entries = new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
  return { text, entries };
}

describe('spice-direct (Kerbside) names a SPICE listener of the simulator', () => {
  it('Nova hands out …/nova-console.vv; the file: Kerbside keys in order, host/port/tls-port of the listener', async () => {
    const url = await consoleUrl('spice-direct');
    expect(new URL(url).pathname).toBe('/console/spice-direct/nova-console.vv');
    const { text, entries } = await vvOf(url);
    expect(text.startsWith('[virt-viewer]\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect([...entries.keys()]).toEqual([
      'type',
      'host',
      'port',
      'tls-port',
      'password',
      'delete-this-file',
      'fullscreen',
      'title',
      'toggle-fullscreen',
      'release-cursor',
      'secure-attention',
      'enable-smartcard',
      'enable-usb-autoshare',
      'usb-filter',
      'tls-ciphers',
      'ca',
    ]);
    expect(entries.get('host')).toBe('127.0.0.1');
    expect(Number(entries.get('port'))).toBeGreaterThan(0);
    expect(entries.get('port')).toBe(String(ctx.sim.spiceProxy.port));
    expect(entries.get('tls-port')).toBe(entries.get('port'));
    expect(entries.get('title')).toMatch(new RegExp(`^${SERVER_IDS.web1} via proxy session ID \\d+$`));
    // One line: the PEM's newlines are the two characters \n (GKeyFile escaping).
    expect(entries.get('ca')).toMatch(/^-----BEGIN CERTIFICATE-----\\n.+\\n-----END CERTIFICATE-----\\n$/);
  });

  it('a fresh password and session ID per fetch; …/nova answers the same (a simulator convenience)', async () => {
    const url = await consoleUrl('spice-direct');
    const nova = new URL(url);
    nova.pathname = '/console/spice-direct/nova';
    const [a, b] = [await vvOf(url), await vvOf(nova.toString())];
    expect([...b.entries.keys()]).toEqual([...a.entries.keys()]);
    expect(a.entries.get('password')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(b.entries.get('password')).not.toBe(a.entries.get('password'));
    expect(b.entries.get('title')).not.toBe(a.entries.get('title'));
  });

  it('401 token absent, 404 nova token not found (unknown token; a spice-html5 token), as JSON', async () => {
    const bare = `${ctx.sim.url}/console/spice-direct/nova-console.vv`;
    const cases: [string, number, string][] = [
      [bare, 401, 'token absent'],
      [`${bare}?token=`, 401, 'token absent'],
      [`${bare}?token=0b4c7e5e-0000-4000-8000-000000000000`, 404, 'nova token not found'],
      [`${bare}?token=${tokenOf(await consoleUrl('spice-html5'))}`, 404, 'nova token not found'],
    ];
    for (const [url, status, error] of cases) {
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect([res.status, await res.json()]).toEqual([status, { error, status }]);
    }
  });
});

describe('the SPICE listener: link stage over TCP', () => {
  it('answers a link message with REDQ 2.2 and an OK SpiceLinkReply, records the link, ends a moment later', async () => {
    const { entries } = await vvOf(await consoleUrl('spice-direct'));
    const before = ctx.sim.spiceLinks().length;
    const { data, endedAfterMs } = await tcpExchange(Number(entries.get('port')), linkMessage());
    const r = parseReply(data);
    expect({ ...r, pubKey: r.pubKey.length }).toEqual({
      magic: 'REDQ',
      major: 2,
      minor: 2,
      size: 178,
      error: 0,
      pubKey: 162,
      numCommonCaps: 0,
      numChannelCaps: 0,
      capsOffset: 178,
      length: 16 + 178,
    });
    expect(r.pubKey.equals(Buffer.alloc(162))).toBe(false);
    expect(endedAfterMs).not.toBeNull();
    const links = ctx.sim.spiceLinks().slice(before);
    expect(links).toEqual([
      { via: 'tcp', major: 2, minor: 2, connectionId: 0, channelType: 1, channelId: 0, error: 0 },
    ]);
    expect(JSON.stringify(links)).not.toMatch(/password|ticket/i);
  });

  it('the header split over several writes is still one link message', async () => {
    const before = ctx.sim.spiceLinks().length;
    const sock = connect(ctx.sim.spiceProxy.port, '127.0.0.1');
    let data = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
    const closed = new Promise((resolve) => sock.on('close', resolve));
    const msg = linkMessage();
    for (const part of [msg.subarray(0, 3), msg.subarray(3, 20), msg.subarray(20)]) {
      sock.write(part);
      await new Promise((r) => setTimeout(r, 30));
    }
    await closed;
    expect(parseReply(data).error).toBe(0);
    expect(ctx.sim.spiceLinks().length).toBe(before + 1);
  });

  it('a wrong magic: a reply carrying INVALID_MAGIC (2), then the end at once; nothing recorded', async () => {
    const before = ctx.sim.spiceLinks().length;
    const { data, endedAfterMs } = await tcpExchange(ctx.sim.spiceProxy.port, linkMessage('RFB '));
    const r = parseReply(data);
    expect([r.magic, r.size, r.error, r.pubKey.equals(Buffer.alloc(162))]).toEqual(['REDQ', 178, 2, true]);
    expect(endedAfterMs).not.toBeNull();
    expect(endedAfterMs!).toBeLessThan(900);
    expect(ctx.sim.spiceLinks().length).toBe(before);
  });

  it('starts and stops with the simulator', async () => {
    const sim = await Simulator.start();
    const port = sim.spiceProxy.port;
    expect(parseReply((await tcpExchange(port, linkMessage())).data).error).toBe(0);
    await sim.stop();
    // Closed: the listener has no address any more. Dialling the old port proves nothing: a
    // port-0 listener of another test file may have been given it since (CI once saw that
    // listener reset the connection).
    expect(sim.spiceProxy.port).toBe(0);
  });
});

describe('spice-html5: the websocket bridges to the same SPICE responder', () => {
  for (const path of ['/console/spice/websockify', '/']) {
    it(`upgrade at ${path}: 101 binary, the link reply in binary frames, then 1000 "Target closed"`, async () => {
      const token = tokenOf(await consoleUrl('spice-html5'));
      const before = ctx.sim.spiceLinks(SERVER_IDS.web1).length;
      const r = await rawUpgrade(`${ctx.sim.url.replace(/^http/, 'ws')}${path}?token=${token}`, {
        send: [[0, clientFrame(2, linkMessage())]],
        untilClose: true,
      });
      expect([r.status, r.headers['sec-websocket-protocol']]).toEqual([101, 'binary']);
      const frames = parseFrames(r.rest);
      const data = Buffer.concat(frames.filter((f) => f.opcode === 2).map((f) => f.payload));
      expect(parseReply(data)).toMatchObject({ magic: 'REDQ', size: 178, error: 0, capsOffset: 178, length: 194 });
      const close = frames.find((f) => f.opcode === 8);
      expect(close && closeCode(close)).toEqual({ code: 1000, reason: 'Target closed' });
      expect(ctx.sim.spiceLinks(SERVER_IDS.web1).slice(before)).toEqual([
        {
          via: 'websocket',
          serverId: SERVER_IDS.web1,
          major: 2,
          minor: 2,
          connectionId: 0,
          channelType: 1,
          channelId: 0,
          error: 0,
        },
      ]);
    });
  }

  it('a bad token, or a novnc token, at the spice path: 101, then a drop with no close frame and no reply', async () => {
    const novnc = tokenOf(await consoleUrl('novnc'));
    const before = ctx.sim.spiceLinks().length;
    for (const token of ['not-a-token', novnc]) {
      const r = await rawUpgrade(`${ctx.sim.url.replace(/^http/, 'ws')}/console/spice/websockify?token=${token}`, {
        send: [[0, clientFrame(2, linkMessage())]],
      });
      expect(r.status).toBe(101);
      expect(r.rest.length).toBe(0);
      expect(r.ended || r.reset).toBe(true);
    }
    expect(ctx.sim.spiceLinks().length).toBe(before);
  });
});
