#!/usr/bin/env bash
# status.sh - show each service of the stack (by saved PID) with the RSS of its whole
# process tree (uwsgi workers, nova-api workers, beam under rabbitmq-server, ...), plus
# epmd (found by its private port), and the total. Read-only.
set -uo pipefail
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
tree_pids() {  # the pid and all its descendants
  local p=$1 c; echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree_pids "$c"; done
}
total=0
row() {  # row <name> <pid>
  local kb=0 n=0 p r
  kill -0 "$2" 2>/dev/null || { printf '%-16s %7s  (not running)\n' "$1" "$2"; return; }
  for p in $(tree_pids "$2"); do
    r=$(ps -o rss= -p "$p" 2>/dev/null | tr -d ' '); [[ -n $r ]] && { kb=$((kb + r)); n=$((n + 1)); }
  done
  total=$((total + kb))
  printf '%-16s %7s  %2d proc  %6d MiB\n' "$1" "$2" "$n" $((kb / 1024))
}
[[ -s $STATE/run/keystone.pid ]] && row keystone "$(cat "$STATE/run/keystone.pid")"
for f in "$STATE"/nova/run/*.pid; do [[ -s $f ]] && row "$(basename "$f" .pid)" "$(cat "$f")"; done
if [[ -f $STATE/nova/rabbitmq/env.sh ]]; then
  port=$(. "$STATE/nova/rabbitmq/env.sh"; echo "$ERL_EPMD_PORT")
  epid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [[ -n $epid ]] && row epmd "$epid"
fi
printf '%-16s %7s  %17d MiB\n' total '' $((total / 1024))
