#!/usr/bin/python3
"""Merge <state>/keystone.json, <state>/nova/server.json and <state>/nova/vnc.json (the
tier's Xvnc, vnc/xvnc.sh) into <state>/facts.json, add the service PIDs, and print the
merged JSON. Standard library only.
Usage: facts.py <state-dir>"""
import glob
import json
import os
import sys

st = os.path.abspath(sys.argv[1])
with open(os.path.join(st, 'keystone.json')) as f:
    facts = json.load(f)
srv = os.path.join(st, 'nova', 'server.json')
if os.path.exists(srv):
    with open(srv) as f:
        facts['server'] = json.load(f)
vnc = os.path.join(st, 'nova', 'vnc.json')
if os.path.exists(vnc):
    with open(vnc) as f:
        facts['vnc'] = json.load(f)
facts['state_dir'] = st
pids = {}
for p in [os.path.join(st, 'run', 'keystone.pid')] + sorted(glob.glob(os.path.join(st, 'nova', 'run', '*.pid'))):
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
