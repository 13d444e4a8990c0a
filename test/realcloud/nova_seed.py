#!/usr/bin/python3
"""Keystone side of nova-up.sh, then (optionally) boot a demo server.

phase 'keystone': project 'service'; users nova/placement with admin on it;
  services placement (15778), image (stub glance 15292), network (stub neutron
  15696) with endpoints in RegionOne. (compute endpoints come from ks_seed.py.)
phase 'boot': as admin create flavor m1.tiny (id 1) if missing; as demo boot
  server 'demo-vm' (networks none, stub image) unless one exists; wait ACTIVE;
  write <state>/nova/server.env and <state>/nova/server.json.
Standard library only.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the project's test/realcloud/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ks_seed import KS  # noqa: E402

IMAGE_ID = '6e3c1b5a-7c42-4c77-9d65-0c0b6f0e7a11'


def log(m):
    print('[nova_seed] ' + m, file=sys.stderr)


def http(method, url, token, body=None, microversion='latest', ok=(200, 201, 202, 204)):
    r = urllib.request.Request(url, method=method,
                               data=json.dumps(body).encode() if body is not None else None)
    r.add_header('X-Auth-Token', token)
    r.add_header('Content-Type', 'application/json')
    r.add_header('Accept', 'application/json')
    r.add_header('OpenStack-API-Version', 'compute ' + microversion)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        if e.code in ok:
            return e.code, json.loads(raw) if raw else None
        raise SystemExit('%s %s -> %s %s' % (method, url, e.code, raw[:800]))


def phase_keystone(a):
    ks = KS(a.auth_url)
    ks.token, _ = ks.password_token('admin', a.admin_password, 'admin')
    p = ks.find('projects', 'projects', name='service')
    spid = p[0]['id'] if p else ks.req('POST', '/projects', {'project': {
        'name': 'service', 'domain_id': 'default'}})[2]['project']['id']
    admin_role = ks.find('roles', 'roles', name='admin')[0]['id']
    for user in ('nova', 'placement', 'glance'):
        u = ks.find('users', 'users', name=user, domain_id='default')
        uid = u[0]['id'] if u else ks.req('POST', '/users', {'user': {
            'name': user, 'password': user + 'pass', 'domain_id': 'default'}})[2]['user']['id']
        ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (spid, uid, admin_role))
    for name, stype, url in (('placement', 'placement', a.placement_url),
                             ('glance', 'image', a.glance_url),
                             ('neutron', 'network', a.neutron_url)):
        s = ks.find('services', 'services', type=stype)
        sid = s[0]['id'] if s else ks.req('POST', '/services', {'service': {
            'name': name, 'type': stype, 'enabled': True}})[2]['service']['id']
        eps = ks.find('endpoints', 'endpoints', service_id=sid)
        for iface in ('public', 'internal', 'admin'):
            have = [e for e in eps if e['interface'] == iface and e['region_id'] == 'RegionOne']
            if have:
                if have[0]['url'] != url:
                    ks.req('PATCH', '/endpoints/' + have[0]['id'], {'endpoint': {'url': url}})
                continue
            ks.req('POST', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': iface, 'region_id': 'RegionOne',
                'url': url, 'enabled': True}})
    log('keystone: service project, nova/placement users, placement/image/network endpoints ok')


def ensure_image(glance, token):
    """Create + upload a 1 KiB raw public image with a fixed id (no-op on the stub)."""
    url = glance.rstrip('/') + '/v2/images/' + IMAGE_ID

    def call(method, u, body=None, ctype='application/json'):
        r = urllib.request.Request(u, data=body, method=method)
        r.add_header('X-Auth-Token', token)
        r.add_header('Content-Type', ctype)
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            return e.code, None
    st, img = call('GET', url)
    if st == 200 and img.get('status') == 'active':
        return
    if st == 404:
        log('create glance image cirros-fake ' + IMAGE_ID)
        st, _ = call('POST', glance.rstrip('/') + '/v2/images', json.dumps({
            'id': IMAGE_ID, 'name': 'cirros-fake', 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'public'}).encode())
        if st != 201:
            raise SystemExit('glance image create -> %s' % st)
    st, _ = call('PUT', url + '/file', b'\0' * 1024, 'application/octet-stream')
    if st != 204:
        raise SystemExit('glance image upload -> %s' % st)


def phase_boot(a):
    ks = KS(a.auth_url)
    admin_tok, _ = ks.password_token('admin', a.admin_password, 'admin')
    demo_tok, _ = ks.password_token('demo', 'demopass', 'demo')
    nova = a.compute_url.rstrip('/')
    ensure_image(a.glance_url, admin_tok)
    st, fl = http('GET', nova + '/flavors/1', admin_tok, ok=(200, 404))
    if st == 404:
        log('create flavor m1.tiny')
        http('POST', nova + '/flavors', admin_tok, {'flavor': {
            'name': 'm1.tiny', 'id': '1', 'ram': 64, 'vcpus': 1, 'disk': 1}})
    _, srv = http('GET', nova + '/servers?name=^demo-vm$', demo_tok)
    if srv['servers']:
        sid = srv['servers'][0]['id']
    else:
        log('boot demo-vm as demo')
        _, b = http('POST', nova + '/servers', demo_tok, {'server': {
            'name': 'demo-vm', 'imageRef': IMAGE_ID, 'flavorRef': '1',
            'networks': 'none'}})
        sid = b['server']['id']
    t0 = time.time()
    while True:
        _, s = http('GET', nova + '/servers/' + sid, demo_tok)
        status = s['server']['status']
        if status == 'ACTIVE':
            break
        if status == 'ERROR' or time.time() - t0 > a.timeout:
            raise SystemExit('server %s is %s: %s' % (sid, status, s['server'].get('fault')))
        time.sleep(1)
    log('server demo-vm %s ACTIVE after %.1fs' % (sid, time.time() - t0))
    with open(os.path.join(a.state, 'nova', 'server.env'), 'w') as f:
        f.write('SERVER_ID=%s\nSERVER_NAME=demo-vm\n' % sid)
    with open(os.path.join(a.state, 'nova', 'server.json'), 'w') as f:
        json.dump({'server_id': sid, 'server_name': 'demo-vm', 'image_id': IMAGE_ID,
                   'flavor_id': '1', 'compute_url': nova}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('phase', choices=('keystone', 'boot'))
    ap.add_argument('--auth-url', required=True)
    ap.add_argument('--admin-password', default='secret')
    ap.add_argument('--state', required=True)
    ap.add_argument('--compute-url', default='http://127.0.0.1:15774/v2.1')
    ap.add_argument('--placement-url', default='http://127.0.0.1:15778')
    ap.add_argument('--glance-url', default='http://127.0.0.1:15292')
    ap.add_argument('--neutron-url', default='http://127.0.0.1:15696')
    ap.add_argument('--timeout', type=float, default=120)
    a = ap.parse_args()
    {'keystone': phase_keystone, 'boot': phase_boot}[a.phase](a)


if __name__ == '__main__':
    main()
