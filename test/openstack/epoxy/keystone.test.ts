/**
 * Real Keystone 27 (2025.1 Epoxy): the authentication flows osconsole's login uses, raw
 * HTTP, recorded as test/fixtures/real/epoxy/keystone-*.json when
 * OSCONSOLE_RECORD_FIXTURES=1. The same requests as the Zed tier's keystone.test.ts, to
 * see what changed between Keystone 22 and 27 (the simulator plays both).
 */
import { expect, it } from 'vitest';
import { call, describeReal, passwordIdentity, projectScopeByName } from '../realcloud.js';
import { totpCode } from '../totp.js';

type Json = any;

describeReal('real Keystone 27 (Epoxy)', (f) => {
  const tokens = `${f.auth_url}/auth/tokens`;
  const scope = projectScopeByName(f, 'demo');

  function expectToken(r: { status: number; headers: Headers; json: Json }): Json {
    expect(r.status).toBe(201);
    expect(r.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    expect(r.headers.get('content-type')).toBe('application/json');
    return r.json.token;
  }

  it('GET /v3: 200, the single version document', async () => {
    const r = await call(f.auth_url, {}, { name: 'epoxy/keystone-v3', description: 'Keystone GET /v3: 200 {version}' });
    expect(r.status).toBe(200);
    expect(r.json.version).toMatchObject({ id: expect.stringMatching(/^v3\.\d+$/), status: 'stable' });
  });

  it('password auth scoped by project name: 201, roles member and reader (implied), a catalog with compute', async () => {
    const r = await call(
      tokens,
      { body: { auth: { identity: passwordIdentity(f, 'demo'), scope } } },
      { name: 'epoxy/keystone-token-password-project-name', description: 'password, project scope by name: 201' },
    );
    const t = expectToken(r);
    expect(t.project).toEqual({ id: f.projects.demo, name: 'demo', domain: { id: 'default', name: 'Default' } });
    expect(t.roles.map((x: Json) => x.name).sort()).toEqual(['member', 'reader']);
    expect(t.catalog.map((s: Json) => s.type)).toContain('compute');
  });

  it('wrong password: 401', async () => {
    const r = await call(
      tokens,
      { body: { auth: { identity: passwordIdentity(f, 'demo', 'not-the-password'), scope } } },
      { name: 'epoxy/keystone-token-wrong-password', description: 'POST /v3/auth/tokens with a wrong password: 401' },
    );
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Keystone uri="${f.auth_url}"`);
  });

  it('application credential by id: 201, scoped to its project', async () => {
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
      { name: 'epoxy/keystone-token-appcred-id', description: 'application_credential by id: 201' },
    );
    const t = expectToken(r);
    expect(t.methods).toEqual(['application_credential']);
    expect(t.project.id).toBe(f.projects.demo);
  });

  it('MFA: password only is a 401 with a receipt; receipt + TOTP computed here is a 201', async () => {
    const mfa = f.users.mfa;
    const r = await call(
      tokens,
      { body: { auth: { identity: passwordIdentity(f, 'mfa'), scope } } },
      {
        name: 'epoxy/keystone-mfa-receipt-401',
        description: 'password only for a user whose MFA rules need password+totp: 401 with an auth receipt',
      },
    );
    expect(r.status).toBe(401);
    const receipt = r.headers.get('openstack-auth-receipt') ?? '';
    expect(receipt).toMatch(/^gAAAAA/);
    expect(r.json.required_auth_methods.map((rule: string[]) => [...rule].sort())).toEqual([['password', 'totp']]);
    const t = await call(
      tokens,
      {
        headers: { 'Openstack-Auth-Receipt': receipt },
        body: {
          auth: {
            identity: { methods: ['totp'], totp: { user: { id: mfa.id, passcode: totpCode(mfa.totp_secret!) } } },
            scope,
          },
        },
      },
      { name: 'epoxy/keystone-mfa-receipt-totp-201', description: 'receipt + the totp method: 201' },
    );
    expect([...expectToken(t).methods].sort()).toEqual(['password', 'totp']);
  });
});
