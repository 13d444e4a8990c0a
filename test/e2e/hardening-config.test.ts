/**
 * Issue 10, "Configuration people really write": clouds.yaml and secure.yaml
 * as people write them (anchors and merge keys, per-region values, vendor
 * profiles and other keys), cloud names that are Object.prototype keys, and
 * auth URLs without a scheme. The built CLI against the simulator.
 */
import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../helpers/env.js';
import { useSimulator } from '../helpers/sim.js';
import { SERVER_IDS } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

const CLOUDS = '.config/openstack/clouds.yaml';
const withUrl = (body: string) => body.replaceAll('AUTH_URL', ctx.sim.authUrl);

/** A cloud that logs in as demo/demo; `extra` is indented into the cloud's mapping. */
const demoCloud = (name: string, extra = '') => `  ${name}:
    auth:
      auth_url: AUTH_URL
      username: demo
      password: demopass
      user_domain_name: Default
      project_name: demo
      project_domain_name: Default
${extra}`;

describe('YAML anchors, aliases and merge keys (PyYAML safe_load semantics)', () => {
  const yaml = `defaults: &defaults
  region_name: RegionOne
  interface: public
  auth: &auth
    auth_url: AUTH_URL
    user_domain_name: Default
    project_domain_name: Default
extra: &extra
  interface: internal
  region_name: RegionTwo
clouds:
  merged:
    <<: *defaults
    auth:
      <<: *auth
      username: demo
      password: demopass
      project_name: demo
  explicit-wins:
    region_name: RegionTwo
    <<: *defaults
    auth:
      <<: *auth
      username: demo
      password: demopass
      project_name: demo
  list-first-wins:
    <<: [*extra, *defaults]
    auth:
      <<: *auth
      username: demo
      project_name: demo
`;

  it('a merged auth_url and region are used; explicit keys win over merged ones; in a list the first wins', async () => {
    env.t.write(CLOUDS, withUrl(yaml));
    env.t.write(
      '.config/openstack/secure.yaml',
      'passwords:\n  demo: &demo demopass\nclouds:\n  list-first-wins:\n    auth:\n      password: *demo\n',
    );
    const merged = await env.t.main(['login', '--json'], { OS_CLOUD: 'merged' });
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({
      cloud: 'merged',
      user: { name: 'demo' },
      region_name: 'RegionOne',
      interface: 'public',
    });
    const explicit = await env.t.main(['login', '--json'], { OS_CLOUD: 'explicit-wins' });
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(JSON.parse(explicit.stdout)).toMatchObject({ region_name: 'RegionTwo', interface: 'public' });
    const list = await env.t.main(['login', '--json'], { OS_CLOUD: 'list-first-wins' });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ region_name: 'RegionTwo', interface: 'internal' });
  });

  it('an alias bomb ("billion laughs") is exit 2 naming the file, not exit 1', async () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [prev, cur] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
      ['e', 'f'],
      ['f', 'g'],
    ]) {
      rows.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const file = env.t.write(CLOUDS, `${rows.join('\n')}\nclouds:\n  sim:\n    auth: *g\n`);
    const r = await env.t.main(['login'], { OS_CLOUD: 'sim' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^osconsole: ${file}: .*alias`));
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(ctx.sim.requests()).toHaveLength(0);
  });
});

describe('regions: with per-region values (openstacksdk _get_region)', () => {
  const yaml = `clouds:
${demoCloud(
  'multi',
  `    regions:
      - RegionOne
      - name: RegionTwo
        values:
          interface: internal
`,
)}`;

  it("the selected region's values apply over the cloud's; the first region is the default", async () => {
    env.t.write(CLOUDS, withUrl(yaml));
    const two = await env.t.main(['login', '--json', '--os-region-name', 'RegionTwo'], { OS_CLOUD: 'multi' });
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ region_name: 'RegionTwo', interface: 'internal' });
    ctx.sim.clearLog();
    const got = await env.t.main(['console', 'get', SERVER_IDS.r2]);
    expect(got.code, got.stderr).toBe(0);
    expect(ctx.sim.requests('compute').every((e) => e.path.startsWith('/r2/compute-internal/'))).toBe(true);
    const one = await env.t.main(['login', '--json'], { OS_CLOUD: 'multi' });
    expect(JSON.parse(one.stdout)).toMatchObject({ region_name: 'RegionOne', interface: 'public' });
  });

  it('a region the list lacks, or a region entry with other keys, is exit 2 naming them', async () => {
    const file = env.t.write(CLOUDS, withUrl(yaml));
    const r = await env.t.main(['login'], { OS_CLOUD: 'multi', OS_REGION_NAME: 'RegionThree' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /region "RegionThree" is not one of the regions of cloud "multi" \(RegionOne, RegionTwo\)/,
    );
    env.t.write(CLOUDS, withUrl(yaml.replace('values:', 'valuse:')));
    const bad = await env.t.main(['login'], { OS_CLOUD: 'multi' });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^osconsole: ${file}:\\d+: clouds\\.multi\\.regions\\[1\\] .*valuse`));
    expect(ctx.sim.requests()).toHaveLength(0);
  });
});

describe('keys osconsole does not support are refused by name; harmless ones are ignored', () => {
  it('profile: (a vendor profile) is exit 2 naming the key, not a missing-auth-URL error', async () => {
    const file = env.t.write(
      CLOUDS,
      'clouds:\n  vexx:\n    profile: vexxhost\n    auth:\n      username: demo\n      password: demopass\n      project_name: demo\n',
    );
    const r = await env.t.main(['login'], { OS_CLOUD: 'vexx' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^osconsole: ${file}:3: clouds\\.vexx\\.profile: vendor profiles are not supported`),
    );
  });

  const refused: Array<[string, string, RegExp]> = [
    [
      'compute_endpoint_override',
      '    compute_endpoint_override: http://127.0.0.1:1/v2.1\n',
      /clouds\.sim\.compute_endpoint_override: .*not supported/,
    ],
    ['identity_interface', '    identity_interface: admin\n', /clouds\.sim\.identity_interface: .*not supported/],
    ['an auth plugin option osconsole lacks (auth.trust_id)', '', /clouds\.sim\.auth\.trust_id: .*not supported/],
    [
      'a misspelt key (auth_ulr at the top)',
      '    auth_ulr: http://x\n',
      /clouds\.sim\.auth_ulr: .*not a setting osconsole knows/,
    ],
  ];
  for (const [what, extra, message] of refused) {
    it(`refused: ${what}`, async () => {
      let body = withUrl(`clouds:\n${demoCloud('sim', extra)}`);
      if (what.includes('trust_id'))
        body = body.replace('      username: demo\n', '      username: demo\n      trust_id: abc\n');
      env.t.write(CLOUDS, body);
      const r = await env.t.main(['login'], { OS_CLOUD: 'sim' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(ctx.sim.requests()).toHaveLength(0);
    });
  }

  it('keys that do not matter to a console client (other API versions, networks, timeouts...) are ignored', async () => {
    const harmless = `    identity_api_version: 3
    compute_api_version: 2.1
    image_api_version: 2
    volume_api_version: 3
    block_storage_api_version: 3
    operation_timeout: 600
    api_timeout: 60
    split_loggers: true
    floating_ip_source: neutron
    image_endpoint_override: http://127.0.0.1:1/image
    volume_service_type: volumev3
    network_interface: internal
    networks:
      - name: public
        routes_externally: true
`;
    env.t.write(CLOUDS, withUrl(`clouds:\n${demoCloud('sim', harmless)}`));
    const r = await env.t.main(['login', '--json'], { OS_CLOUD: 'sim' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/i);
  });
});

describe('the top level of clouds.yaml', () => {
  it('a mistyped clouds: key (cloud:) says the file has no clouds: mapping', async () => {
    const file = env.t.write(CLOUDS, withUrl(`cloud:\n${demoCloud('sim')}`));
    const named = await env.t.main(['login'], { OS_CLOUD: 'sim' });
    expect(named.code, named.stderr).toBe(2);
    expect(named.stderr).toBe(`osconsole: ${file} has no "clouds:" mapping (its top-level keys: cloud)\n`);
    const unnamed = await env.t.main(['login']);
    expect(unnamed.code, unnamed.stderr).toBe(2);
    expect(unnamed.stderr).toBe(`osconsole: ${file} has no "clouds:" mapping (its top-level keys: cloud)\n`);
  });
});

describe('cloud names that are Object.prototype keys are ordinary names', () => {
  for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    it(`--os-cloud ${name} with a clouds.yaml lacking it: "not defined", exit 2`, async () => {
      env.t.write(CLOUDS, withUrl(`clouds:\n${demoCloud('sim')}`));
      const r = await env.t.main(['login', '--os-cloud', name]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(
        `osconsole: cloud "${name}" is not defined in ${env.t.home}/${CLOUDS} (clouds: sim); check --os-cloud / OS_CLOUD\n`,
      );
    });
  }

  it('a cloud named constructor (and one named __proto__) logs in, gets a console, shows in status and logs out', async () => {
    env.t.write(CLOUDS, withUrl(`clouds:\n${demoCloud('constructor')}${demoCloud('__proto__')}`));
    for (const name of ['constructor', '__proto__']) {
      const r = await env.t.main(['login', '--json', '--os-cloud', name]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).cloud).toBe(name);
      const got = await env.t.main(['console', 'get', 'web-1', '--os-cloud', name]);
      expect(got.code, got.stderr).toBe(0);
    }
    const status = await env.t.main(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(
      JSON.parse(status.stdout)
        .sessions.map((s: { cloud: string }) => s.cloud)
        .sort(),
    ).toEqual(['__proto__', 'constructor']);
    const complete = await env.t.main(['__complete', 'clouds']);
    expect(complete.stdout.split('\n').filter(Boolean).sort()).toEqual(['__proto__', 'constructor']);
    const servers = await env.t.main(['__complete', 'servers', '--os-cloud', 'constructor']);
    expect(servers.stdout).toMatch(/^web-1$/m);
    const out = await env.t.main(['logout', '--os-cloud', '__proto__']);
    expect(out.code, out.stderr).toBe(0);
    expect(Object.keys(env.t.sessions().sessions)).toEqual(['constructor']);
  }, 60_000);

  it('logout, status and completion with a prototype-key name and no such session: no crash', async () => {
    const login = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(login.code, login.stderr).toBe(0);
    for (const name of ['__proto__', 'toString', 'constructor']) {
      const out = await env.t.main(['logout', '--os-cloud', name]);
      expect(out.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
      expect(out.code, out.stderr).toBe(0);
      const status = await env.t.main(['status', '--json'], { OS_CLOUD: name });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).sessions).toHaveLength(1);
      const regions = await env.t.main(['__complete', 'regions', '--os-cloud', name]);
      expect(regions).toMatchObject({ code: 0, stdout: '' });
      const servers = await env.t.main(['__complete', 'servers', '--os-cloud', name]);
      expect(servers).toMatchObject({ code: 0, stdout: '' });
      const get = await env.t.main(['console', 'get', 'web-1', '--os-cloud', name]);
      expect(get.code, get.stderr).toBe(2);
      expect(get.stderr).toBe(
        `osconsole: cloud "${name}" is not defined in any clouds.yaml (none found); check --os-cloud / OS_CLOUD\n`,
      );
    }
    expect(Object.keys(env.t.sessions().sessions)).toEqual(['envvars']);
  }, 60_000);
});

describe('an auth URL without a scheme is exit 2 naming where it came from, before any request', () => {
  it('OS_AUTH_URL', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: 'keystone.example.com:5000/v3' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^osconsole: OS_AUTH_URL "keystone\.example\.com:5000\/v3" is not an http:\/\/ or https:\/\/ URL/,
    );
    expect(ctx.sim.requests()).toHaveLength(0);
  });

  it('--os-auth-url', async () => {
    const r = await env.t.main(['login', '--os-auth-url', '127.0.0.1:5000/v3'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^osconsole: --os-auth-url "127\.0\.0\.1:5000\/v3" is not an http:\/\/ or https:\/\/ URL/);
  });

  it('auth_url in clouds.yaml (file, line and key)', async () => {
    const file = env.t.write(CLOUDS, `clouds:\n${demoCloud('sim').replace('AUTH_URL', 'keystone.example.com/v3')}`);
    const r = await env.t.main(['login'], { OS_CLOUD: 'sim' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^osconsole: ${file}:4: clouds\\.sim\\.auth\\.auth_url "keystone\\.example\\.com/v3" is not an http:// or https:// URL`,
      ),
    );
  });

  it('another scheme, or no host', async () => {
    for (const url of ['ftp://keystone.example.com/v3', 'https://']) {
      const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: url });
      expect(r.code, `${url}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^osconsole: OS_AUTH_URL ".*" is not an http:\/\/ or https:\/\/ URL/);
    }
    expect(ctx.sim.requests()).toHaveLength(0);
  });
});
