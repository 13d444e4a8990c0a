/**
 * Real Keystone 22 (Zed): the authentication flows osconsole's login uses,
 * with raw HTTP. Each exchange worth mirroring in the simulator is recorded
 * as a fixture (test/fixtures/real/keystone-*.json) when OSCONSOLE_RECORD_FIXTURES=1.
 */
import { beforeAll, expect, it } from 'vitest';
import { call, describeReal, keystoneRoot, passwordIdentity, projectScopeByName, tokenFor } from './realcloud.js';
import { totpCode } from './totp.js';

type Json = any;

describeReal('real Keystone', (f) => {
  const tokens = `${f.auth_url}/auth/tokens`;

  function expectTokenResponse(r: { status: number; headers: Headers; json: Json }): Json {
    expect(r.status).toBe(201);
    expect(r.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    expect(r.headers.get('content-type')).toBe('application/json');
    const t = r.json.token;
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
    expect(t.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
    expect(Array.isArray(t.audit_ids)).toBe(true);
    return t;
  }

  it('GET / answers 300 Multiple Choices with versions.values and a Location header', async () => {
    const r = await call(
      `${keystoneRoot(f)}/`,
      {},
      { name: 'keystone-root', description: 'Keystone version discovery at the root: 300 with versions.values' },
    );
    expect(r.status).toBe(300);
    expect(r.headers.get('location')).toBe(`${f.auth_url}/`);
    expect(r.json.versions.values).toHaveLength(1);
    expect(r.json.versions.values[0]).toMatchObject({
      id: 'v3.14',
      status: 'stable',
      links: [{ rel: 'self', href: `${f.auth_url}/` }],
    });
  });

  it('GET /v3 answers 200 with the single version document', async () => {
    const r = await call(f.auth_url, {}, { name: 'keystone-v3', description: 'Keystone GET /v3: 200 {version}' });
    expect(r.status).toBe(200);
    expect(r.json.version).toMatchObject({ id: 'v3.14', status: 'stable' });
  });

  it('password auth scoped by project name: 201, token in X-Subject-Token, catalog with both regions', async () => {
    const r = await call(
      tokens,
      { body: { auth: { identity: passwordIdentity(f, 'demo'), scope: projectScopeByName(f, 'demo') } } },
      {
        name: 'keystone-token-password-project-name',
        description: 'POST /v3/auth/tokens, password, scoped to a project by name + domain name: 201',
      },
    );
    const t = expectTokenResponse(r);
    expect(t.methods).toEqual(['password']);
    expect(t.project).toEqual({ id: f.projects.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(t.is_domain).toBe(false);
    expect(t.user).toMatchObject({
      id: f.users.demo.id,
      name: 'demo',
      domain: { id: 'default', name: 'Default' },
      password_expires_at: null,
    });
    // member is assigned; reader is implied (bootstrap's admin -> member -> reader chain)
    expect(t.roles.map((x: Json) => x.name).sort()).toEqual(['member', 'reader']);
    const compute = t.catalog.find((c: Json) => c.type === 'compute');
    expect(compute.name).toBe('nova');
    const r1 = compute.endpoints.find((e: Json) => e.region_id === 'RegionOne' && e.interface === 'public');
    const r2 = compute.endpoints.find((e: Json) => e.region_id === 'RegionTwo' && e.interface === 'public');
    expect(r1).toMatchObject({ region: 'RegionOne', url: f.compute_url });
    // RegionTwo is stored as .../v2.1/%(project_id)s; keystone substitutes the token's project
    expect(r2).toMatchObject({ region: 'RegionTwo', url: `${f.compute_url}/${f.projects.demo}` });
    expect(Object.keys(r1).sort()).toEqual(['id', 'interface', 'region', 'region_id', 'url']);
  });

  it('password auth scoped by project id: 201', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { id: f.users.demo.id, password: f.users.demo.password } },
            },
            scope: { project: { id: f.projects.demo } },
          },
        },
      },
      {
        name: 'keystone-token-password-project-id',
        description: 'POST /v3/auth/tokens, password with user id, scoped to a project by id: 201',
      },
    );
    const t = expectTokenResponse(r);
    expect(t.project.id).toBe(f.projects.demo);
  });

  it('GET /v3/auth/tokens validates a token (X-Subject-Token) with 200 and the same body', async () => {
    const tok = await tokenFor(f, 'demo');
    const r = await call(
      tokens,
      { token: tok, headers: { 'X-Subject-Token': tok } },
      { name: 'keystone-token-validate', description: 'GET /v3/auth/tokens by the token subject itself: 200' },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('x-subject-token')).toBe(tok);
    expect(r.json.token.project.id).toBe(f.projects.demo);
  });

  it('application credential by id: 201, methods application_credential, no scope sent', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: f.appcred.id, secret: f.appcred.secret },
            },
          },
        },
      },
      { name: 'keystone-token-appcred-id', description: 'POST /v3/auth/tokens, application_credential by id: 201' },
    );
    const t = expectTokenResponse(r);
    expect(t.methods).toEqual(['application_credential']);
    expect(t.application_credential).toEqual({ id: f.appcred.id, name: f.appcred.name, restricted: true });
    expect(t.project.id).toBe(f.projects.demo);
    expect(t.user.id).toBe(f.users.demo.id);
  });

  it('application credential by name + user name/domain: 201', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: {
                name: f.appcred.name,
                secret: f.appcred.secret,
                user: { name: 'demo', domain: { name: 'Default' } },
              },
            },
          },
        },
      },
      {
        name: 'keystone-token-appcred-name',
        description: 'POST /v3/auth/tokens, application_credential by name + user name/domain: 201',
      },
    );
    const t = expectTokenResponse(r);
    expect(t.application_credential.id).toBe(f.appcred.id);
  });

  it('application credential with a wrong secret: 401', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: f.appcred.id, secret: 'nope' },
            },
          },
        },
      },
      {
        name: 'keystone-token-appcred-wrong-secret',
        description: 'POST /v3/auth/tokens, application_credential with a wrong secret: 401',
      },
    );
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 401, title: 'Unauthorized' });
  });

  it('rescope: an unscoped token exchanged (method token) for a project-scoped one keeps expires_at', async () => {
    const u = await call(
      tokens,
      { body: { auth: { identity: passwordIdentity(f, 'demo'), scope: 'unscoped' } } },
      {
        name: 'keystone-token-unscoped',
        description: 'POST /v3/auth/tokens, password, explicit "scope": "unscoped": 201 without project/catalog',
      },
    );
    const ut = expectTokenResponse(u);
    expect(ut.project).toBeUndefined();
    expect(ut.catalog).toBeUndefined();
    expect(ut.roles).toBeUndefined();
    const unscoped = u.headers.get('x-subject-token') as string;
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: { methods: ['token'], token: { id: unscoped } },
            scope: { project: { id: f.projects.demo } },
          },
        },
      },
      {
        name: 'keystone-token-rescope',
        description: 'POST /v3/auth/tokens, method token (rescope an unscoped token to a project): 201',
      },
    );
    const t = expectTokenResponse(r);
    // the presented token's methods plus "token"; the ORDER varies from one keystone
    // process to the next (a Python set): ['password', 'token'] or ['token', 'password']
    expect([...t.methods].sort()).toEqual(['password', 'token']);
    expect(t.expires_at).toBe(ut.expires_at);
    expect(t.audit_ids).toHaveLength(2);
    expect(t.audit_ids[1]).toBe(ut.audit_ids[0]);
    expect(t.project.id).toBe(f.projects.demo);
    expect(r.headers.get('x-subject-token')).not.toBe(unscoped);
  });

  it('rescope to a project the user has no role on: 401', async () => {
    const demo = await tokenFor(f, 'demo');
    const r = await call(
      tokens,
      {
        body: {
          auth: { identity: { methods: ['token'], token: { id: demo } }, scope: { project: { id: f.projects.admin } } },
        },
      },
      { name: 'keystone-token-rescope-no-role', description: 'rescope to a project without a role assignment: 401' },
    );
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe(401);
  });

  it('wrong password: 401 with the keystone error body and WWW-Authenticate', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: { identity: passwordIdentity(f, 'demo', 'wrong-password'), scope: projectScopeByName(f, 'demo') },
        },
      },
      { name: 'keystone-token-wrong-password', description: 'POST /v3/auth/tokens with a wrong password: 401' },
    );
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${f.auth_url}"`);
    expect(r.headers.get('openstack-auth-receipt')).toBeNull();
    expect(r.headers.get('x-subject-token')).toBeNull();
    expect(r.json).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
  });

  it('unknown user: the same 401 as a wrong password', async () => {
    const r = await call(
      tokens,
      {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'nobody', domain: { name: 'Default' }, password: 'x' } },
            },
          },
        },
      },
      { name: 'keystone-token-unknown-user', description: 'POST /v3/auth/tokens for a user that does not exist: 401' },
    );
    expect(r.status).toBe(401);
    expect(r.json).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
  });

  it('GET /v3/auth/projects lists the projects the token user can scope to', async () => {
    const r = await call(
      `${f.auth_url}/auth/projects`,
      { token: await tokenFor(f, 'demo') },
      { name: 'keystone-auth-projects', description: 'GET /v3/auth/projects with a project-scoped demo token: 200' },
    );
    expect(r.status).toBe(200);
    expect(r.json.projects).toHaveLength(1);
    expect(r.json.projects[0]).toMatchObject({
      id: f.projects.demo,
      name: 'demo',
      domain_id: 'default',
      enabled: true,
    });
    expect(r.json.links).toMatchObject({ self: `${f.auth_url}/auth/projects` });
  });

  it('GET /v3/auth/projects without a token: 401', async () => {
    const r = await call(
      `${f.auth_url}/auth/projects`,
      {},
      { name: 'keystone-auth-projects-no-token', description: 'GET /v3/auth/projects without X-Auth-Token: 401' },
    );
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe(401);
  });

  describeMfa();

  function describeMfa(): void {
    let receipt = '';
    let receiptBody: Json;
    const mfa = f.users.mfa;
    const secret = mfa.totp_secret as string;
    const scope = projectScopeByName(f, 'demo');

    beforeAll(() => {
      expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    });

    it('MFA user, password only: 401 with Openstack-Auth-Receipt and required_auth_methods', async () => {
      const r = await call(
        tokens,
        { body: { auth: { identity: passwordIdentity(f, 'mfa'), scope } } },
        {
          name: 'keystone-mfa-receipt-401',
          description: 'password only for a user whose MFA rules need password+totp: 401 with an auth receipt',
        },
      );
      expect(r.status).toBe(401);
      receipt = r.headers.get('openstack-auth-receipt') ?? '';
      expect(receipt).toMatch(/^gAAAAA/);
      // unlike every other keystone 401, the receipt 401 has NO WWW-Authenticate header
      expect(r.headers.get('www-authenticate')).toBeNull();
      expect(r.headers.get('content-type')).toBe('application/json');
      receiptBody = r.json;
      expect(Object.keys(receiptBody).sort()).toEqual(['receipt', 'required_auth_methods']);
      expect(receiptBody.receipt.methods).toEqual(['password']);
      expect(receiptBody.receipt.user).toMatchObject({
        id: mfa.id,
        name: 'mfa',
        domain: { id: 'default', name: 'Default' },
      });
      // Keystone builds each rule from a Python set: the order inside a rule varies between processes.
      expect(receiptBody.required_auth_methods.map((rule: string[]) => [...rule].sort())).toEqual([
        ['password', 'totp'],
      ]);
      // receipts live 300 s ([receipt] expiration), fernet timestamps have 1 s resolution
      const ttl = Date.parse(receiptBody.receipt.expires_at) - Date.parse(receiptBody.receipt.issued_at);
      expect(ttl).toBe(300_000);
    });

    it('MFA: receipt + a wrong TOTP code: 401', async () => {
      const good = totpCode(secret);
      const bad = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
      const r = await call(
        tokens,
        {
          headers: { 'Openstack-Auth-Receipt': receipt },
          body: { auth: { identity: { methods: ['totp'], totp: { user: { id: mfa.id, passcode: bad } } }, scope } },
        },
        { name: 'keystone-mfa-wrong-totp', description: 'receipt + a wrong TOTP passcode: 401' },
      );
      expect(r.status).toBe(401);
    });

    it('MFA: receipt + TOTP code computed here: 201 with methods password and totp', async () => {
      const r = await call(
        tokens,
        {
          headers: { 'Openstack-Auth-Receipt': receipt },
          body: {
            auth: {
              identity: { methods: ['totp'], totp: { user: { id: mfa.id, passcode: totpCode(secret) } } },
              scope,
            },
          },
        },
        {
          name: 'keystone-mfa-receipt-totp-201',
          description: 'Openstack-Auth-Receipt header + the totp method (scope sent again): 201',
        },
      );
      const t = expectTokenResponse(r);
      expect([...t.methods].sort()).toEqual(['password', 'totp']);
      expect(t.project.id).toBe(f.projects.demo);
      expect(t.user.id).toBe(mfa.id);
    });

    it('MFA: totp by user name + domain also completes the receipt', async () => {
      const r0 = await call(tokens, { body: { auth: { identity: passwordIdentity(f, 'mfa'), scope } } });
      const rc = r0.headers.get('openstack-auth-receipt') as string;
      const r = await call(tokens, {
        headers: { 'Openstack-Auth-Receipt': rc },
        body: {
          auth: {
            identity: {
              methods: ['totp'],
              totp: { user: { name: 'mfa', domain: { name: 'Default' }, passcode: totpCode(secret) } },
            },
            scope,
          },
        },
      });
      expectTokenResponse(r);
    });

    it('MFA: password + totp in one request: 201 without a receipt', async () => {
      const r = await call(
        tokens,
        {
          body: {
            auth: {
              identity: {
                methods: ['password', 'totp'],
                password: { user: { id: mfa.id, password: mfa.password } },
                totp: { user: { id: mfa.id, passcode: totpCode(secret) } },
              },
              scope,
            },
          },
        },
        { name: 'keystone-mfa-single-step', description: 'password + totp in one request: 201' },
      );
      const t = expectTokenResponse(r);
      expect([...t.methods].sort()).toEqual(['password', 'totp']);
    });

    it('MFA: a garbage receipt: 401', async () => {
      const r = await call(
        tokens,
        {
          headers: { 'Openstack-Auth-Receipt': 'not-a-receipt' },
          body: {
            auth: {
              identity: { methods: ['totp'], totp: { user: { id: mfa.id, passcode: totpCode(secret) } } },
              scope,
            },
          },
        },
        { name: 'keystone-mfa-bad-receipt', description: 'a malformed Openstack-Auth-Receipt: 401' },
      );
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${f.auth_url}"`);
      expect(r.headers.get('openstack-auth-receipt')).toBeNull();
      // with a valid passcode the receipt itself is looked up, and its message is specific
      // (a wrong passcode with a garbage receipt gives the generic message instead)
      expect(r.json).toEqual({
        error: { code: 401, title: 'Unauthorized', message: 'Could not find auth receipt: not-a-receipt.' },
      });
    });
  }
});
