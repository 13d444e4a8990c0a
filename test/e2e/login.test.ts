/**
 * `osconsole login`, `status` and `logout` end to end: the built binary as a
 * child process (or in a pseudo-terminal) against the simulator over HTTP.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectExit } from '../helpers/cli.js';
import { useTestEnv } from '../helpers/env.js';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { APP_CREDENTIAL, CREDENTIALS, PROJECT_IDS, Simulator, USER_IDS, totp } from '../sim/index.js';

const ctx = useSimulator();
const env = useTestEnv();

const cloudsYaml = (sim: Simulator, body: string) => body.replaceAll('AUTH_URL', sim.authUrl);

describe('login from an openrc (OS_* variables)', () => {
  it('logs in, says who and where on stderr, and caches the session 0600 in a 0700 directory', async () => {
    const r = await env.t.main(['login'], ctx.sim.env('demo'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /Logged in to envvars as demo \(Default\), project demo \(Default\), region RegionOne; token expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 59 min\)/,
    );
    const file = env.t.sessions();
    expect(file.schema_version).toBe(1);
    expect(file.current).toBe('envvars');
    const s = file.sessions.envvars!;
    expect(s.user).toEqual({ id: USER_IDS.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(s.project!.id).toBe(PROJECT_IDS.demo);
    expect(s.roles.sort()).toEqual(['member', 'reader']);
    expect(s.catalog.find((c) => c.type === 'compute')!.endpoints).toHaveLength(6);
    expect(statSync(env.t.sessionsPath).mode & 0o777).toBe(0o600);
    expect(statSync(env.t.configDir).mode & 0o777).toBe(0o700);
  });

  it('--json prints the session summary on stdout', async () => {
    const r = await env.t.main(['login', '--json'], ctx.sim.env('demo'));
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'cloud',
      'current',
      'auth_url',
      'user',
      'project',
      'domain',
      'system',
      'roles',
      'region_name',
      'interface',
      'methods',
      'issued_at',
      'expires_at',
      'expires_in',
      'valid',
      'rejected',
    ]);
    expect(j).toMatchObject({
      cloud: 'envvars',
      current: true,
      project: { name: 'demo' },
      valid: true,
      rejected: false,
      methods: ['password'],
    });
  });

  it('OS_CLOUD_NAME renames the envvars cloud', async () => {
    await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'lab' });
    expect(env.t.sessions().current).toBe('lab');
  });

  it("a wrong password is exit 3 with Keystone's words, and the cache is left as it was", async () => {
    await env.t.main(['login'], ctx.sim.env('demo'));
    const before = readFileSync(env.t.sessionsPath, 'utf8');
    const r = await env.t.main(['login'], { ...ctx.sim.env('admin'), OS_PASSWORD: 'wrong' });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe(
      `osconsole: Keystone at ${ctx.sim.authUrl} refused the credentials of admin (Default): The request you have made requires authentication.\n`,
    );
    expect(readFileSync(env.t.sessionsPath, 'utf8')).toBe(before);
  });

  it('off a terminal a missing value is exit 3 naming its flag and variable, without prompting', async () => {
    const { OS_PASSWORD: _drop, ...noPassword } = ctx.sim.env('demo');
    const r = await env.t.main(['login'], noPassword);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe('osconsole: missing password for cloud "envvars"; pass --os-password or set OS_PASSWORD\n');
  });

  it('scopes by project id, by domain and to the system', async () => {
    const base = ctx.sim.env('admin');
    const byId = await env.t.main(['login', '--json'], {
      ...base,
      OS_PROJECT_NAME: undefined,
      OS_PROJECT_ID: PROJECT_IDS.demo,
    });
    expect(JSON.parse(byId.stdout).project.name).toBe('demo');
    const domain = await env.t.main(['login', '--json'], {
      ...base,
      OS_PROJECT_NAME: undefined,
      OS_DOMAIN_NAME: 'Default',
    });
    expect(JSON.parse(domain.stdout)).toMatchObject({ project: null, domain: { name: 'Default' } });
    const system = await env.t.main(['login', '--json'], {
      ...base,
      OS_PROJECT_NAME: undefined,
      OS_SYSTEM_SCOPE: 'all',
    });
    expect(JSON.parse(system.stdout)).toMatchObject({ project: null, system: true });
  });

  it('without a project, the default project is used; a user without one is told to pick (exit 3, projects listed)', async () => {
    const r = await env.t.main(['login', '--json'], {
      ...ctx.sim.env('demo'),
      OS_PROJECT_NAME: undefined,
      OS_PROJECT_DOMAIN_NAME: undefined,
    });
    expect(JSON.parse(r.stdout).project.name).toBe('demo');
    const none = await env.t.main(['login'], { ...ctx.sim.env('noproj'), OS_PROJECT_NAME: undefined });
    expect(none.code, none.stderr).toBe(3);
    expect(none.stderr).toBe(
      'osconsole: no project given, and noproj has no default project (projects: demo, other); pass --os-project-name or set OS_PROJECT_NAME (or --os-project-id / OS_PROJECT_ID)\n',
    );
  });

  it('user and project domains default to "default" when only names are given (OS_DEFAULT_DOMAIN changes it)', async () => {
    const r = await env.t.main(['login', '--json'], {
      ...ctx.sim.env('demo'),
      OS_USER_DOMAIN_NAME: undefined,
      OS_PROJECT_DOMAIN_NAME: undefined,
    });
    expect(r.code, r.stderr).toBe(0);
    const alice = await env.t.main(['login', '--json'], {
      ...ctx.sim.env('alice'),
      OS_USER_DOMAIN_NAME: undefined,
      OS_PROJECT_DOMAIN_NAME: undefined,
      OS_DEFAULT_DOMAIN_NAME: 'Ops',
    });
    expect(alice.code, alice.stderr).toBe(0);
    expect(JSON.parse(alice.stdout).project).toMatchObject({ name: 'tools', domain: { name: 'Ops' } });
  });
});

describe('auth URL forms', () => {
  it('accepts the root (discovery), /v3, and a trailing slash; discovery costs one GET', async () => {
    for (const url of [ctx.sim.identityUrl, `${ctx.sim.identityUrl}/`, ctx.sim.authUrl, `${ctx.sim.authUrl}/`]) {
      ctx.sim.clearLog();
      const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: url });
      expect(r.code, `${url}: ${r.stderr}`).toBe(0);
      const paths = ctx.sim.requests('identity').map((e) => `${e.method} ${e.path}`);
      expect(paths).toEqual(
        url.includes('/v3') ? ['POST /identity/v3/auth/tokens'] : ['GET /identity/', 'POST /identity/v3/auth/tokens'],
      );
    }
  });

  it('works with Keystone at the root of its host', async () => {
    const root = await Simulator.start({ identityPrefix: '' });
    try {
      const r = await env.t.main(['login'], { ...root.env('demo'), OS_AUTH_URL: root.url });
      expect(r.code, r.stderr).toBe(0);
      expect(env.t.sessions().sessions.envvars!.identity_url).toBe(`${root.url}/v3`);
    } finally {
      await root.stop();
    }
  });

  it('an unreachable auth URL is exit 7 naming the host', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_URL: 'http://127.0.0.1:1/v3' });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/connection refused by 127\.0\.0\.1:1 .*check the auth URL and region/);
  });
});

describe('clouds.yaml and secure.yaml', () => {
  const yaml = `clouds:
  sim:
    auth:
      auth_url: AUTH_URL
      username: demo
      user_domain_name: Default
      project_name: other
      project_domain_name: Default
    region_name: RegionOne
  second:
    auth:
      auth_url: AUTH_URL
      username: admin
      password: secret
      project_name: admin
`;

  it('finds ~/.config/openstack/clouds.yaml, merges secure.yaml, picks the cloud by OS_CLOUD', async () => {
    env.t.write('.config/openstack/clouds.yaml', cloudsYaml(ctx.sim, yaml));
    env.t.write('.config/openstack/secure.yaml', 'clouds:\n  sim:\n    auth:\n      password: demopass\n');
    const r = await env.t.main(['login', '--json'], { OS_CLOUD: 'sim' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cloud: 'sim', user: { name: 'demo' }, project: { name: 'other' } });
  });

  it('precedence: flags > environment > clouds.yaml', async () => {
    env.t.write('.config/openstack/clouds.yaml', cloudsYaml(ctx.sim, yaml));
    env.t.write('.config/openstack/secure.yaml', 'clouds:\n  sim:\n    auth:\n      password: demopass\n');
    const fromEnv = await env.t.main(['login', '--json'], { OS_CLOUD: 'sim', OS_PROJECT_NAME: 'demo' });
    expect(JSON.parse(fromEnv.stdout).project.name).toBe('demo');
    // A project id in the environment replaces the file's project name (related keys travel together).
    const byId = await env.t.main(['login', '--json'], { OS_CLOUD: 'sim', OS_PROJECT_ID: PROJECT_IDS.demo });
    expect(JSON.parse(byId.stdout).project.name).toBe('demo');
    const fromFlag = await env.t.main(['login', '--json', '--os-project-name', 'other'], {
      OS_CLOUD: 'sim',
      OS_PROJECT_NAME: 'demo',
    });
    expect(JSON.parse(fromFlag.stdout).project.name).toBe('other');
    const cloudFlag = await env.t.main(['login', '--json', '--os-cloud', 'second'], { OS_CLOUD: 'sim' });
    expect(JSON.parse(cloudFlag.stdout)).toMatchObject({ cloud: 'second', user: { name: 'admin' } });
  });

  it('search order: OS_CLIENT_CONFIG_FILE, then ./clouds.yaml, then ~/.config/openstack; .yml and .json too', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      cloudsYaml(ctx.sim, yaml.replace('username: demo', 'username: nobody')),
    );
    const cwd = join(env.t.home, 'work');
    env.t.write('work/clouds.yml', cloudsYaml(ctx.sim, yaml.replace('project_name: other', 'project_name: demo')));
    env.t.write('work/secure.json', JSON.stringify({ clouds: { sim: { auth: { password: 'demopass' } } } }));
    const local = await env.t.main(['login', '--json'], { OS_CLOUD: 'sim' }, { cwd });
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout).project.name).toBe('demo');
    const explicit = env.t.write(
      'elsewhere/my-clouds.json',
      JSON.stringify({
        clouds: {
          mine: { auth: { auth_url: ctx.sim.authUrl, username: 'admin', password: 'secret', project_name: 'admin' } },
        },
      }),
    );
    const r = await env.t.main(['login', '--json'], { OS_CLOUD: 'mine', OS_CLIENT_CONFIG_FILE: explicit }, { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).user.name).toBe('admin');
  });

  it('a file with one cloud needs no OS_CLOUD; several need one (exit 3 naming them)', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      cloudsYaml(
        ctx.sim,
        'clouds:\n  only:\n    auth:\n      auth_url: AUTH_URL\n      username: demo\n      password: demopass\n      project_name: demo\n',
      ),
    );
    expectExit(await env.t.main(['login']), 0);
    env.t.write('.config/openstack/clouds.yaml', cloudsYaml(ctx.sim, yaml));
    const r = await env.t.main(['login']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /defines several clouds \(sim, second\) and none was chosen; pass --os-cloud NAME or set OS_CLOUD/,
    );
  });

  it('legacy spellings: dashes, tenant_name, auth_plugin, endpoint_type publicURL, regions list', async () => {
    env.t.write(
      '.config/openstack/clouds.yaml',
      cloudsYaml(
        ctx.sim,
        `clouds:
  old:
    auth-plugin: password
    endpoint_type: internalURL
    regions: [RegionTwo, RegionOne]
    auth:
      auth-url: AUTH_URL
      username: demo
      password: demopass
      tenant-name: other
      user-domain-name: Default
      project_domain_name: Default
`,
      ),
    );
    const r = await env.t.main(['login', '--json'], { OS_CLOUD: 'old' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      project: { name: 'other' },
      interface: 'internal',
      region_name: 'RegionTwo',
    });
  });

  it('invalid YAML, wrong types and unknown clouds are exit 2 naming the file and line', async () => {
    const file = env.t.write('.config/openstack/clouds.yaml', 'clouds:\n  sim:\n    auth: [unclosed\n');
    const bad = await env.t.main(['login'], { OS_CLOUD: 'sim' });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^osconsole: ${file}:\\d+: invalid YAML`));
    env.t.write('.config/openstack/clouds.yaml', 'clouds:\n  sim:\n    verify: maybe\n    auth:\n      auth_url: x\n');
    const typed = await env.t.main(['login'], { OS_CLOUD: 'sim' });
    expect(typed.code, typed.stderr).toBe(2);
    expect(typed.stderr).toBe(`osconsole: ${file}:3: clouds.sim.verify must be true or false\n`);
    const missing = await env.t.main(['login'], { OS_CLOUD: 'nope' });
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(/cloud "nope" is not defined in .*clouds\.yaml \(clouds: sim\)/);
  });
});

describe('other auth methods', () => {
  it('application credential by id (openrc) and by name + user (clouds.yaml)', async () => {
    const byId = await env.t.main(['login', '--json'], ctx.sim.appCredentialEnv());
    expect(byId.code, byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ methods: ['application_credential'], project: { name: 'demo' } });
    env.t.write(
      '.config/openstack/clouds.yaml',
      cloudsYaml(
        ctx.sim,
        `clouds:
  ac:
    auth_type: v3applicationcredential
    auth:
      auth_url: AUTH_URL
      application_credential_name: ${APP_CREDENTIAL.name}
      application_credential_secret: ${APP_CREDENTIAL.secret}
      username: demo
      user_domain_id: default
`,
      ),
    );
    const byName = await env.t.main(['login', '--json'], { OS_CLOUD: 'ac' });
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout).cloud).toBe('ac');
  });

  it('token: rescopes an existing token to a project', async () => {
    const unscoped = await issueToken(ctx.sim, 'noproj', 'unscoped');
    const r = await env.t.main(['login', '--json'], {
      OS_AUTH_URL: ctx.sim.authUrl,
      OS_AUTH_TYPE: 'token',
      OS_TOKEN: unscoped,
      OS_PROJECT_NAME: 'other',
      OS_PROJECT_DOMAIN_ID: 'default',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ project: { name: 'other' }, user: { name: 'noproj' } });
  });

  it('TOTP in one step (v3multifactor) and through a receipt with OS_PASSCODE', async () => {
    const code = () => totp(CREDENTIALS.mfa.totpSecret, ctx.sim.now());
    const single = await env.t.main(['login', '--json'], {
      ...ctx.sim.env('mfa'),
      OS_AUTH_TYPE: 'v3multifactor',
      OS_AUTH_METHODS: 'v3password,v3totp',
      OS_PASSCODE: code(),
    });
    expect(single.code, single.stderr).toBe(0);
    expect(JSON.parse(single.stdout).methods.sort()).toEqual(['password', 'totp']);
    ctx.sim.clearLog();
    const viaReceipt = await env.t.main(['login', '--json'], { ...ctx.sim.env('mfa'), OS_PASSCODE: code() });
    expect(viaReceipt.code, viaReceipt.stderr).toBe(0);
    const posts = ctx.sim.requests('identity').filter((e) => e.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers['openstack-auth-receipt']).toBeTruthy();
    expect(posts[1]!.body).toMatchObject({
      auth: { identity: { methods: ['totp'] }, scope: { project: { name: 'demo' } } },
    });
  });

  it('a receipt with no passcode available off a terminal is exit 3 naming --os-passcode and OS_PASSCODE', async () => {
    const r = await env.t.main(['login'], ctx.sim.env('mfa'));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe(
      'osconsole: Keystone asks mfa for another factor (totp); pass --os-passcode or set OS_PASSCODE, or run osconsole login on a terminal\n',
    );
  });

  it('an unsupported auth type is exit 2', async () => {
    const r = await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_AUTH_TYPE: 'v3oidcpassword' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/auth type "v3oidcpassword" is not supported/);
  });
});

describe('prompts on a terminal', () => {
  it('asks for the password (masked), then the project from the list, and never echoes the password', async () => {
    const r = await env.t.pty(
      ['login'],
      [
        { expect: 'Password', send: 'noprojpass\r' },
        { expect: 'Project', send: '\u001b[B\r' },
      ],
      { OS_AUTH_URL: ctx.sim.authUrl, OS_USERNAME: 'noproj', OS_USER_DOMAIN_NAME: 'Default' },
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).not.toContain('noprojpass');
    expect(r.stdout).toMatch(/Logged in to envvars as noproj \(Default\), project other/);
    expect(env.t.sessions().sessions.envvars!.project!.name).toBe('other');
  });

  it('asks for a TOTP passcode when Keystone answers with a receipt, and lets a typo be retried', async () => {
    const code = () => totp(CREDENTIALS.mfa.totpSecret, ctx.sim.now());
    const wrong = code() === '000000' ? '111111' : '000000';
    const r = await env.t.pty(
      ['login'],
      [
        { expect: 'TOTP passcode for mfa', send: `${wrong}\r` },
        { expect: 'try again[\\s\\S]*TOTP passcode for mfa', send: `${code()}\r` },
      ],
      ctx.sim.env('mfa'),
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.code, r.stdout).toBe(0);
    expect(env.t.sessions().sessions.envvars!.methods.sort()).toEqual(['password', 'totp']);
  });

  it('asks for everything when nothing is configured', async () => {
    const r = await env.t.pty(
      ['login'],
      [
        { expect: 'Auth URL', send: `${ctx.sim.authUrl}\r` },
        { expect: 'Username', send: 'demo\r' },
        { expect: 'Password', send: 'demopass\r' },
        { expect: 'Project', send: '\r' },
      ],
      {},
    );
    expect(r.failedStep, r.stdout).toBeNull();
    expect(r.code, r.stdout).toBe(0);
  });

  it('an auth URL typed at the prompt is checked like a configured one: no scheme, or a password in it, is exit 2', async () => {
    for (const typed of ['keystone.example.com:5000/v3', `${ctx.sim.authUrl.replace('//', '//demo:S3cr3tPw@')}`]) {
      const r = await env.t.pty(['login'], [{ expect: 'Auth URL', send: `${typed}\r` }], {});
      expect(r.code, r.stdout).toBe(2);
      expect(r.stdout).toMatch(
        /the auth URL typed at the prompt "keystone\.example\.com:5000\/v3" is not an http:\/\/ or https:\/\/ URL|the auth URL must not contain a user name or password/,
      );
      expect(r.stdout).not.toMatch(/Username|S3cr3tPw.*must not/);
    }
    expect(ctx.sim.requests('identity')).toHaveLength(0);
  });

  it('Ctrl-C at a prompt exits 130 and writes nothing', async () => {
    const r = await env.t.pty(['login'], [{ expect: 'Password', send: '\u0003' }], {
      OS_AUTH_URL: ctx.sim.authUrl,
      OS_USERNAME: 'demo',
    });
    expect(r.code, r.stderr).toBe(130);
    expect(() => statSync(env.t.sessionsPath)).toThrow();
  });

  it('never prompts when CI is set, even on a terminal', async () => {
    const r = await env.t.main(
      ['login'],
      { OS_AUTH_URL: ctx.sim.authUrl, OS_USERNAME: 'demo', CI: 'true' },
      { tty: true },
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/missing password for cloud "envvars"; pass --os-password or set OS_PASSWORD/);
  });
});

describe('secrets never reach the disk', () => {
  it('after each kind of login the config directory holds no password, passcode or secret, and the file is 0600', async () => {
    const passcode = totp(CREDENTIALS.mfa.totpSecret, ctx.sim.now());
    const logins: Array<[string, Record<string, string | undefined>, string[]]> = [
      ['password', ctx.sim.env('demo'), [CREDENTIALS.demo.password]],
      ['appcred', ctx.sim.appCredentialEnv(), [APP_CREDENTIAL.secret]],
      ['mfa', { ...ctx.sim.env('mfa'), OS_PASSCODE: passcode }, [CREDENTIALS.mfa.password, passcode]],
      ['flag', { ...ctx.sim.env('admin'), OS_PASSWORD: undefined }, [CREDENTIALS.admin.password]],
    ];
    for (const [kind, vars, secrets] of logins) {
      const args = kind === 'flag' ? ['login', '--os-password', CREDENTIALS.admin.password] : ['login'];
      const r = await env.t.main(args, { ...vars, OS_CLOUD_NAME: kind });
      expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
      for (const name of readdirSync(env.t.configDir)) {
        const text = readFileSync(join(env.t.configDir, name), 'utf8');
        for (const secret of secrets) expect(text, `${kind} leaked into ${name}`).not.toContain(secret);
      }
      expect(statSync(env.t.sessionsPath).mode & 0o777).toBe(0o600);
    }
    expect(Object.keys(env.t.sessions().sessions).sort()).toEqual(['appcred', 'flag', 'mfa', 'password']);
  });

  it('secrets given as flags work but warn that the process list shows them', async () => {
    const r = await env.t.main(['login', '--os-password', 'demopass'], {
      ...ctx.sim.env('demo'),
      OS_PASSWORD: undefined,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'osconsole: warning: --os-password is visible to other users in the process list; prefer the prompt or OS_PASSWORD',
    );
    const ac = await env.t.main(['login', '--os-application-credential-secret', APP_CREDENTIAL.secret], {
      ...ctx.sim.appCredentialEnv(),
      OS_APPLICATION_CREDENTIAL_SECRET: undefined,
    });
    expect(ac.code, ac.stderr).toBe(0);
    expect(ac.stderr).toContain('--os-application-credential-secret is visible to other users');
  });
});

describe('status and logout', () => {
  it('status lists sessions (TSV off a TTY, JSON with --json), marking the current one', async () => {
    await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'a' });
    await env.t.main(['login'], { ...ctx.sim.env('admin'), OS_CLOUD_NAME: 'b' });
    const tsv = await env.t.main(['status']);
    expect(
      tsv.stdout
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => l.split('\t').slice(0, 6)),
    ).toEqual([
      ['', 'a', 'demo', 'demo', 'RegionOne', 'public'],
      ['*', 'b', 'admin', 'admin', 'RegionOne', 'public'],
    ]);
    const j = JSON.parse((await env.t.main(['status', '--json'])).stdout);
    expect(j.current).toBe('b');
    expect(j.sessions.map((s: any) => [s.cloud, s.current, s.valid])).toEqual([
      ['a', false, true],
      ['b', true, true],
    ]);
  });

  it('status with no sessions says so', async () => {
    const r = await env.t.main(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No sessions; run: osconsole login\n');
  });

  it('logout revokes the token at Keystone and removes the entry; --all clears everything', async () => {
    await env.t.main(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'a' });
    await env.t.main(['login'], { ...ctx.sim.env('admin'), OS_CLOUD_NAME: 'b' });
    const tokenA = env.t.sessions().sessions.a!.token;
    const out = await env.t.main(['logout', '--os-cloud', 'a']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/Logged out of a; the token is revoked/);
    expect(ctx.sim.keystone.liveToken(tokenA)).toBeUndefined();
    expect(Object.keys(env.t.sessions().sessions)).toEqual(['b']);
    const all = await env.t.main(['logout', '--all']);
    expect(all.code, all.stderr).toBe(0);
    expect(env.t.sessions()).toMatchObject({ current: null, sessions: {} });
  });

  it('logout with no sessions at all has nothing to do (exit 0)', async () => {
    const r = await env.t.main(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('Not logged in; nothing to do.\n');
  });

  it('logout tolerates a token that is already invalid, and an unknown cloud', async () => {
    await env.t.main(['login'], ctx.sim.env('demo'));
    ctx.sim.keystone.tokens.get(env.t.sessions().sessions.envvars!.token)!.revoked = true;
    const r = await env.t.main(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Logged out of envvars \(the token was already invalid\)/);
    const again = await env.t.main(['logout', '--os-cloud', 'nope']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('Not logged in to nope; nothing to do.\n');
  });
});

describe('concurrency', () => {
  it('two logins and ten session readers at once leave a valid cache with both sessions', async () => {
    const runs = [
      // 12 processes at once: on a loaded 2-core machine one may take longer than the usual 15 s.
      env.t.run(['login'], { ...ctx.sim.env('demo'), OS_CLOUD_NAME: 'one' }, { timeoutMs: 40_000 }),
      env.t.run(['login'], { ...ctx.sim.env('admin'), OS_CLOUD_NAME: 'two' }, { timeoutMs: 40_000 }),
      ...Array.from({ length: 10 }, () => env.t.run(['status', '--json'], {}, { timeoutMs: 40_000 })),
    ];
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const r of results.slice(2)) expect(() => JSON.parse(r.stdout)).not.toThrow();
    const file = env.t.sessions();
    expect(Object.keys(file.sessions).sort()).toEqual(['one', 'two']);
    // cache/ is the hot path's code cache (src/boot.ts), made by the first console get.
    expect(readdirSync(env.t.configDir).filter((n) => n !== 'sessions.json' && n !== 'cache')).toEqual([]);
  }, 60_000);
});
