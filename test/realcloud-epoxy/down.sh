#!/bin/bash
# down.sh - stop everything up.sh started, each process by its saved PID (never by name),
# then unmount proc/sys/dev/... under the chroot. The chroot and the state stay, so the
# next up.sh restarts on them (server web-1 is kept): ~35 s instead of minutes.
#   OSCONSOLE_REALCLOUD_PURGE=1  (the variable the Zed tier's down.sh reads too) also
#   delete the state dir AND the chroot: the next up.sh starts from nothing.
#   OSCONSOLE_REALCLOUD_PURGE=state  delete the state only (DBs, keys, logs, the server):
#   the next up.sh seeds anew on the cached chroot (what .ci/run does).
# Safe to run when nothing is up, or after a half-made up.sh (up.sh runs it on failure).
# A PID is only signalled if /proc/<pid>/root is the chroot: a recycled PID that now
# belongs to someone else is left alone.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=config.sh
. "$HERE/config.sh"
ROOT="$EPOXY_ROOT"
S="$ROOT$EPOXY_STATE"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
log() { printf '[down %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[[ $(id -u) == 0 ]] || { log "needs root"; exit 1; }
t0=$(date +%s%N)

ours() { [[ "$(readlink "/proc/$1/root" 2>/dev/null)" == "$ROOT" ]]; }
stop() {  # stop <name>: TERM, wait up to 15 s, then KILL its process group
  local f="$S/run/$1.pid" pid
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 ($pid) still running after 15 s; KILL to its process group"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    log "$1 ($pid) stopped"
  elif kill -0 "$pid" 2>/dev/null; then
    log "$1: pid $pid is not in $ROOT (recycled?); left alone"
  fi
  rm -f "$f"
}

# Xvnc (on the host: not ours() by root, stopped by its own script) and the API/RPC services
# in parallel (each waits for its own PID), then mariadb + rabbitmq, then epmd
bash "$HERE/../realcloud/vnc/xvnc.sh" stop "$S" &
for s in nova-novncproxy nova-serialproxy serial-guest nova-api nova-compute nova-scheduler nova-conductor placement glance-api stubs keystone; do
  stop "$s" &
done
wait
# then the broker and the database, once nothing uses them (mariadbd: TERM = clean
# shutdown; rabbitmq-server's start script forwards TERM to beam.smp and waits for it)
stop mariadb &
stop rabbitmq &
wait
# epmd daemonized itself on our private port: find it by that port, check it is ours
if [[ -f "$S/rabbitmq/env.sh" ]]; then
  port=$(. "$S/rabbitmq/env.sh"; echo "$ERL_EPMD_PORT")
  for epid in $(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    if ours "$epid"; then kill "$epid" 2>/dev/null && log "epmd ($epid) stopped"; fi
  done
fi

# anything else still running with its root in the chroot was started by us, but we
# do not kill by search: report it, and leave the mounts it needs
left=()
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  ours "$pid" && left+=("$pid")
done
if ((${#left[@]})); then
  log "processes still running in $ROOT (not stopped, mounts kept): ${left[*]}"
  ps -o pid,ppid,etime,cmd -p "$(IFS=,; echo "${left[*]}")" >&2 || true
  exit 1
fi

MOUNTS=(proc sys dev dev/pts dev/shm)
for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
  m="$ROOT/${MOUNTS[i]}"
  # a loop: a mount stacked twice on the same point (e.g. by hand) needs two umounts
  for _ in 1 2 3 4; do
    mountpoint -q "$m" 2>/dev/null || break
    umount "$m" && log "unmounted $m" || break
  done
done
if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
  log "still mounted under $ROOT:"; findmnt -rn -o TARGET | grep "^$ROOT/" >&2; exit 1
fi
if [[ ${OSCONSOLE_REALCLOUD_PURGE:-0} == 1 && -d $ROOT ]]; then
  # nothing is mounted under $ROOT (checked above) and --one-file-system never crosses
  # a mount point, so this removes the chroot and the state in it, nothing else
  [[ "$ROOT" == /* && "$ROOT" != / ]] || { log "refusing to delete '$ROOT'"; exit 1; }
  rm -rf --one-file-system "$ROOT"; log "purged $ROOT (chroot and state)"
elif [[ ${OSCONSOLE_REALCLOUD_PURGE:-0} == state && -d $S ]]; then
  [[ "$S" == "$ROOT"/?* ]] || { log "refusing to delete '$S'"; exit 1; }
  rm -rf --one-file-system "$S"; log "purged $S (state; the chroot stays)"
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "down in $((ms/1000)).$(printf %03d $((ms%1000)))s"
