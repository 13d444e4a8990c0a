import { describe, expect, it } from 'vitest';
import { VvError, formatVv, parseVv, redactVv, vvEntries } from '../../src/viewer/vv.js';
import { novncWebSocketUrl } from '../../src/core/console-url.js';

// The shape Kerbside answers for /nova-console.vv (kerbside/api.py VIRTVIEWER_TEMPLATE, key order kept),
// with a two-line CA whose newlines are written as the two characters \n.
const KERBSIDE = [
  '[virt-viewer]',
  'type=spice',
  'host=kerbside.example.com',
  'port=5901',
  'tls-port=5900',
  'password=Zm9vYmFyYmF6',
  'delete-this-file=1',
  'fullscreen=0',
  'title=0b7a5d0e-6f32-4c3a-9d1e-2f8c4a6b9e11 via proxy session ID 42',
  'toggle-fullscreen=shift+f11',
  'release-cursor=shift+f12',
  'secure-attention=ctrl+alt+end',
  'enable-smartcard=1',
  'enable-usb-autoshare=1',
  'usb-filter=-1,-1,-1,-1,0',
  'tls-ciphers=DEFAULT',
  'ca=-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIUQ\\n-----END CERTIFICATE-----\\n',
  '',
].join('\n');

describe('virt-viewer files', () => {
  it("parses Kerbside's file: keys in order, integers, the CA's escaped newlines", () => {
    const vv = vvEntries(parseVv(KERBSIDE));
    expect([...vv.keys()].slice(0, 6)).toEqual(['type', 'host', 'port', 'tls-port', 'password', 'delete-this-file']);
    expect(vv.get('port')).toBe('5901');
    expect(vv.get('usb-filter')).toBe('-1,-1,-1,-1,0');
    expect(vv.get('ca')).toBe('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n');
  });

  it('writes what it parses back to the same values (escapes: backslash, newline, tab, leading space)', () => {
    const tricky = ' lead\\ing\ttab\nline\r';
    const text = formatVv([
      ['type', 'spice'],
      ['host', '10.0.0.5'],
      ['port', 5900],
      ['tls-port', undefined],
      ['title', tricky],
    ]);
    expect(text).toBe('[virt-viewer]\ntype=spice\nhost=10.0.0.5\nport=5900\ntitle=\\slead\\\\ing\\ttab\\nline\\r\n');
    expect(vvEntries(parseVv(text)).get('title')).toBe(tricky);
    expect(vvEntries(parseVv(text)).has('tls-port')).toBe(false);
  });

  it('keeps comments, blank lines, other groups and x- keys out of the way', () => {
    const file = parseVv('# made by hand\n\n[virt-viewer]\ntype=vnc\nx-osconsole=1\n[ovirt]\nhost=engine\n');
    expect(vvEntries(file).get('x-osconsole')).toBe('1');
    expect(file.get('ovirt')?.get('host')).toBe('engine');
  });

  it('refuses what remote-viewer refuses, saying why', () => {
    expect(() => parseVv('[other]\ntype=spice\n')).toThrow(/no \[virt-viewer\] group/);
    expect(() => parseVv('[virt-viewer]\nhost=h\n')).toThrow(/no "type"/);
    expect(() => parseVv('[virt-viewer]\ntype=spice\nport=59o0\n')).toThrow(/"port" is not an integer/);
    expect(() => parseVv('type=spice\n')).toThrow(/before any \[group\]/);
    expect(() => parseVv('<html>nope</html>')).toThrow(VvError);
    expect(() => formatVv([['bad key', 'x']])).toThrow(/not a key name/);
  });

  it('redacts the password and nothing else', () => {
    const red = redactVv(KERBSIDE);
    expect(red).not.toContain('Zm9vYmFyYmF6');
    expect(red).toContain('password=***');
    expect(red.replace('password=***', 'password=Zm9vYmFyYmF6')).toBe(KERBSIDE);
  });
});

describe("noVNC's websocket URL from its page URL", () => {
  it('is the page origin + "/" + path, where Nova puts the token', () => {
    expect(novncWebSocketUrl('http://ctl:6080/vnc_lite.html?path=%3Ftoken%3Dabc')).toBe('ws://ctl:6080/?token=abc');
    expect(novncWebSocketUrl('https://ctl/vnc_auto.html?path=%3Ftoken%3Dabc')).toBe('wss://ctl/?token=abc');
  });

  it('keeps a path prefix from the base URL, and honours host, port and encrypt', () => {
    expect(novncWebSocketUrl('https://lb/novnc/vnc_lite.html?path=novnc%2Fwebsockify%3Ftoken%3Dt1')).toBe(
      'wss://lb/novnc/websockify?token=t1',
    );
    expect(novncWebSocketUrl('http://a:1/vnc.html?host=b&port=2&encrypt=1&path=%3Ftoken%3Dt')).toBe(
      'wss://b:2/?token=t',
    );
    expect(novncWebSocketUrl('http://[::1]:6080/vnc_lite.html')).toBe('ws://[::1]:6080/websockify');
  });

  it('refuses a URL that is no page', () => {
    expect(() => novncWebSocketUrl('ws://h:6083/?token=x')).toThrow(/not a noVNC page URL/);
  });
});
