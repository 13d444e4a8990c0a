/**
 * The built CLI (bin/osconsole.js), run as users run it, against real Keystone 27 and
 * Nova 31 (OpenStack 2025.1 Epoxy, compute API up to 2.100): login by password,
 * application credential and the MFA receipt with a computed TOTP code; spice-direct as
 * admin (URL plus the host/port/tls_port Nova's os-console-auth-tokens gives at 2.99,
 * compared with a raw lookup of the same token) and as a member; auto and every other
 * type; console inspect; the microversion the CLI sends (capped at 2.99, silently).
 */
import { expect, it } from 'vitest';
import { cliHarness } from '../cli-harness.js';
import { call, describeReal, tokenFor } from '../realcloud.js';
import { totpCode } from '../totp.js';
import { UUID, consoleToken, escapeRe, novaConf } from './epoxy.js';

describeReal('osconsole against real OpenStack 2025.1 Epoxy', (f) => {
  const cli = cliHarness(f);
  const { run, ok } = cli;
  /** demo (member of demo) or admin working in project demo (the seed gives admin a role there). */
  const openrc = (user: 'demo' | 'admin') => cli.openrc(user, 'demo');
  const spiceDirectBase = novaConf(f.state_dir, 'spice', 'spice_direct_proxy_base_url');
  const spiceDirectUrl = new RegExp(`^${escapeRe(spiceDirectBase)}\\?token=${UUID}$`);
  /** What Nova itself says about a console token at 2.99 (admin token, raw HTTP). */
  const lookup = async (url: string): Promise<Record<string, unknown>> => {
    const r = await call(`${f.compute_url}/os-console-auth-tokens/${consoleToken(url)}`, {
      token: await tokenFor(f, 'admin'),
      microversion: 'compute 2.99',
    });
    expect(r.status).toBe(200);
    return r.json.console;
  };

  it('login with a password (clouds.yaml), an application credential, and the MFA receipt with a TOTP code', async () => {
    const pw = await run(['login', '--os-cloud', 'realcloud-demo', '--json']);
    ok(pw);
    expect(JSON.parse(pw.stdout)).toMatchObject({
      cloud: 'realcloud-demo',
      user: { name: 'demo' },
      project: { id: f.projects.demo },
      methods: ['password'],
      valid: true,
    });
    const ac = await run(['login', '--json'], {
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: f.auth_url,
      OS_APPLICATION_CREDENTIAL_ID: f.appcred.id,
      OS_APPLICATION_CREDENTIAL_SECRET: f.appcred.secret,
    });
    ok(ac);
    expect(JSON.parse(ac.stdout)).toMatchObject({
      methods: ['application_credential'],
      project: { id: f.projects.demo },
    });
    const mfa = await run(['login', '--json'], {
      OS_AUTH_URL: f.auth_url,
      OS_USERNAME: 'mfa',
      OS_PASSWORD: f.users.mfa.password,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: 'demo',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_PASSCODE: totpCode(f.users.mfa.totp_secret!),
    });
    ok(mfa);
    expect(JSON.parse(mfa.stdout).methods.sort()).toEqual(['password', 'totp']);
    const wrong = await run(['login'], { ...openrc('demo'), OS_PASSWORD: 'wrong' });
    expect(wrong.code).toBe(3);
  });

  it("spice-direct as admin: the URL, and the host/port/tls_port Nova's token lookup gives at 2.99", async () => {
    ok(await run(['login'], openrc('admin')));
    const j = await run(['console', 'get', f.server.server_name, '--type', 'spice-direct', '--json'], openrc('admin'));
    ok(j);
    expect(j.stderr).toBe('');
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({
      server: { id: f.server.server_id, name: f.server.server_name },
      protocol: 'spice',
      type: 'spice-direct',
      microversion: '2.99',
    });
    expect(out.url).toMatch(spiceDirectUrl);
    const real = await lookup(out.url);
    expect(real).toHaveProperty('tls_port');
    expect(out.connection).toEqual(real);

    const plain = await run(['console', 'get', f.server.server_name, '--type', 'spice-direct'], openrc('admin'));
    ok(plain);
    expect(plain.stderr).toBe('');
    const [url, conn, ...rest] = plain.stdout.split('\n');
    expect(url).toMatch(spiceDirectUrl);
    expect(rest).toEqual(['']);
    const c = await lookup(url!);
    expect(conn).toBe(`${c.host}\t${c.port}\t${c.tls_port}`);
  });

  it('the CLI sends compute 2.99 (the cloud offers 2.100) and says nothing about it', async () => {
    ok(await run(['login'], openrc('admin')));
    const r = await run(['--debug', 'console', 'get', f.server.server_id, '--type', 'spice-direct'], openrc('admin'));
    ok(r);
    const post = r.stderr.slice(r.stderr.indexOf('→ POST '));
    expect(post).toMatch(
      /^→ POST \S+\/servers\/[0-9a-f-]{36}\/remote-consoles\n(debug: {3}.*\n)*?debug: {3}OpenStack-API-Version: compute 2\.99\n/,
    );
    expect(r.stderr).not.toMatch(/warning/i);
    // a pin above 2.99 is used as 2.99, with a warning (the one thing worth saying)
    const pinned = await run(
      ['console', 'get', f.server.server_name, '--type', 'spice-direct', '--os-compute-api-version', '2.100', '--json'],
      openrc('admin'),
    );
    ok(pinned);
    expect(JSON.parse(pinned.stdout).microversion).toBe('2.99');
    expect(pinned.stderr).toMatch(/2\.100 is above 2\.99.*using 2\.99/);
    // and a pin below 2.99 cannot make a spice-direct console: refused before any request
    const low = await run(
      ['console', 'get', f.server.server_name, '--type', 'spice-direct', '--os-compute-api-version', '2.98'],
      openrc('admin'),
    );
    expect(low.code).toBe(6);
    expect(low.stderr).toMatch(/spice-direct needs compute API 2\.99/);
  });

  it('spice-direct as a member: the URL, a note that only admins see the host and ports, exit 0', async () => {
    ok(await run(['login'], openrc('demo')));
    const r = await run(['console', 'get', f.server.server_name, '--type', 'spice-direct'], openrc('demo'));
    ok(r);
    expect(r.stdout).toMatch(new RegExp(`^${escapeRe(spiceDirectBase)}\\?token=${UUID}\\n$`));
    expect(r.stderr).toMatch(/shown only to admins \(policy os_compute_api:os-console-auth-tokens\)/);
    const j = await run(['console', 'get', f.server.server_name, '--type', 'spice-direct', '--json'], openrc('demo'));
    ok(j);
    expect(JSON.parse(j.stdout)).toMatchObject({ type: 'spice-direct', connection: null, microversion: '2.99' });
  });

  it("console log as a member: the fake driver's log, --lines, --json, --until", async () => {
    ok(await run(['login'], openrc('demo')));
    const name = f.server.server_name;
    const all = await run(['console', 'log', name], openrc('demo'));
    ok(all);
    // nova/virt/fake.py FakeDriver.get_console_output, unchanged in Nova 31.
    expect(all.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n');
    const two = await run(['console', 'log', name, '--lines', '2', '--json'], openrc('demo'));
    ok(two);
    expect(JSON.parse(two.stdout)).toEqual({
      server: { id: f.server.server_id, name },
      lines: ['ANOTHER', 'LAST LINE'],
      truncated: true,
    });
    const until = await run(['console', 'log', name, '--follow', '--until', 'ANOTHER', '--for', '5s'], openrc('demo'));
    ok(until);
    expect(until.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\n');
  });

  it('--type auto and every other type Epoxy offers; xvpvnc and rdp-html5 refused locally', async () => {
    ok(await run(['login'], openrc('demo')));
    const auto = await run(['console', 'get', f.server.server_name, '--type', 'auto', '--json'], openrc('demo'));
    ok(auto);
    expect(JSON.parse(auto.stdout)).toMatchObject({ protocol: 'vnc', type: 'novnc', microversion: '2.99' });
    const bases: Record<string, [string, string, string]> = {
      novnc: ['vnc', 'novncproxy_base_url', `\\?path=%3Ftoken%3D${UUID}`],
      'spice-html5': ['spice', 'html5proxy_base_url', `\\?token=${UUID}`],
      serial: ['serial_console', 'base_url', `\\?token=${UUID}`],
      webmks: ['mks', 'mksproxy_base_url', `\\?token=${UUID}`],
    };
    for (const [type, [section, key, tail]] of Object.entries(bases)) {
      const r = await run(['console', 'get', f.server.server_name, '--type', type], openrc('demo'));
      ok(r);
      expect(r.stdout, type).toMatch(new RegExp(`^${escapeRe(novaConf(f.state_dir, section, key))}${tail}\\n$`));
    }
    for (const type of ['xvpvnc', 'rdp-html5']) {
      const r = await run(['console', 'get', f.server.server_name, '--type', type], openrc('demo'));
      expect(r.code, type).toBe(6);
      expect(r.stderr, type).toMatch(/removed from Nova/);
    }
  });

  it('console inspect of a spice-direct and a noVNC URL as admin (what Nova says); as a member exit 8', async () => {
    ok(await run(['login'], openrc('demo')));
    const sd = (
      await run(['console', 'get', f.server.server_name, '--type', 'spice-direct'], openrc('demo'))
    ).stdout.trim();
    const vnc = (await run(['console', 'get', f.server.server_name, '--type', 'novnc'], openrc('demo'))).stdout.trim();
    const member = await run(['console', 'inspect', sd], openrc('demo'));
    expect(member.code).toBe(8);
    expect(member.stderr).toMatch(/only admins may inspect console tokens/);

    const admin = openrc('admin');
    ok(await run(['login'], admin));
    for (const url of [sd, vnc]) {
      const real = await lookup(url);
      const j = await run(['console', 'inspect', url, '--json'], admin);
      ok(j);
      expect(JSON.parse(j.stdout)).toEqual(real);
      const tsv = await run(['console', 'inspect', url], admin);
      ok(tsv);
      // one "key<TAB>value" line per field (null printed empty); the order is the CLI's
      expect(tsv.stdout.split('\n').filter(Boolean).sort()).toEqual(
        Object.entries(real)
          .map(([k, v]) => `${k}\t${v ?? ''}`)
          .sort(),
      );
    }
    expect(await lookup(sd)).toHaveProperty('tls_port');
    expect(await lookup(vnc)).not.toHaveProperty('tls_port');
  });
});
