/**
 * A cloud whose compute host has SPICE switched off ([spice] enabled = false): what real
 * Nova 31 answers for spice-direct, and what the CLI makes of it. nova-compute restarts
 * with the override (test/realcloud-epoxy/compute.sh spice-off) before, and again without
 * it after (spice-on), ~25 s each. [spice] enabled is read on the compute host
 * (nova/compute/manager.py get_spice_console -> ConsoleTypeUnavailable -> 400 in
 * nova/api/openstack/compute/remote_consoles.py).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestEnv } from '../../helpers/env.js';
import type { Exchange } from '../realcloud.js';
import { call, describeReal, tokenFor } from '../realcloud.js';

const COMPUTE_SH = fileURLToPath(new URL('../../realcloud-epoxy/compute.sh', import.meta.url));

function compute(mode: 'spice-off' | 'spice-on'): void {
  const r = spawnSync('bash', [COMPUTE_SH, mode], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`compute.sh ${mode} exited ${r.status}: ${r.stderr.slice(-2000)}`);
}

describeReal('real Nova 31 with [spice] enabled = false on the compute host', (f) => {
  let demo = '';
  const spiceDirect = (rec?: Parameters<typeof call>[2]): Promise<Exchange> =>
    call(
      `${f.compute_url}/servers/${f.server.server_id}/remote-consoles`,
      {
        token: demo,
        microversion: 'compute 2.99',
        body: { remote_console: { protocol: 'spice', type: 'spice-direct' } },
      },
      rec,
    );
  /** After a restart the first console RPC may time out (500): wait until nova-compute answers. */
  async function settled(want: number): Promise<Exchange> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await spiceDirect();
      if (r.status === want || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 2000));
    }
  }

  beforeAll(async () => {
    demo = await tokenFor(f, 'demo');
    compute('spice-off');
    expect((await settled(400)).status).toBe(400);
  }, 180_000);

  afterAll(async () => {
    compute('spice-on');
    expect((await settled(200)).status).toBe(200);
  }, 180_000);

  it('spice/spice-direct at 2.99: 400 Unavailable console type spice-direct.', async () => {
    const r = await spiceDirect({
      name: 'epoxy/nova-remote-console-spice-direct-spice-disabled-400',
      description: 'POST remote-consoles spice/spice-direct at 2.99 with [spice] enabled = false on the compute: 400',
      as: 'demo',
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(r.json).toEqual({ badRequest: { code: 400, message: 'Unavailable console type spice-direct.' } });
  });

  it('the CLI: exit 6 naming the option; --type auto still gets noVNC', async () => {
    const t = new TestEnv();
    try {
      const env = {
        OS_AUTH_URL: f.auth_url,
        OS_USERNAME: 'demo',
        OS_PASSWORD: f.users.demo.password,
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_NAME: 'demo',
        OS_PROJECT_DOMAIN_NAME: 'Default',
      };
      const r = await t.run(['console', 'get', f.server.server_name, '--type', 'spice-direct'], env, {
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(/spice-direct consoles are disabled on this cloud \(\[spice\] enabled = false\)/);
      const auto = await t.run(['console', 'get', f.server.server_name, '--type', 'auto', '--json'], env, {
        timeoutMs: 60_000,
      });
      expect(auto.code, auto.stderr).toBe(0);
      expect(JSON.parse(auto.stdout)).toMatchObject({ protocol: 'vnc', type: 'novnc' });
      // and admin still sees nothing amiss with other tokens: a noVNC token lookup works
      const tok = decodeURIComponent(JSON.parse(auto.stdout).url).match(/token=([0-9a-f-]{36})/)![1];
      const look = await call(`${f.compute_url}/os-console-auth-tokens/${tok}`, {
        token: await tokenFor(f, 'admin'),
        microversion: 'compute 2.99',
      });
      expect(look.status).toBe(200);
    } finally {
      t.dispose();
    }
  });
});
