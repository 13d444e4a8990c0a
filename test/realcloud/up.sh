#!/usr/bin/env bash
# up.sh - bring the whole real-OpenStack stack up for osconsole's integration tier:
#   1. install.sh all   (missing Debian packages, one apt transaction)
#   2. keystone-up.sh   (Keystone 22 on 127.0.0.1:15000, seeded)
#   3. nova-up.sh       (rabbitmq, placement, glance, nova-api/conductor/scheduler/compute
#                        with the fake driver, server demo-vm ACTIVE)
# then writes $STATE/facts.json (keystone.json + nova/server.json merged) and prints its
# path on stdout. Phase timings go to stderr. Idempotent: ~0.2 s when already up.
# The vitest global setup (test/openstack/global-setup.ts) runs the same three phases.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
mkdir -p "$STATE" && STATE="$(cd "$STATE" && pwd)"
export OSCONSOLE_REALCLOUD_STATE="$STATE"
now() { date +%s%N; }
phase() {  # phase <name> <cmd...>
  local name=$1 t; shift; t=$(now)
  "$@" >/dev/null
  local ms=$(( ($(now) - t) / 1000000 ))
  printf '[up] %-8s %d.%03ds\n' "$name" $((ms/1000)) $((ms%1000)) >&2
}
phase install  "$HERE/install.sh" all
phase keystone "$HERE/keystone-up.sh"
phase nova     "$HERE/nova-up.sh"
"$HERE/facts.py" "$STATE" >/dev/null
echo "$STATE/facts.json"
