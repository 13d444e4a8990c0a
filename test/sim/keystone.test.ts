/**
 * The simulator's Keystone against the documented behaviour, over real HTTP.
 * Sources are named in test/sim/keystone.ts.
 */
import { describe, expect, it } from 'vitest';
import { issueToken, useSimulator } from '../helpers/sim.js';
import { APP_CREDENTIAL, CREDENTIALS, PROJECT_IDS, USER_IDS, totp } from './index.js';

const ctx = useSimulator({ tokenLifetimeSeconds: 3600 });

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${ctx.sim.authUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
}

const passwordAuth = (user: keyof typeof CREDENTIALS, scope?: unknown, password?: string) => ({
  auth: {
    identity: {
      methods: ['password'],
      password: {
        user: {
          name: CREDENTIALS[user].username,
          domain: { name: CREDENTIALS[user].domain },
          password: password ?? CREDENTIALS[user].password,
        },
      },
    },
    ...(scope === undefined ? {} : { scope }),
  },
});

describe('discovery', () => {
  it('GET / answers 300 with versions.values and a Location header', async () => {
    const res = await fetch(`${ctx.sim.identityUrl}/`);
    expect(res.status).toBe(300);
    expect(res.headers.get('location')).toBe(`${ctx.sim.identityUrl}/v3/`);
    const body = (await res.json()) as any;
    expect(body.versions.values[0]).toMatchObject({
      id: 'v3.14',
      status: 'stable',
      links: [{ rel: 'self', href: `${ctx.sim.identityUrl}/v3/` }],
    });
  });

  it('GET /v3 answers 200 with the single version document', async () => {
    for (const path of ['/v3', '/v3/']) {
      const res = await fetch(`${ctx.sim.identityUrl}${path}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).version.id).toBe('v3.14');
    }
  });
});

describe('POST /v3/auth/tokens', () => {
  it('password by name + domain name, project by name: 201, X-Subject-Token, token body with catalog', async () => {
    const res = await post(
      '/auth/tokens',
      passwordAuth('demo', { project: { name: 'demo', domain: { name: 'Default' } } }),
    );
    expect(res.status).toBe(201);
    const id = res.headers.get('x-subject-token');
    expect(id).toMatch(/^gAAAAA[\w-]{100,}$/);
    expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);
    const t = res.body!.token;
    expect(t.methods).toEqual(['password']);
    expect(t.user).toMatchObject({ id: USER_IDS.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(t.project).toMatchObject({ id: PROJECT_IDS.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(t.roles.map((r: any) => r.name).sort()).toEqual(['member', 'reader']);
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(t.expires_at) - Date.parse(t.issued_at)).toBe(3600_000);
    const compute = t.catalog.find((s: any) => s.type === 'compute');
    expect(compute.endpoints.map((e: any) => `${e.region}/${e.interface}`).sort()).toEqual([
      'RegionOne/admin',
      'RegionOne/internal',
      'RegionOne/public',
      'RegionTwo/admin',
      'RegionTwo/internal',
      'RegionTwo/public',
    ]);
    const r2 = compute.endpoints.find((e: any) => e.region === 'RegionTwo' && e.interface === 'public');
    expect(r2.url).toBe(`${ctx.sim.url}/r2/compute/v2.1/${PROJECT_IDS.demo}`);
    expect(r2).toHaveProperty('region_id', 'RegionTwo');
    expect(r2.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('password by user id, project by id', async () => {
    const res = await post('/auth/tokens', {
      auth: {
        identity: { methods: ['password'], password: { user: { id: USER_IDS.demo, password: 'demopass' } } },
        scope: { project: { id: PROJECT_IDS.demo } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body!.token.project.id).toBe(PROJECT_IDS.demo);
  });

  it('project by name in a non-default domain, user domain by id', async () => {
    const res = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'alice', domain: { name: 'Ops' }, password: 'alicepass' } },
        },
        scope: { project: { name: 'tools', domain: { name: 'Ops' } } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body!.token.project).toMatchObject({ name: 'tools', domain: { name: 'Ops' } });
  });

  it('no scope: the default project; explicit "unscoped": no project, roles or catalog', async () => {
    const implicit = await post('/auth/tokens', passwordAuth('demo'));
    expect(implicit.body!.token.project.id).toBe(PROJECT_IDS.demo);
    const unscoped = await post('/auth/tokens', passwordAuth('demo', 'unscoped'));
    expect(unscoped.status).toBe(201);
    expect(unscoped.body!.token).not.toHaveProperty('project');
    expect(unscoped.body!.token).not.toHaveProperty('catalog');
    expect(unscoped.body!.token).not.toHaveProperty('roles');
    // A user without a default project gets an unscoped token.
    const noproj = await post('/auth/tokens', passwordAuth('noproj'));
    expect(noproj.body!.token).not.toHaveProperty('project');
  });

  it('domain and system scope', async () => {
    const domain = await post('/auth/tokens', passwordAuth('admin', { domain: { id: 'default' } }));
    expect(domain.status).toBe(201);
    expect(domain.body!.token.domain).toEqual({ id: 'default', name: 'Default' });
    // The RegionTwo endpoints need a project id, so a domain-scoped catalog leaves them out.
    const compute = domain.body!.token.catalog.find((s: any) => s.type === 'compute');
    expect(compute.endpoints.every((e: any) => e.region === 'RegionOne')).toBe(true);
    const system = await post('/auth/tokens', passwordAuth('admin', { system: { all: true } }));
    expect(system.status).toBe(201);
    expect(system.body!.token.system).toEqual({ all: true });
    const demoSystem = await post('/auth/tokens', passwordAuth('demo', { system: { all: true } }));
    expect(demoSystem.status).toBe(401);
  });

  it('?nocatalog drops the catalog', async () => {
    const res = await post('/auth/tokens?nocatalog', passwordAuth('demo', { project: { id: PROJECT_IDS.demo } }));
    expect(res.status).toBe(201);
    expect(res.body!.token).not.toHaveProperty('catalog');
  });

  it('wrong password, unknown user, no role on the project: 401 with Keystone error body and WWW-Authenticate', async () => {
    for (const body of [
      passwordAuth('demo', undefined, 'wrong'),
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'nobody', domain: { name: 'Default' }, password: 'x' } },
          },
        },
      },
      passwordAuth('demo', { project: { id: PROJECT_IDS.admin } }),
      passwordAuth('demo', { project: { id: 'f'.repeat(32) } }),
    ]) {
      const res = await post('/auth/tokens', body);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${ctx.sim.identityUrl}/v3"`);
      expect(res.body!.error).toMatchObject({ code: 401, title: 'Unauthorized' });
      expect(typeof res.body!.error.message).toBe('string');
      expect(res.headers.get('x-subject-token')).toBeNull();
      expect(res.headers.get('openstack-auth-receipt')).toBeNull();
    }
  });

  it('malformed requests are 400: bad JSON, no methods, a user name without a domain, two scopes', async () => {
    const bad = [
      '{"auth": ',
      { auth: { identity: {} } },
      { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', password: 'demopass' } } } } },
      passwordAuth('demo', { project: { id: PROJECT_IDS.demo }, domain: { id: 'default' } }),
    ];
    for (const body of bad) {
      const res = await post('/auth/tokens', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body!.error).toMatchObject({ code: 400, title: 'Bad Request' });
    }
  });

  it('token method rescopes and never extends the expiry', async () => {
    const unscoped = await post('/auth/tokens', passwordAuth('noproj', 'unscoped'));
    const first = unscoped.headers.get('x-subject-token')!;
    ctx.sim.advance(60);
    const res = await post('/auth/tokens', {
      auth: {
        identity: { methods: ['token'], token: { id: first } },
        scope: { project: { name: 'other', domain: { id: 'default' } } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body!.token.project.name).toBe('other');
    expect(res.body!.token.expires_at).toBe(unscoped.body!.token.expires_at);
    expect(res.body!.token.methods).toContain('password');
    expect(res.body!.token.audit_ids[1]).toBe(unscoped.body!.token.audit_ids[0]);
  });

  it('application credential by id and by name + user; scope is refused; a wrong secret is 401', async () => {
    const byId = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: APP_CREDENTIAL.id, secret: APP_CREDENTIAL.secret },
        },
      },
    });
    expect(byId.status).toBe(201);
    expect(byId.body!.token.methods).toEqual(['application_credential']);
    expect(byId.body!.token.project.id).toBe(PROJECT_IDS.demo);
    expect(byId.body!.token.application_credential).toEqual({
      id: APP_CREDENTIAL.id,
      name: APP_CREDENTIAL.name,
      restricted: true,
    });
    const byName = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            name: APP_CREDENTIAL.name,
            user: { name: 'demo', domain: { id: 'default' } },
            secret: APP_CREDENTIAL.secret,
          },
        },
      },
    });
    expect(byName.status).toBe(201);
    const scoped = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: APP_CREDENTIAL.id, secret: APP_CREDENTIAL.secret },
        },
        scope: { project: { id: PROJECT_IDS.demo } },
      },
    });
    expect(scoped.status).toBe(401);
    const wrong = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: APP_CREDENTIAL.id, secret: 'nope' },
        },
      },
    });
    expect(wrong.status).toBe(401);
  });

  it('the token method answers 404 for an unknown or expired token (it validates like GET /v3/auth/tokens)', async () => {
    const token = await issueToken(ctx.sim, 'demo');
    ctx.sim.advance(3601);
    const expired = await post('/auth/tokens', { auth: { identity: { methods: ['token'], token: { id: token } } } });
    expect(expired.status).toBe(404);
    expect(expired.body!.error.message).toBe('Failed to validate token');
    const bogus = await post('/auth/tokens', {
      auth: { identity: { methods: ['token'], token: { id: 'gAAAAAbogus' } } },
    });
    expect(bogus.body!.error).toEqual({ code: 404, message: 'Could not recognize Fernet token', title: 'Not Found' });
  });

  it('exact error texts: validation, unsupported method, unknown application credential', async () => {
    const tail =
      'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
    const cases: Array<[unknown, number, string]> = [
      ['{"auth": ', 400, `Expecting to find valid JSON in request body. ${tail}`],
      [{}, 400, `Expecting to find auth in request body. ${tail}`],
      [{ auth: { identity: {} } }, 400, "Invalid input for field 'identity': 'methods' is a required property"],
      [{ auth: { identity: { methods: ['password'] } } }, 400, `Expecting to find password in identity. ${tail}`],
      [
        { auth: { identity: { methods: ['password'], password: { user: { name: 'demo', password: 'x' } } } } },
        400,
        `Expecting to find domain in user. ${tail}`,
      ],
      [passwordAuth('demo', { project: { name: 'demo' } }), 400, `Expecting to find domain in project. ${tail}`],
      [
        passwordAuth('demo', { project: { id: PROJECT_IDS.demo }, domain: { id: 'default' } }),
        400,
        `Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope. ${tail}`,
      ],
      [
        {
          auth: {
            identity: { methods: ['application_credential'], application_credential: { id: 'nope', secret: 's' } },
          },
        },
        404,
        'Could not find Application Credential: nope.',
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await post('/auth/tokens', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body!.error.message).toBe(message);
      expect(res.body!.error).not.toHaveProperty('identity');
    }
    const unsupported = await post('/auth/tokens', { auth: { identity: { methods: ['kerberos'], kerberos: {} } } });
    expect(unsupported.status).toBe(401);
    expect(unsupported.body!.error.message).toBe('Attempted to authenticate with an unsupported method.');
    expect(unsupported.body!.error.identity.methods).toContain('totp');
    const scoped = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: APP_CREDENTIAL.id, secret: APP_CREDENTIAL.secret },
        },
        scope: { project: { id: PROJECT_IDS.demo } },
      },
    });
    expect(scoped.body!.error).toEqual({
      code: 401,
      identity: {},
      message: 'Error authenticating with application credential: Application credentials cannot request a scope.',
      title: 'Unauthorized',
    });
  });

  it('a non-JSON Content-Type is refused', async () => {
    const res = await post('/auth/tokens', JSON.stringify(passwordAuth('demo')), { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(res.body!.error.message).toMatch(/^Expecting to find application\/json in Content-Type header\./);
  });

  it('error bodies are compact and key-sorted, as Flask renders them', async () => {
    const res = await fetch(`${ctx.sim.authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(passwordAuth('demo', undefined, 'wrong')),
    });
    expect(await res.text()).toBe(
      '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}\n',
    );
    expect(res.headers.get('vary')).toBe('X-Auth-Token');
  });
});

describe('multi-factor auth with receipts', () => {
  const mfa = CREDENTIALS.mfa;
  const pw = { user: { name: mfa.username, domain: { name: 'Default' }, password: mfa.password } };
  const scope = { project: { name: 'demo', domain: { name: 'Default' } } };

  it('password alone → 401 with Openstack-Auth-Receipt and the receipt body; receipt + TOTP → 201 with both methods', async () => {
    const first = await post('/auth/tokens', { auth: { identity: { methods: ['password'], password: pw }, scope } });
    expect(first.status).toBe(401);
    const receipt = first.headers.get('openstack-auth-receipt');
    expect(receipt).toBeTruthy();
    expect(first.body!.receipt).toMatchObject({
      methods: ['password'],
      user: { id: USER_IDS.mfa, name: 'mfa', domain: { id: 'default', name: 'Default' } },
    });
    expect(Date.parse(first.body!.receipt.expires_at) - Date.parse(first.body!.receipt.issued_at)).toBe(300_000);
    expect(first.body!.required_auth_methods).toEqual([['password', 'totp']]);
    // The receipt 401 is not an error: no WWW-Authenticate.
    expect(first.headers.get('www-authenticate')).toBeNull();

    const code = totp(mfa.totpSecret, ctx.sim.now());
    const second = await post(
      '/auth/tokens',
      { auth: { identity: { methods: ['totp'], totp: { user: { id: USER_IDS.mfa, passcode: code } } }, scope } },
      { 'Openstack-Auth-Receipt': receipt! },
    );
    expect(second.status).toBe(201);
    expect(second.body!.token.methods.sort()).toEqual(['password', 'totp']);
    expect(second.body!.token.project.name).toBe('demo');
  });

  it('a wrong code with the receipt is a plain 401 (retry allowed); an expired receipt is 401', async () => {
    const first = await post('/auth/tokens', { auth: { identity: { methods: ['password'], password: pw }, scope } });
    const receipt = first.headers.get('openstack-auth-receipt')!;
    const wrong = await post(
      '/auth/tokens',
      {
        auth: {
          identity: {
            methods: ['totp'],
            totp: {
              user: {
                id: USER_IDS.mfa,
                passcode: '000000' === totp(mfa.totpSecret, ctx.sim.now()) ? '111111' : '000000',
              },
            },
          },
          scope,
        },
      },
      { 'Openstack-Auth-Receipt': receipt },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('openstack-auth-receipt')).toBeNull();
    ctx.sim.advance(301);
    const late = await post(
      '/auth/tokens',
      {
        auth: {
          identity: {
            methods: ['totp'],
            totp: { user: { id: USER_IDS.mfa, passcode: totp(mfa.totpSecret, ctx.sim.now()) } },
          },
          scope,
        },
      },
      { 'Openstack-Auth-Receipt': receipt },
    );
    expect(late.status).toBe(401);
    expect(late.body!.error.message).toBe(`Could not find auth receipt: ${receipt}.`);
    expect(late.headers.get('www-authenticate')).toBeTruthy();
  });

  it('single step: password and totp in one request → 201', async () => {
    const res = await post('/auth/tokens', {
      auth: {
        identity: {
          methods: ['password', 'totp'],
          password: pw,
          totp: { user: { name: 'mfa', domain: { name: 'Default' }, passcode: totp(mfa.totpSecret, ctx.sim.now()) } },
        },
        scope,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body!.token.methods).toEqual(['password', 'totp']);
  });

  it('accepts the previous 30 s window and rejects older codes', async () => {
    const now = ctx.sim.now();
    const single = (code: string) =>
      post('/auth/tokens', {
        auth: {
          identity: {
            methods: ['password', 'totp'],
            password: pw,
            totp: { user: { id: USER_IDS.mfa, passcode: code } },
          },
          scope,
        },
      });
    expect((await single(totp(mfa.totpSecret, now - 30_000))).status).toBe(201);
    const old = totp(mfa.totpSecret, now - 90_000);
    const recent = [0, 30_000].map((d) => totp(mfa.totpSecret, now - d));
    if (!recent.includes(old)) expect((await single(old)).status).toBe(401);
  });
});

describe('validate, revoke, projects, catalog', () => {
  it('GET /v3/auth/tokens validates; DELETE revokes; then 404 and the token is dead for Nova too', async () => {
    const token = await issueToken(ctx.sim, 'demo');
    const headers = { 'X-Auth-Token': token, 'X-Subject-Token': token };
    const ok = await fetch(`${ctx.sim.authUrl}/auth/tokens`, { headers });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).token.user.name).toBe('demo');
    const head = await fetch(`${ctx.sim.authUrl}/auth/tokens`, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    const del = await fetch(`${ctx.sim.authUrl}/auth/tokens`, { method: 'DELETE', headers });
    expect(del.status).toBe(204);
    const admin = await issueToken(ctx.sim, 'admin');
    const after = await fetch(`${ctx.sim.authUrl}/auth/tokens`, {
      headers: { 'X-Auth-Token': admin, 'X-Subject-Token': token },
    });
    expect(after.status).toBe(404);
    expect(((await after.json()) as any).error.message).toBe('Failed to validate token');
    const none = await fetch(`${ctx.sim.authUrl}/auth/tokens`, { headers: { 'X-Auth-Token': admin } });
    expect(((await none.json()) as any).error).toEqual({
      code: 404,
      message: 'No token in the request',
      title: 'Not Found',
    });
    const nova = await fetch(`${ctx.sim.url}/compute/v2.1/servers`, { headers: { 'X-Auth-Token': token } });
    expect(nova.status).toBe(401);
    await nova.arrayBuffer();
  });

  it('GET /v3/auth/projects lists the projects with a role, even for an unscoped token', async () => {
    const res = await post('/auth/tokens', passwordAuth('noproj', 'unscoped'));
    const token = res.headers.get('x-subject-token')!;
    const list = await fetch(`${ctx.sim.authUrl}/auth/projects`, { headers: { 'X-Auth-Token': token } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as any;
    expect(body.projects.map((p: any) => p.name).sort()).toEqual(['demo', 'other']);
    expect(body.projects[0]).toHaveProperty('domain_id', 'default');
    expect(body.links).toHaveProperty('self');
    const anon = await fetch(`${ctx.sim.authUrl}/auth/projects`);
    expect(anon.status).toBe(401);
    await anon.arrayBuffer();
  });

  it("GET /v3/auth/catalog returns the scoped token's catalog", async () => {
    const token = await issueToken(ctx.sim, 'demo');
    const res = await fetch(`${ctx.sim.authUrl}/auth/catalog`, { headers: { 'X-Auth-Token': token } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).catalog.map((s: any) => s.type)).toContain('compute');
    const domainToken = await issueToken(ctx.sim, 'admin', { domain: { id: 'default' } });
    const denied = await fetch(`${ctx.sim.authUrl}/auth/catalog`, { headers: { 'X-Auth-Token': domainToken } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error.message).toBe(
      'You are not authorized to perform the requested action.',
    );
  });

  it('unknown paths are a Keystone 404', async () => {
    // The point of the test: how an unknown route is answered.
    ctx.sim.expectUnknown({ path: '/identity/v3/nope' });
    const res = await fetch(`${ctx.sim.authUrl}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe(404);
  });
});
