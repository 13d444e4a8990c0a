#!/usr/bin/env bash
# xvnc.sh - the VNC server behind nova-novncproxy in both real-OpenStack tiers: TigerVNC's
# Xvnc on the HOST (the Epoxy chroot shares the host's loopback), what the tiers' FakeDriver
# (serial/osconsole_serial.py get_vnc_console) names as the server's VNC console.
#
#   xvnc.sh start <dir> <display> <port> <WxH> <color> <desktop-name>
#   xvnc.sh stop <dir>
#
# <dir> is the tier's state dir with run/ and log/: run/xvnc.pid, log/xvnc.out (Xvnc logs
# each connection there: "Connections: accepted: 127.0.0.1::PORT"), xvnc.auth (the X
# cookie), and vnc.json (what the tests compare the wire with: port, size, name, color).
# Only 127.0.0.1 (-interface; -localhost would add [::1]), no X11 over TCP, X clients need
# the cookie. Security type None: nova's RFB security proxy offers None to the client and
# picks the first of [vnc] auth_schemes (default "none") that the server offers
# (nova/console/securityproxy/rfb.py); Xvnc's default VncAuth/TLS types would not match.
# -UseBlacklist=0: every client comes from the proxy's 127.0.0.1, and after 5 handshakes
# that fail (the tests' refused clients) TigerVNC would refuse every client for 10 s and
# more (a 3.3 banner with "Too many security failures"; nova then drops the client).
# -AlwaysShared: a second viewer does not disconnect the first.
# The root window is painted <color> (xsetroot -solid), so a screenshot is not blank.
# stop: SIGTERM, then SIGKILL after 5 s; only a PID whose executable is Xvnc's.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
log() { printf '[xvnc %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
XVNC=/usr/bin/Xtigervnc   # what /usr/bin/Xvnc points at (alternatives)
ours() { [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == "$XVNC" ]]; }
running() { [[ -s $1/run/xvnc.pid ]] && kill -0 "$(cat "$1/run/xvnc.pid")" 2>/dev/null && ours "$(cat "$1/run/xvnc.pid")"; }

start() {
  local dir=$1 display=$2 port=$3 geometry=$4 color=$5 name=$6
  mkdir -p "$dir/run" "$dir/log"
  if running "$dir" && port_open "$port"; then return 0; fi
  if port_open "$port"; then log "port $port is taken by a process this tier did not start"; exit 1; fi
  # the X server removes a lock of a dead PID itself; a live one is someone else's display
  if [[ -s /tmp/.X$display-lock ]] && kill -0 "$(tr -d ' ' </tmp/.X$display-lock)" 2>/dev/null; then
    log "display :$display is in use (/tmp/.X$display-lock)"; exit 1
  fi
  local auth=$dir/xvnc.auth
  (umask 077; : >"$auth")
  xauth -q -f "$auth" add ":$display" . "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
  setsid "$XVNC" ":$display" -rfbport "$port" -interface 127.0.0.1 -SecurityTypes None \
    -geometry "$geometry" -depth 24 -desktop "$name" -AlwaysShared -UseBlacklist=0 -nolisten tcp -auth "$auth" \
    </dev/null >>"$dir/log/xvnc.out" 2>&1 &
  echo $! >"$dir/run/xvnc.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    port_open "$port" && break
    kill -0 "$(cat "$dir/run/xvnc.pid")" 2>/dev/null || { log "Xvnc died:"; tail -15 "$dir/log/xvnc.out" >&2; exit 1; }
    sleep 0.1
  done
  port_open "$port" || { log "Xvnc not listening on $port after 10 s"; exit 1; }
  for ((i = 0; i < 20; i++)); do
    DISPLAY=":$display" XAUTHORITY="$auth" xsetroot -solid "$color" 2>/dev/null && break
    sleep 0.1
  done
  local w=${geometry%x*} h=${geometry#*x}
  printf '{"display": %d, "port": %d, "width": %d, "height": %d, "name": "%s", "color": "%s", "log": "%s"}\n' \
    "$display" "$port" "$w" "$h" "$name" "$color" "$dir/log/xvnc.out" >"$dir/vnc.json"
  log "Xvnc :$display on 127.0.0.1:$port ($geometry, root $color)"
}

stop() {
  local dir=$1 f=$1/run/xvnc.pid pid
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && ours "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then log "Xvnc ($pid) still running after 5 s: KILL"; kill -KILL "$pid"; fi
    log "Xvnc ($pid) stopped"
  elif kill -0 "$pid" 2>/dev/null; then
    log "pid $pid is not Xvnc (recycled?); left alone"
  fi
  rm -f "$f"
}

case ${1:-} in
  start) (($# == 7)) || { echo "usage: xvnc.sh start <dir> <display> <port> <WxH> <color> <name>" >&2; exit 2; }; start "${@:2}" ;;
  stop) (($# == 2)) || { echo "usage: xvnc.sh stop <dir>" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: xvnc.sh start|stop <dir> ..." >&2; exit 2 ;;
esac
