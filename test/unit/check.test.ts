/**
 * The pure parts of `console check`: which console a URL is, where
 * spice-html5's websocket is, and the cause map (a failure seen by a probe →
 * the likely cause, the hint, the exit code).
 */
import { describe, expect, it } from 'vitest';
import { classifyTarget, explainStep, spiceHtml5WebSocketUrl } from '../../src/core/check.js';
import type { Failure, ProbeStep, StepName } from '../../src/core/probes/steps.js';

const TOKEN = '9a4f3e7c-1d2b-4c5a-8e6f-0a1b2c3d4e5f';

describe('targets', () => {
  it.each([
    ['web-1', undefined, { kind: 'server', server: 'web-1', type: 'novnc' }],
    ['web-1', 'auto', { kind: 'server', server: 'web-1', type: 'auto' }],
    [`http://h:6080/vnc_lite.html?path=%3Ftoken%3D${TOKEN}`, undefined, { kind: 'url', type: 'novnc' }],
    [`http://h:6080/vnc_auto.html?token=${TOKEN}`, undefined, { kind: 'url', type: 'novnc' }],
    [`https://h/novnc/?path=novnc%2Fwebsockify%3Ftoken%3D${TOKEN}`, undefined, { kind: 'url', type: 'novnc' }],
    [`http://h:6082/spice_auto.html?token=${TOKEN}`, undefined, { kind: 'url', type: 'spice-html5' }],
    [`http://h:13002/nova-console.vv?token=${TOKEN}`, undefined, { kind: 'url', type: 'spice-direct' }],
    [`http://h:13002/nova?token=${TOKEN}`, undefined, { kind: 'url', type: 'spice-direct' }],
    [`ws://h:6083/?token=${TOKEN}`, undefined, { kind: 'url', type: 'serial' }],
    [`wss://h:6083/?token=${TOKEN}`, 'auto', { kind: 'url', type: 'serial' }],
    [`http://h:8080/console?token=${TOKEN}`, 'spice-html5', { kind: 'url', type: 'spice-html5' }],
  ] as const)('%s (--type %s)', (target, type, expected) => {
    const t = classifyTarget(target, type);
    expect(t).toMatchObject(expected);
    if (t.kind === 'url') expect(t.token).toBe(TOKEN);
  });

  it('errors never repeat the URL (it holds the token)', () => {
    for (const bad of [`http://h/other?token=${TOKEN}`, `gopher://h/?token=${TOKEN}`]) {
      expect(() => classifyTarget(bad)).toThrow(/./);
      try {
        classifyTarget(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain(TOKEN);
      }
    }
  });

  it("spice-html5's websocket: the page's host and port, or its host/port parameters; wss for https", () => {
    expect(spiceHtml5WebSocketUrl(`http://h:6082/spice_auto.html?token=${TOKEN}`, TOKEN)).toBe(
      `ws://h:6082/?token=${TOKEN}`,
    );
    expect(spiceHtml5WebSocketUrl(`https://h/spice_auto.html?host=p&port=7000&token=${TOKEN}`, TOKEN)).toBe(
      `wss://p:7000/?token=${TOKEN}`,
    );
    expect(spiceHtml5WebSocketUrl(`http://[::1]:6082/spice_auto.html`, TOKEN)).toBe(`ws://[::1]:6082/?token=${TOKEN}`);
  });
});

describe('cause map', () => {
  const ctx = {
    type: 'novnc' as const,
    url: `https://console.example.com:6080/vnc_lite.html?path=%3Ftoken%3D${TOKEN}`,
    api: 'https://api.example.com:8774/v2.1',
    server: true,
    timeoutMs: 30_000,
  };
  const fail = (name: StepName, failure: Failure): ProbeStep => ({ name, ok: false, detail: 'seen', failure });
  const refused: Failure = {
    kind: 'connect',
    host: 'console.example.com:6080',
    failure: { code: 'ECONNREFUSED', reason: 'connection refused', tls: false, timedOut: false },
  };
  const drop: Failure = { kind: 'ended', end: { kind: 'eof' }, afterMs: 120, bytes: 0 };

  it('a passed step stays as it is', () => {
    expect(explainStep({ name: 'banner', ok: true, detail: 'RFB 003.008' }, ctx)).toEqual({
      name: 'banner',
      ok: true,
      detail: 'RFB 003.008',
    });
  });

  it('connection refused: the proxy is down or the base URL is wrong (exit 7)', () => {
    expect(explainStep(fail('websocket', refused), ctx)).toMatchObject({
      cause:
        'nothing listens at console.example.com:6080: nova-novncproxy is down, or nova.conf [vnc] novncproxy_base_url names the wrong host or port',
      code: 'E_NETWORK',
    });
  });

  it("a loopback console URL with a remote API: Nova's default base URL", () => {
    const local = { ...ctx, url: `http://127.0.0.1:6080/vnc_lite.html?path=%3Ftoken%3D${TOKEN}` };
    expect(explainStep(fail('page', { ...refused, host: '127.0.0.1:6080' }), local)).toMatchObject({
      cause: "the console URL points at 127.0.0.1:6080, loopback, reachable only from the cloud's own hosts",
      hint: "the operator should set nova.conf [vnc] novncproxy_base_url to the proxy's public address",
    });
    // Both on this machine (a devstack, the simulator): just refused.
    expect(explainStep(fail('page', refused), { ...local, api: 'http://127.0.0.1:8774/v2.1' }).cause).toMatch(
      /^nothing listens at/,
    );
  });

  it('vnc_auto.html missing: the noVNC 1.0 rename (exit 4)', () => {
    const auto = { ...ctx, url: `http://h:6080/vnc_auto.html?path=%3Ftoken%3D${TOKEN}` };
    const f: Failure = {
      kind: 'status',
      status: 404,
      statusText: '404 Not Found',
      body: 'File not found',
      contentType: 'text/html',
    };
    expect(explainStep(fail('page', f), auto)).toMatchObject({
      cause: 'noVNC 1.0 renamed vnc_auto.html to vnc_lite.html, and the proxy has no vnc_auto.html',
      hint: 'the operator should point nova.conf [vnc] novncproxy_base_url at .../vnc_lite.html',
      code: 'E_NOT_FOUND',
    });
  });

  it('400 to the upgrade: the handshake; "Invalid protocol selected" is the subprotocol', () => {
    const f = (statusText: string): Failure => ({ kind: 'status', status: 400, statusText, body: '', contentType: '' });
    expect(explainStep(fail('websocket', f('Invalid protocol selected')), ctx).cause).toMatch(
      /does not accept the subprotocol binary/,
    );
    expect(explainStep(fail('websocket', f('Missing Sec-WebSocket-Version header')), ctx)).toMatchObject({
      cause: 'the proxy refused the websocket handshake ("Missing Sec-WebSocket-Version header")',
      code: 'E_NETWORK',
    });
  });

  it('101 then a bare drop: token or backend, told apart by the admin lookup', () => {
    expect(explainStep(fail('banner', drop), ctx).cause).toMatch(
      /^the proxy dropped the connection 0\.1 s after the upgrade with no close frame \(what browsers report as 1006\): nova refused the token .* or could not reach the hypervisor's VNC server$/,
    );
    expect(explainStep(fail('banner', drop), { ...ctx, tokenValid: false }).cause).toMatch(
      /^nova refused the console token after the upgrade: it expired/,
    );
    expect(explainStep(fail('banner', drop), { ...ctx, tokenValid: true })).toMatchObject({
      cause:
        "the token is valid, but nova could not connect to the hypervisor's VNC server (the address in the token lookup)",
      hint: "the compute host's [vnc] server_proxyclient_address must be an address the proxy's host can reach, and the hypervisor must listen there",
    });
    // With a browser's Origin only: the Origin check.
    expect(explainStep(fail('origin', drop), ctx)).toMatchObject({
      cause: expect.stringMatching(/^nova refuses the Origin a browser on this page sends/),
      hint: expect.stringMatching(/\[console\] allowed_origins.*X-Forwarded-Proto/),
    });
  });

  it('close 1003: text frames; "Target closed": the backend went away', () => {
    const close = (code: number, reason: string): Failure => ({
      kind: 'ended',
      end: { kind: 'close', code, reason },
      afterMs: 5,
      bytes: 0,
    });
    expect(explainStep(fail('banner', close(1003, 'Unsupported: Text frames are not supported')), ctx).cause).toBe(
      'the proxy refused a text frame (1003): websockify takes binary frames only',
    );
    expect(explainStep(fail('stream', close(1000, 'Target closed')), { ...ctx, type: 'serial' }).cause).toMatch(
      /^the server's serial port .* closed the connection behind the proxy/,
    );
  });

  it('a banner that is not RFB, and the token lookup', () => {
    expect(
      explainStep(fail('banner', { kind: 'protocol', expected: 'rfb', got: '"SSH-2.0-Open"' }), ctx).cause,
    ).toMatch(/^the backend behind the proxy is not a VNC server/);
    expect(explainStep(fail('token', { kind: 'token', problem: 'unknown' }), ctx).code).toBe('E_NOT_FOUND');
    expect(explainStep(fail('token', { kind: 'token', problem: 'loopback', host: '127.0.0.1' }), ctx)).toMatchObject({
      cause: expect.stringMatching(
        /^the proxy connects to 127\.0\.0\.1 \(loopback\) while the compute API is elsewhere/,
      ),
      hint: "set [vnc] server_proxyclient_address to the compute host's address on the management network",
      code: 'E_NETWORK',
    });
  });
});
