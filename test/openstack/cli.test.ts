/**
 * The built CLI, run as users run it, against real Keystone 22 and Nova 26
 * (Zed): login by password, application credential and the MFA receipt flow
 * with a computed TOTP code; console get for every type Zed offers, the legacy
 * path by pinning 2.5, spice-direct refused locally; console inspect as admin
 * and as member.
 */
import { expect, it } from 'vitest';
import { cliHarness } from './cli-harness.js';
import { describeReal, keystoneRoot } from './realcloud.js';
import { totpCode } from './totp.js';

describeReal('osconsole against real OpenStack', (f) => {
  const { env, run, ok, openrc } = cliHarness(f);

  it('login with a password from clouds.yaml, and from an openrc', async () => {
    const fromFile = await run(['login', '--os-cloud', 'realcloud-demo', '--json']);
    ok(fromFile);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({
      cloud: 'realcloud-demo',
      user: { name: 'demo' },
      project: { id: f.projects.demo },
      valid: true,
    });
    const fromEnv = await run(['login', '--json'], openrc('demo'));
    ok(fromEnv);
    expect(JSON.parse(fromEnv.stdout).roles.sort()).toEqual(['member', 'reader']);
  });

  it("login with the root auth URL (no /v3) follows real Keystone's version discovery; Nova's root is refused before any credential is sent", async () => {
    const root = await run(['login', '--json', '--debug'], { ...openrc('demo'), OS_AUTH_URL: keystoneRoot(f) });
    ok(root);
    expect(JSON.parse(root.stdout)).toMatchObject({ user: { name: 'demo' }, project: { id: f.projects.demo } });
    expect(root.stderr).toMatch(/POST .*\/v3\/auth\/tokens/);
    // Nova's version document (300 at its root) is not Keystone's: exit 2, no token request anywhere.
    const nova = await run(['login', '--debug'], { ...openrc('demo'), OS_AUTH_URL: new URL(f.compute_url).origin });
    expect(nova.code, nova.stderr).toBe(2);
    expect(nova.stderr).toMatch(/OS_AUTH_URL http:\/\/127\.0\.0\.1:\d+ is not a Keystone endpoint/);
    expect(nova.stderr).not.toMatch(/POST /);
  });

  it('login with an application credential', async () => {
    const r = await run(['login', '--json'], {
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: f.auth_url,
      OS_APPLICATION_CREDENTIAL_ID: f.appcred.id,
      OS_APPLICATION_CREDENTIAL_SECRET: f.appcred.secret,
    });
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({
      methods: ['application_credential'],
      project: { id: f.projects.demo },
    });
  });

  it('login through the MFA receipt with a computed TOTP code', async () => {
    const r = await run(['login', '--json'], {
      OS_AUTH_URL: f.auth_url,
      OS_USERNAME: 'mfa',
      OS_PASSWORD: f.users.mfa.password,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: 'demo',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_PASSCODE: totpCode(f.users.mfa.totp_secret!),
    });
    ok(r);
    expect(JSON.parse(r.stdout).methods.sort()).toEqual(['password', 'totp']);
  });

  it('a wrong password is exit 3', async () => {
    const r = await run(['login'], { ...openrc('demo'), OS_PASSWORD: 'wrong' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /refused the credentials of demo \(Default\): The request you have made requires authentication\./,
    );
  });

  it("console get: novnc, spice-html5, serial and webmks by name; auto; RegionTwo's project-id URL", async () => {
    ok(await run(['login', '--os-cloud', 'realcloud-demo']));
    const expected: Record<string, RegExp> = {
      novnc: /^http:\/\/127\.0\.0\.1:\d+\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]{36}\n$/,
      'spice-html5': /^http:\/\/127\.0\.0\.1:\d+\/spice_auto\.html\?token=[0-9a-f-]{36}\n$/,
      serial: /^ws:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f-]{36}\n$/,
      webmks: /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f-]{36}\n$/,
      auto: /vnc_auto\.html\?path=%3Ftoken%3D/,
    };
    for (const [type, pattern] of Object.entries(expected)) {
      const r = await run(['console', 'get', f.server.server_name, '--type', type]);
      ok(r);
      expect(r.stdout, type).toMatch(pattern);
    }
    const json = JSON.parse((await run(['console', 'get', f.server.server_id, '--json'])).stdout);
    expect(json).toMatchObject({
      server: { id: f.server.server_id, name: null },
      protocol: 'vnc',
      type: 'novnc',
      microversion: '2.93',
    });
    const r2 = await run(['console', 'get', f.server.server_name, '--os-region-name', 'RegionTwo', '--json']);
    ok(r2);
    expect(JSON.parse(r2.stdout).server.id).toBe(f.server.server_id);
  });

  it('the legacy action when pinned to 2.5', async () => {
    ok(await run(['login', '--os-cloud', 'realcloud-demo']));
    const r = await run(['console', 'get', f.server.server_name, '--os-compute-api-version', '2.5', '--json']);
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'novnc', microversion: '2.5' });
    expect(JSON.parse(r.stdout).url).toMatch(/vnc_auto\.html\?path=%3Ftoken%3D/);
  });

  it("spice-direct is refused locally on Zed with the needed version and the cloud's range", async () => {
    ok(await run(['login', '--os-cloud', 'realcloud-demo']));
    const r = await run(['console', 'get', f.server.server_name, '--type', 'spice-direct']);
    expect(r.code).toBe(6);
    expect(r.stderr).toBe(
      'osconsole: spice-direct needs compute API 2.99 (2025.1 Epoxy); this cloud offers 2.1–2.93 (Zed); try --type auto\n',
    );
  });

  it('console inspect as admin shows the host and port; as member exit 8; an unknown token exit 4', async () => {
    ok(await run(['login', '--os-cloud', 'realcloud-demo']));
    const url = (await run(['console', 'get', f.server.server_name])).stdout.trim();
    const member = await run(['console', 'inspect', url]);
    expect(member.code).toBe(8);
    expect(member.stderr).toMatch(/only admins may inspect console tokens/);
    ok(await run(['login', '--os-cloud', 'realcloud-admin']));
    const admin = await run(['console', 'inspect', url, '--json']);
    ok(admin);
    // the tier's driver answers its Xvnc, with no internal_access_path (test/realcloud/serial/osconsole_serial.py)
    expect(JSON.parse(admin.stdout)).toEqual({
      instance_uuid: f.server.server_id,
      host: '127.0.0.1',
      port: f.vnc?.port,
      internal_access_path: null,
    });
    const tsv = await run(['console', 'inspect', url]);
    expect(tsv.stdout).toBe(
      `instance_uuid\t${f.server.server_id}\nhost\t127.0.0.1\nport\t${f.vnc?.port}\ninternal_access_path\t\n`,
    );
    const unknown = await run(['console', 'inspect', '6d5c4b3a-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(4);
  });

  it('a reader may create consoles in Zed (legacy policy defaults)', async () => {
    ok(await run(['login'], openrc('reader')));
    const r = await run(['console', 'get', f.server.server_name], openrc('reader'));
    ok(r);
  });

  it("console log: the fake driver's log whole, --lines, --json, --until with and without a match; a reader reads it too (Zed's legacy policy)", async () => {
    ok(await run(['login'], openrc('demo')));
    const name = f.server.server_name;
    // nova/virt/fake.py FakeDriver.get_console_output: 'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE' (no line end).
    const all = await run(['console', 'log', name]);
    ok(all);
    expect(all.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n');
    const two = await run(['console', 'log', name, '-n', '2']);
    ok(two);
    expect(two.stdout).toBe('ANOTHER\nLAST LINE\n');
    const json = await run(['console', 'log', f.server.server_id, '-n', '1', '--json']);
    ok(json);
    expect(JSON.parse(json.stdout)).toEqual({
      server: { id: f.server.server_id, name: null },
      lines: ['LAST LINE'],
      truncated: true,
    });
    const until = await run(['console', 'log', name, '--until', '^ANOTHER$']);
    ok(until);
    expect(until.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\n');
    const never = await run([
      'console',
      'log',
      name,
      '--follow',
      '--until',
      'login:',
      '--for',
      '3s',
      '--interval',
      '1s',
    ]);
    expect(never.code, never.stderr).toBe(124);
    expect(never.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n');
    expect(never.stderr).toMatch(/matched \/login:\/ within 3s/);
    ok(await run(['login'], openrc('reader')));
    ok(await run(['console', 'log', name, '-n', '1'], openrc('reader')));
  });

  it('a token revoked behind its back: Nova says 401, osconsole logs in again once (credentials in the environment)', async () => {
    ok(await run(['login'], openrc('demo')));
    const first = env().sessions().sessions.envvars!.token;
    // Revoke it at Keystone directly (the cache still holds it) before Nova ever sees it: once
    // validated, keystonemiddleware caches a token for token_cache_time (300 s) and would accept it.
    const revoked = await fetch(`${f.auth_url}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': first, 'X-Subject-Token': first },
    });
    expect(revoked.status).toBe(204);
    const r = await run(['--debug', 'console', 'get', f.server.server_id], openrc('demo'));
    ok(r);
    expect(r.stderr).toMatch(/← 401 Unauthorized POST .*remote-consoles/);
    expect(r.stderr).toMatch(/refused the cached token \(401\); logging in again/);
    expect(r.stderr.match(/POST .*\/v3\/auth\/tokens/g)?.length).toBe(2); // one request line, one response line
    expect(env().sessions().sessions.envvars!.token).not.toBe(first);
  });

  it('logout revokes the token at Keystone', async () => {
    ok(await run(['login'], openrc('demo')));
    const token = env().sessions().sessions.envvars!.token;
    ok(await run(['logout'], openrc('demo')));
    const check = await fetch(`${f.auth_url}/auth/tokens`, {
      headers: { 'X-Auth-Token': await adminToken(), 'X-Subject-Token': token },
    });
    expect(check.status).toBe(404);
  });

  async function adminToken(): Promise<string> {
    const res = await fetch(`${f.auth_url}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: f.users.admin.password } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      }),
    });
    await res.arrayBuffer();
    return res.headers.get('x-subject-token')!;
  }
});
