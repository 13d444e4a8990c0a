#!/bin/bash
# compute.sh spice-off|spice-on - restart nova-compute of the running Epoxy stack with
# "[spice] enabled = false" (spice-off) or with nova.conf as written (spice-on), to test
# what Nova answers for spice-direct when the compute host has SPICE switched off.
# [spice] enabled is read by nova-compute, not nova-api (nova/compute/manager.py
# get_spice_console raises ConsoleTypeUnavailable), so only nova-compute restarts
# (~20-30 s: its start-up, the heartbeat, the host mapping check; up.sh does the waiting).
# The override is a file in <state>/etc/nova-compute.d/ (nova-compute's --config-dir).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=config.sh
. "$HERE/config.sh"
S="$EPOXY_ROOT$EPOXY_STATE"
[[ $(id -u) == 0 ]] || { echo "compute.sh: needs root" >&2; exit 1; }
override="$S/etc/nova-compute.d/spice-off.conf"
case ${1:-} in
  spice-off) mkdir -p "$(dirname "$override")"; printf '[spice]\nenabled = false\n' >"$override" ;;
  spice-on) rm -f "$override" ;;
  *) echo "usage: compute.sh spice-off|spice-on" >&2; exit 2 ;;
esac
pidf="$S/run/nova-compute.pid"
if [[ -s $pidf ]]; then
  pid=$(cat "$pidf")
  # only a process whose root is our chroot (a recycled PID is left alone)
  if kill -0 "$pid" 2>/dev/null && [[ "$(readlink "/proc/$pid/root")" == "$EPOXY_ROOT" ]]; then
    kill -TERM "$pid"
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$pidf"
fi
# up.sh starts what is not running (here: nova-compute) and waits for its heartbeat
bash "$HERE/up.sh" >/dev/null
