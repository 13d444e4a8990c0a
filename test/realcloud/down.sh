#!/usr/bin/env bash
# down.sh - stop everything up.sh started, each process by its saved PID (nova first,
# then keystone). OSCONSOLE_REALCLOUD_PURGE=1 also deletes the state dir.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$HERE/nova-down.sh"
"$HERE/keystone-down.sh"
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
if [[ "${OSCONSOLE_REALCLOUD_PURGE:-0}" == 1 ]]; then
  rm -f "$STATE/facts.json"; rmdir "$STATE" 2>/dev/null || true
fi
exit 0
