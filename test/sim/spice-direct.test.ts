/**
 * The simulator's spice-direct proxy answers as Kerbside does (kerbside/api.py
 * NovaToken; shakenfist_utilities api.error): the .vv for a live spice-direct
 * token, JSON errors otherwise.
 */
import { describe, expect, it } from 'vitest';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { SERVER_IDS } from './index.js';
import { parseVv, vvEntries } from '../../src/viewer/vv.js';

const ctx = useSimulator();

async function spiceDirectUrl(): Promise<string> {
  const res = await fetch(`${ctx.sim.url}/compute/v2.1/servers/${SERVER_IDS.web1}/remote-consoles`, {
    method: 'POST',
    headers: {
      'X-Auth-Token': await issueToken(ctx.sim, 'demo'),
      'OpenStack-API-Version': 'compute 2.99',
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ remote_console: { protocol: 'spice', type: 'spice-direct' } }),
  });
  return ((await res.json()) as { remote_console: { url: string } }).remote_console.url;
}

describe('the spice-direct proxy (Kerbside)', () => {
  it("a live token: 200 application/x-virt-viewer, Kerbside's keys in order, a fresh ticket per fetch", async () => {
    const url = await spiceDirectUrl();
    const [a, b] = [await fetch(url), await fetch(url)];
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/x-virt-viewer;charset=UTF-8');
    const [va, vb] = [vvEntries(parseVv(await a.text())), vvEntries(parseVv(await b.text()))];
    expect([...va.keys()]).toEqual([
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
    expect(va.get('title')).toMatch(new RegExp(`^${SERVER_IDS.web1} via proxy session ID \\d+$`));
    expect(va.get('password')).not.toBe(vb.get('password'));
  });

  it('no token: 401 {"error": "token absent"}; an unknown or expired one: 404 {"error": "nova token not found"}', async () => {
    const url = new URL(await spiceDirectUrl());
    const bare = new URL(url);
    bare.search = '';
    const none = await fetch(bare);
    expect([none.status, await none.json()]).toEqual([401, { error: 'token absent', status: 401 }]);
    ctx.sim.advance(601);
    const expired = await fetch(url);
    expect([expired.status, await expired.json()]).toEqual([404, { error: 'nova token not found', status: 404 }]);
  });
});
