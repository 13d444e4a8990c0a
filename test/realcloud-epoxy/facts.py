#!/usr/bin/python3
"""Merge <state>/keystone.json (test/realcloud/ks_seed.py), <state>/nova/server.json
(seed.py) and <state>/vnc.json (the host's Xvnc, test/realcloud/vnc/xvnc.sh) into
<state>/facts.json, add the service PIDs (<state>/run/*.pid: host PIDs, there is no PID
namespace), print the merged JSON. The same shape as the Zed tier's
facts (test/realcloud/facts.py), so test/openstack/realcloud.ts serves both tiers.
Standard library only. Usage: facts.py <host path of the state dir>"""
import glob
import json
import os
import sys

st = os.path.abspath(sys.argv[1])
with open(os.path.join(st, 'keystone.json')) as f:
    facts = json.load(f)
with open(os.path.join(st, 'nova', 'server.json')) as f:
    facts['server'] = json.load(f)
vnc = os.path.join(st, 'vnc.json')
if os.path.exists(vnc):
    with open(vnc) as f:
        facts['vnc'] = json.load(f)
facts['state_dir'] = st
pids = {}
for p in sorted(glob.glob(os.path.join(st, 'run', '*.pid'))):
    try:
        with open(p) as f:
            pids[os.path.basename(p)[:-4]] = int(f.read().strip())
    except (OSError, ValueError):
        pass
facts['pids'] = pids
out = os.path.join(st, 'facts.json')
with open(out + '.tmp', 'w') as f:
    json.dump(facts, f, indent=2)
os.replace(out + '.tmp', out)
json.dump(facts, sys.stdout, indent=2)
print()
