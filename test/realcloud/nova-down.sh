#!/usr/bin/env bash
# nova-down.sh - stop what nova-up.sh started, each by its saved PID (never by name).
# OSCONSOLE_REALCLOUD_PURGE=1 also deletes $OSCONSOLE_REALCLOUD_STATE/nova. Keystone is left running
# (keystone-down.sh stops it).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
NS="$STATE/nova"
stop() {  # stop <name> [signal]
  local f="$NS/run/$1.pid" pid
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    local t=$SECONDS
    kill -"${2:-TERM}" "$pid" 2>/dev/null
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$1 ($pid) still running; KILL to its process group" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    echo "$1 ($pid) stopped ($((SECONDS - t))s)" >&2
  fi
  rm -f "$f"
}
# Xvnc and all API/RPC services at once (each takes 1-3 s to shut down gracefully; one after
# the other that was ~20 s), then rabbitmq, which they talk to while stopping
bash "$HERE/vnc/xvnc.sh" stop "$NS" &
for s in nova-novncproxy nova-serialproxy serial-guest nova-api nova-compute nova-scheduler nova-conductor placement glance-api stubs; do stop "$s" & done
wait
# rabbitmq-server's start script forwards TERM to beam and waits for it; mariadbd: TERM
# is a clean shutdown. Both once nothing uses them.
stop rabbitmq &
stop mariadb &
wait
# epmd was daemonized by erlang on our private port; stop it by the PID owning that port
if [[ -f "$NS/rabbitmq/env.sh" ]]; then
  port=$(. "$NS/rabbitmq/env.sh"; echo "$ERL_EPMD_PORT")
  epid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [[ -n $epid ]] && kill "$epid" 2>/dev/null && echo "epmd ($epid) stopped" >&2
fi
if [[ "${OSCONSOLE_REALCLOUD_PURGE:-0}" == 1 ]]; then rm -rf "$NS"; echo "purged $NS" >&2; fi
