#!/usr/bin/python3
"""Idempotent seeding of the Epoxy tier's stack through the REST APIs only (stdlib only;
runs with the chroot's /usr/bin/python3, called by stack-up.sh).

phase 'keystone' (admin token, project admin):
  * project demo; user demo/demopass with role member on demo
  * user admin gets role admin on demo too (so OS_PROJECT_NAME=demo works for admin)
  * project service; users nova/placement/glance (<name>pass) with admin + service on it
  * services + RegionOne public/internal/admin endpoints: compute, placement, image, network
  * writes <state>/admin-openrc, demo-openrc, clouds.yaml (JSON), ids.json
phase 'boot':
  * image cirros-fake (fixed id, 1 KiB raw, public) in the real glance (no-op on the stub)
  * flavor m1.tiny (id 1); server <name> for demo with networks=none; waits for ACTIVE
  * writes <state>/nova/server.json
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_PASS = 'demopass'
IMAGE_ID = '6e3c1b5a-7c42-4c77-9d65-0c0b6f0e7a11'


def log(m):
    print('[seed] ' + m, file=sys.stderr)


def call(method, url, token=None, body=None, headers=None, ok=(200, 201, 202, 204), raw=None,
         ctype='application/json'):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    r = urllib.request.Request(url, data=data, method=method)
    r.add_header('Content-Type', ctype)
    r.add_header('Accept', 'application/json')
    if token:
        r.add_header('X-Auth-Token', token)
    for k, v in (headers or {}).items():
        r.add_header(k, v)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            b = resp.read()
            return resp.status, resp.headers, (json.loads(b) if b else None)
    except urllib.error.HTTPError as e:
        b = e.read()
        if e.code in ok:
            try:
                return e.code, e.headers, (json.loads(b) if b else None)
            except ValueError:
                return e.code, e.headers, None
        raise SystemExit('%s %s -> %s %s' % (method, url, e.code, b[:800]))


class KS:
    def __init__(self, url):
        self.url = url.rstrip('/')
        self.token = None

    def req(self, method, path, body=None, token=None, ok=(200, 201, 204)):
        return call(method, self.url + path, token or self.token, body, ok=ok)

    def password_token(self, user, password, project):
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'password': password, 'domain': {'name': 'Default'}}}},
            'scope': {'project': {'name': project, 'domain': {'name': 'Default'}}}}}
        _, h, b = self.req('POST', '/auth/tokens', body)
        return h['X-Subject-Token'], b['token']

    def find(self, coll, **q):
        qs = urllib.parse.urlencode(q)
        return self.req('GET', '/%s%s' % (coll, ('?' + qs) if qs else ''))[2][coll]


def phase_keystone(a):
    ks = KS(a.auth_url)
    ks.token, _ = ks.password_token('admin', a.admin_password, 'admin')

    def project(name):
        p = ks.find('projects', name=name, domain_id='default')
        if p:
            return p[0]['id']
        log('create project ' + name)
        return ks.req('POST', '/projects', {'project': {
            'name': name, 'domain_id': 'default', 'description': 'epoxy ' + name}})[2]['project']['id']

    def user(name, password, default_project=None):
        u = ks.find('users', name=name, domain_id='default')
        if u:
            return u[0]['id']
        log('create user ' + name)
        body = {'name': name, 'domain_id': 'default', 'password': password, 'enabled': True}
        if default_project:
            body['default_project_id'] = default_project
        return ks.req('POST', '/users', {'user': body})[2]['user']['id']

    def role(name):
        r = ks.find('roles', name=name)
        if r:
            return r[0]['id']
        log('create role ' + name)
        return ks.req('POST', '/roles', {'role': {'name': name}})[2]['role']['id']

    def grant(pid, uid, rid):
        ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (pid, uid, rid))

    admin_role, member_role, service_role = role('admin'), role('member'), role('service')
    demo_pid, service_pid = project('demo'), project('service')
    admin_pid = ks.find('projects', name='admin')[0]['id']
    admin_uid = ks.find('users', name='admin')[0]['id']
    demo_uid = user('demo', DEMO_PASS, demo_pid)
    grant(demo_pid, demo_uid, member_role)
    grant(demo_pid, admin_uid, admin_role)
    for name in ('nova', 'placement', 'glance'):
        uid = user(name, name + 'pass')
        grant(service_pid, uid, admin_role)
        grant(service_pid, uid, service_role)

    endpoints = {}
    for name, stype, url in (('nova', 'compute', a.compute_url),
                             ('placement', 'placement', a.placement_url),
                             ('glance', 'image', a.glance_url),
                             ('neutron', 'network', a.neutron_url)):
        s = ks.find('services', type=stype)
        sid = s[0]['id'] if s else ks.req('POST', '/services', {'service': {
            'name': name, 'type': stype, 'enabled': True}})[2]['service']['id']
        eps = ks.find('endpoints', service_id=sid)
        for iface in ('public', 'internal', 'admin'):
            have = [e for e in eps if e['interface'] == iface and e['region_id'] == 'RegionOne']
            if have:
                if have[0]['url'] != url:
                    log('re-point %s/%s -> %s' % (stype, iface, url))
                    ks.req('PATCH', '/endpoints/' + have[0]['id'], {'endpoint': {'url': url}})
                continue
            log('create %s/%s endpoint %s' % (stype, iface, url))
            ks.req('POST', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': iface, 'region_id': 'RegionOne',
                'url': url, 'enabled': True}})
        endpoints[stype] = url

    # the demo user can log in (and the password is what we say)
    ks.password_token('demo', DEMO_PASS, 'demo')

    st = a.state
    common = ('export OS_AUTH_URL=%s\nexport OS_IDENTITY_API_VERSION=3\n'
              'export OS_REGION_NAME=RegionOne\nexport OS_INTERFACE=public\n'
              'export OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\n'
              % a.auth_url)
    for fname, u, p, proj in (('admin-openrc', 'admin', a.admin_password, 'admin'),
                              ('admin-demo-openrc', 'admin', a.admin_password, 'demo'),
                              ('demo-openrc', 'demo', DEMO_PASS, 'demo')):
        with open(os.path.join(st, fname), 'w') as f:
            f.write(common + 'export OS_USERNAME=%s\nexport OS_PASSWORD=%s\n'
                    'export OS_PROJECT_NAME=%s\n' % (u, p, proj))

    def cloud(u, p, proj):
        return {'auth': {'auth_url': a.auth_url, 'username': u, 'password': p,
                         'project_name': proj, 'user_domain_name': 'Default',
                         'project_domain_name': 'Default'},
                'region_name': 'RegionOne', 'identity_api_version': 3}
    with open(os.path.join(st, 'clouds.yaml'), 'w') as f:   # JSON is valid YAML
        json.dump({'clouds': {'epoxy-admin': cloud('admin', a.admin_password, 'admin'),
                              'epoxy-admin-demo': cloud('admin', a.admin_password, 'demo'),
                              'epoxy-demo': cloud('demo', DEMO_PASS, 'demo')}}, f, indent=2)
    with open(os.path.join(st, 'ids.json'), 'w') as f:
        json.dump({'auth_url': a.auth_url, 'admin_project_id': admin_pid,
                   'demo_project_id': demo_pid, 'service_project_id': service_pid,
                   'admin_user_id': admin_uid, 'demo_user_id': demo_uid,
                   'endpoints': endpoints}, f, indent=2)
    log('keystone seeded: demo project %s, demo user %s' % (demo_pid, demo_uid))


def ensure_image(glance, token):
    url = glance.rstrip('/') + '/v2/images/' + IMAGE_ID
    st, _, img = call('GET', url, token, ok=(200, 404))
    if st == 200 and img.get('status') == 'active':
        return
    if st == 404:
        log('create glance image cirros-fake ' + IMAGE_ID)
        call('POST', glance.rstrip('/') + '/v2/images', token, {
            'id': IMAGE_ID, 'name': 'cirros-fake', 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'public'})
    call('PUT', url + '/file', token, raw=b'\0' * 1024, ctype='application/octet-stream')


def phase_boot(a):
    ks = KS(a.auth_url)
    admin_tok, _ = ks.password_token('admin', a.admin_password, 'admin')
    demo_tok, _ = ks.password_token('demo', DEMO_PASS, 'demo')
    nova = a.compute_url.rstrip('/')
    mv = {'OpenStack-API-Version': 'compute latest'}
    if a.glance_mode == 'real':
        ensure_image(a.glance_url, admin_tok)
    st, _, _ = call('GET', nova + '/flavors/1', admin_tok, headers=mv, ok=(200, 404))
    if st == 404:
        log('create flavor m1.tiny')
        call('POST', nova + '/flavors', admin_tok, {'flavor': {
            'name': 'm1.tiny', 'id': '1', 'ram': 64, 'vcpus': 1, 'disk': 1}}, headers=mv)
    q = urllib.parse.urlencode({'name': '^%s$' % a.server_name})
    _, _, srv = call('GET', nova + '/servers?' + q, demo_tok, headers=mv)
    if srv['servers']:
        sid = srv['servers'][0]['id']
    else:
        log('boot %s as demo' % a.server_name)
        _, _, b = call('POST', nova + '/servers', demo_tok, {'server': {
            'name': a.server_name, 'imageRef': IMAGE_ID, 'flavorRef': '1',
            'networks': 'none'}}, headers=mv)
        sid = b['server']['id']
    t0 = time.time()
    while True:
        _, _, s = call('GET', nova + '/servers/' + sid, demo_tok, headers=mv)
        status = s['server']['status']
        if status == 'ACTIVE':
            break
        if status == 'ERROR' or time.time() - t0 > a.timeout:
            raise SystemExit('server %s is %s: %s' % (sid, status, s['server'].get('fault')))
        time.sleep(0.5)
    log('server %s %s ACTIVE after %.1fs' % (a.server_name, sid, time.time() - t0))
    # the Zed tier's shape (test/realcloud/nova_seed.py), merged into facts.json by facts.py
    os.makedirs(os.path.join(a.state, 'nova'), exist_ok=True)
    with open(os.path.join(a.state, 'nova', 'server.json'), 'w') as f:
        json.dump({'server_id': sid, 'server_name': a.server_name, 'image_id': IMAGE_ID,
                   'flavor_id': '1', 'compute_url': a.compute_url}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('phase', choices=('keystone', 'boot'))
    ap.add_argument('--state', required=True)
    ap.add_argument('--auth-url', required=True)
    ap.add_argument('--admin-password', default='secret')
    ap.add_argument('--compute-url', required=True)
    ap.add_argument('--placement-url')
    ap.add_argument('--glance-url', required=True)
    ap.add_argument('--neutron-url')
    ap.add_argument('--server-name', default='web-1')
    ap.add_argument('--glance-mode', default='real')
    ap.add_argument('--timeout', type=float, default=120)
    a = ap.parse_args()
    {'keystone': phase_keystone, 'boot': phase_boot}[a.phase](a)


if __name__ == '__main__':
    main()
