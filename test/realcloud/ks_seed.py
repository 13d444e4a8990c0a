#!/usr/bin/python3
"""Idempotently seed a running Keystone with demo data, via its REST API only.

Creates (if missing):
  * project 'demo', user 'demo'/'demopass' with role 'member' on it (reader is implied)
  * user 'reader'/'readerpass' with only role 'reader' on project demo
  * region 'RegionTwo'
  * service 'nova' (type compute) with public/internal/admin endpoints in
    RegionOne (--compute-url) and RegionTwo (--compute-url-r2); existing
    endpoints are re-pointed if the URL changed
  * application credential 'demo-appcred' for demo, secret 'demo-appcred-secret'
  * user 'mfa'/'mfapass' (member of demo) with a TOTP credential and the user
    option multi_factor_auth_rules=[["password","totp"]]
Writes <state>/admin-openrc, demo-openrc, reader-openrc, appcred-openrc, mfa.env, ids.env,
clouds.yaml, and keystone.json (every fact above, for the vitest global setup).
Standard library only (Debian's /usr/bin/python3).
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

DEMO_PASS = 'demopass'
READER_PASS = 'readerpass'
APPCRED_NAME = 'demo-appcred'
APPCRED_SECRET = 'demo-appcred-secret'
MFA_PASS = 'mfapass'
# base32 of b'12345678901234567890' (the RFC 6238 test key)
TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'


class KS:
    def __init__(self, url):
        self.url = url.rstrip('/')
        self.token = None

    def req(self, method, path, body=None, token=None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + path, data=data, method=method)
        r.add_header('Content-Type', 'application/json')
        r.add_header('Accept', 'application/json')
        tok = token or self.token
        if tok:
            r.add_header('X-Auth-Token', tok)
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                raw = resp.read()
                return resp.status, resp.headers, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            if e.code in ok:
                return e.code, e.headers, (json.loads(raw) if raw else None)
            raise SystemExit('%s %s -> %s %s' % (method, path, e.code, raw[:500]))

    def password_token(self, user, password, project, domain='Default'):
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'password': password, 'domain': {'name': domain}}}},
            'scope': {'project': {'name': project, 'domain': {'name': domain}}}}}
        st, h, b = self.req('POST', '/auth/tokens', body)
        return h['X-Subject-Token'], b['token']

    def find(self, coll, key, **q):
        qs = '&'.join('%s=%s' % (k, urllib.request.quote(str(v))) for k, v in q.items())
        _, _, b = self.req('GET', '/%s%s' % (coll, ('?' + qs) if qs else ''))
        return b[key]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--auth-url', required=True)
    ap.add_argument('--admin-password', default='secret')
    ap.add_argument('--compute-url', required=True)
    ap.add_argument('--compute-url-r2', required=True)
    ap.add_argument('--state', required=True)
    a = ap.parse_args()

    ks = KS(a.auth_url)
    ks.token, _ = ks.password_token('admin', a.admin_password, 'admin')

    def log(msg):
        print('[ks_seed] ' + msg, file=sys.stderr)

    # ---- project + users + roles
    def ensure_project(name):
        p = ks.find('projects', 'projects', name=name, domain_id='default')
        if p:
            return p[0]['id']
        log('create project ' + name)
        return ks.req('POST', '/projects', {'project': {
            'name': name, 'domain_id': 'default',
            'description': 'realcloud ' + name}})[2]['project']['id']

    def ensure_user(name, password, project_id, options=None):
        u = ks.find('users', 'users', name=name, domain_id='default')
        body = {'name': name, 'domain_id': 'default', 'password': password,
                'default_project_id': project_id, 'enabled': True}
        if options is not None:
            body['options'] = options
        if u:
            uid = u[0]['id']
            # keep options in sync with what tests expect; touch the password only
            # if it no longer works: a password change revokes every token of the
            # user issued in the same second (fernet timestamps have 1s resolution)
            if options is not None:
                ks.req('PATCH', '/users/' + uid, {'user': {'options': options}})
            probe = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
                'id': uid, 'password': password}}}}}
            st, _, _ = ks.req('POST', '/auth/tokens', probe, ok=(200, 201, 401))
            if st == 401 and not options:
                log('reset password of ' + name)
                ks.req('PATCH', '/users/' + uid, {'user': {'password': password}})
                time.sleep(1.1)
            return uid
        log('create user ' + name)
        return ks.req('POST', '/users', {'user': body})[2]['user']['id']

    def role_id(name):
        r = ks.find('roles', 'roles', name=name)
        if r:
            return r[0]['id']
        log('create role ' + name)
        return ks.req('POST', '/roles', {'role': {'name': name}})[2]['role']['id']

    demo_pid = ensure_project('demo')
    admin_pid = ks.find('projects', 'projects', name='admin')[0]['id']
    member = role_id('member')
    demo_uid = ensure_user('demo', DEMO_PASS, demo_pid)
    ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (demo_pid, demo_uid, member))
    # a read-only user: keystone bootstrap (Zed) creates admin, member and reader with the
    # implied-role chain admin -> member -> reader
    reader = role_id('reader')
    reader_uid = ensure_user('reader', READER_PASS, demo_pid)
    ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (demo_pid, reader_uid, reader))

    # ---- regions / catalog
    regions = {r['id'] for r in ks.find('regions', 'regions')}
    for rid in ('RegionOne', 'RegionTwo'):
        if rid not in regions:
            log('create region ' + rid)
            ks.req('POST', '/regions', {'region': {'id': rid}})
    svc = ks.find('services', 'services', type='compute')
    if svc:
        sid = svc[0]['id']
    else:
        log('create service nova (compute)')
        sid = ks.req('POST', '/services', {'service': {
            'name': 'nova', 'type': 'compute', 'description': 'OpenStack Compute',
            'enabled': True}})[2]['service']['id']
    eps = ks.find('endpoints', 'endpoints', service_id=sid)
    for region, url in (('RegionOne', a.compute_url), ('RegionTwo', a.compute_url_r2)):
        for iface in ('public', 'internal', 'admin'):
            have = [e for e in eps if e['region_id'] == region and e['interface'] == iface]
            if have:
                if have[0]['url'] != url:
                    log('re-point %s/%s compute endpoint -> %s' % (region, iface, url))
                    ks.req('PATCH', '/endpoints/' + have[0]['id'],
                           {'endpoint': {'url': url}})
                continue
            log('create %s/%s compute endpoint %s' % (region, iface, url))
            ks.req('POST', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': iface, 'region_id': region,
                'url': url, 'enabled': True}})

    # ---- application credential for demo (created with demo's own token)
    demo_tok, _ = ks.password_token('demo', DEMO_PASS, 'demo')
    acs = ks.req('GET', '/users/%s/application_credentials?name=%s' % (demo_uid, APPCRED_NAME),
                 token=demo_tok)[2]['application_credentials']
    if acs:
        ac_id = acs[0]['id']
    else:
        log('create application credential ' + APPCRED_NAME)
        ac_id = ks.req('POST', '/users/%s/application_credentials' % demo_uid, {
            'application_credential': {
                'name': APPCRED_NAME, 'secret': APPCRED_SECRET,
                'description': 'realcloud demo app cred'}},
            token=demo_tok)[2]['application_credential']['id']

    # ---- MFA user: password + TOTP required (auth receipts)
    mfa_uid = ensure_user('mfa', MFA_PASS, demo_pid,
                          options={'multi_factor_auth_enabled': True,
                                   'multi_factor_auth_rules': [['password', 'totp']]})
    ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (demo_pid, mfa_uid, member))
    creds = ks.find('credentials', 'credentials', user_id=mfa_uid, type='totp')
    if not any(c['blob'] == TOTP_SECRET for c in creds):
        log('create TOTP credential for mfa')
        ks.req('POST', '/credentials', {'credential': {
            'type': 'totp', 'user_id': mfa_uid, 'blob': TOTP_SECRET}})

    # ---- rc files
    st = a.state
    common = ('export OS_AUTH_URL=%s\nexport OS_IDENTITY_API_VERSION=3\n'
              'export OS_REGION_NAME=RegionOne\nexport OS_INTERFACE=public\n' % a.auth_url)
    with open(os.path.join(st, 'admin-openrc'), 'w') as f:
        f.write(common + 'export OS_USERNAME=admin\nexport OS_PASSWORD=%s\n'
                'export OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\n'
                'export OS_PROJECT_DOMAIN_NAME=Default\n' % a.admin_password)
    with open(os.path.join(st, 'demo-openrc'), 'w') as f:
        f.write(common + 'export OS_USERNAME=demo\nexport OS_PASSWORD=%s\n'
                'export OS_PROJECT_NAME=demo\nexport OS_USER_DOMAIN_NAME=Default\n'
                'export OS_PROJECT_DOMAIN_NAME=Default\n' % DEMO_PASS)
    with open(os.path.join(st, 'reader-openrc'), 'w') as f:
        f.write(common + 'export OS_USERNAME=reader\nexport OS_PASSWORD=%s\n'
                'export OS_PROJECT_NAME=demo\nexport OS_USER_DOMAIN_NAME=Default\n'
                'export OS_PROJECT_DOMAIN_NAME=Default\n' % READER_PASS)
    with open(os.path.join(st, 'appcred-openrc'), 'w') as f:
        f.write(common + 'export OS_AUTH_TYPE=v3applicationcredential\n'
                'export OS_APPLICATION_CREDENTIAL_ID=%s\n'
                'export OS_APPLICATION_CREDENTIAL_SECRET=%s\n' % (ac_id, APPCRED_SECRET))
    with open(os.path.join(st, 'mfa.env'), 'w') as f:
        f.write('MFA_USERNAME=mfa\nMFA_PASSWORD=%s\nMFA_TOTP_SECRET=%s\nMFA_USER_ID=%s\n'
                % (MFA_PASS, TOTP_SECRET, mfa_uid))
    with open(os.path.join(st, 'ids.env'), 'w') as f:
        f.write('DEMO_PROJECT_ID=%s\nADMIN_PROJECT_ID=%s\nDEMO_USER_ID=%s\n'
                'COMPUTE_SERVICE_ID=%s\nAPPCRED_ID=%s\nAPPCRED_SECRET=%s\n'
                % (demo_pid, admin_pid, demo_uid, sid, ac_id, APPCRED_SECRET))
    clouds = {'clouds': {
        'realcloud-admin': {'auth': {'auth_url': a.auth_url, 'username': 'admin',
                                     'password': a.admin_password, 'project_name': 'admin',
                                     'user_domain_name': 'Default',
                                     'project_domain_name': 'Default'},
                            'region_name': 'RegionOne', 'identity_api_version': 3},
        'realcloud-demo': {'auth': {'auth_url': a.auth_url, 'username': 'demo',
                                    'password': DEMO_PASS, 'project_name': 'demo',
                                    'user_domain_name': 'Default',
                                    'project_domain_name': 'Default'},
                           'region_name': 'RegionOne', 'identity_api_version': 3},
        'realcloud-demo-r2': {'auth': {'auth_url': a.auth_url, 'username': 'demo',
                                       'password': DEMO_PASS, 'project_name': 'demo',
                                       'user_domain_name': 'Default',
                                       'project_domain_name': 'Default'},
                              'region_name': 'RegionTwo', 'identity_api_version': 3},
        'realcloud-reader': {'auth': {'auth_url': a.auth_url, 'username': 'reader',
                                      'password': READER_PASS, 'project_name': 'demo',
                                      'user_domain_name': 'Default',
                                      'project_domain_name': 'Default'},
                             'region_name': 'RegionOne', 'identity_api_version': 3},
        'realcloud-appcred': {'auth_type': 'v3applicationcredential',
                              'auth': {'auth_url': a.auth_url,
                                       'application_credential_id': ac_id,
                                       'application_credential_secret': APPCRED_SECRET},
                              'region_name': 'RegionOne', 'identity_api_version': 3},
    }}
    # JSON is valid YAML, so no yaml module is needed
    with open(os.path.join(st, 'clouds.yaml'), 'w') as f:
        json.dump(clouds, f, indent=2)
    facts = {
        'auth_url': a.auth_url,
        'regions': ['RegionOne', 'RegionTwo'],
        'compute_url': a.compute_url, 'compute_url_r2': a.compute_url_r2,
        'domain': {'id': 'default', 'name': 'Default'},
        'projects': {'admin': admin_pid, 'demo': demo_pid},
        'users': {
            'admin': {'id': ks.find('users', 'users', name='admin')[0]['id'],
                      'password': a.admin_password, 'project': 'admin', 'roles': ['admin']},
            'demo': {'id': demo_uid, 'password': DEMO_PASS, 'project': 'demo',
                     'roles': ['member']},
            'reader': {'id': reader_uid, 'password': READER_PASS, 'project': 'demo',
                       'roles': ['reader']},
            'mfa': {'id': mfa_uid, 'password': MFA_PASS, 'project': 'demo',
                    'roles': ['member'], 'totp_secret': TOTP_SECRET},
        },
        'roles': {'admin': ks.find('roles', 'roles', name='admin')[0]['id'],
                  'member': member, 'reader': reader},
        'compute_service_id': sid,
        'appcred': {'id': ac_id, 'name': APPCRED_NAME, 'secret': APPCRED_SECRET,
                    'user': 'demo', 'user_id': demo_uid},
        'clouds_yaml': os.path.join(st, 'clouds.yaml'),
    }
    with open(os.path.join(st, 'keystone.json'), 'w') as f:
        json.dump(facts, f, indent=2)
    log('seeded: demo project %s, demo user %s, compute service %s, appcred %s, mfa user %s'
        % (demo_pid, demo_uid, sid, ac_id, mfa_uid))


if __name__ == '__main__':
    main()
