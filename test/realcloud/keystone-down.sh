#!/usr/bin/env bash
# keystone-down.sh - stop the Keystone started by keystone-up.sh (by its saved PID only,
# never by process name). OSCONSOLE_REALCLOUD_PURGE=1 also deletes keystone's state.
set -uo pipefail
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
PIDFILE="$STATE/run/keystone.pid"
if [[ -s "$PIDFILE" ]]; then
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    # uwsgi was started with --die-on-term, so TERM shuts the master and its workers down
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "keystone pid $pid did not stop; sending KILL to its process group" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    echo "keystone (pid $pid) stopped" >&2
  else
    echo "keystone not running (stale pid $pid)" >&2
  fi
  rm -f "$PIDFILE"
else
  echo "keystone not running (no $PIDFILE)" >&2
fi
if [[ "${OSCONSOLE_REALCLOUD_PURGE:-0}" == 1 ]]; then
  rm -rf "$STATE/etc" "$STATE/log" "$STATE/run" "$STATE/fernet-keys" "$STATE/credential-keys"
  rm -f "$STATE"/keystone.db* "$STATE"/.ks-bootstrapped "$STATE"/*openrc "$STATE"/*.env \
        "$STATE"/clouds.yaml "$STATE"/keystone.json
  rmdir "$STATE" 2>/dev/null || true
  echo "purged keystone state in $STATE" >&2
fi
