#!/usr/bin/env bash
# install.sh - install the Debian 12 (bookworm) packages the real-OpenStack tier needs,
# in ONE apt transaction, only those that are missing. Debian's packages only: no PyPI,
# no containers.
#
# Usage: install.sh [keystone|nova|vnc|all]   (default all)
#   keystone: python3-keystone uwsgi-core uwsgi-plugin-python3 (+ curl iproute2)
#   nova:     the above + python3-nova python3-placement rabbitmq-server mariadb-server-core
#             mariadb-client-core python3-pymysql (+ python3-glance unless
#             OSCONSOLE_REALCLOUD_GLANCE=stub) + vnc
#   vnc:      the VNC server behind nova-novncproxy and the clients the tests run, on the
#             host (the Epoxy tier's up.sh asks for this one): tigervnc-standalone-server
#             (Xvnc), x11-xserver-utils (xsetroot), xauth, novnc (the pages of --web),
#             gvncviewer (gvnccapture), virt-viewer (remote-viewer), xvfb
# OSCONSOLE_REALCLOUD_NO_INSTALL=1: never call apt-get, fail if something is missing.
#
# Deliberately NOT installed (see README.md): the `keystone`, `nova-*`, `placement-api`,
# `glance-*` service packages (init scripts, dbconfig prompts; nova-compute pulls
# qemu/libvirt), none of which the fake-driver setup needs.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
what="${1:-all}"
log() { printf '[install %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

VNC=(tigervnc-standalone-server x11-xserver-utils xauth novnc gvncviewer virt-viewer xvfb)
PKGS=(python3-keystone uwsgi-core uwsgi-plugin-python3 curl iproute2)
[[ $what == vnc ]] && PKGS=("${VNC[@]}")
if [[ $what == nova || $what == all ]]; then
  # python3-nova pulls ~90 packages incl. systemd/udev/open-iscsi (via os-brick) but
  # nothing gets started when /usr/sbin/policy-rc.d exits 101 (see below)
  # mariadb-*-core: mariadbd, mariadb-install-db and the client only (no init scripts);
  # python3-pymysql is the driver oslo.db uses (pure Python, so eventlet-friendly)
  PKGS+=(python3-nova python3-placement rabbitmq-server mariadb-server-core mariadb-client-core python3-pymysql)
  [[ "${OSCONSOLE_REALCLOUD_GLANCE:-real}" == real ]] && PKGS+=(python3-glance)
  PKGS+=("${VNC[@]}")
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [[ "${OSCONSOLE_REALCLOUD_NO_INSTALL:-0}" == 1 ]]; then
  log "missing packages: ${missing[*]} (OSCONSOLE_REALCLOUD_NO_INSTALL=1)"; exit 1
fi
if [[ $(id -u) != 0 ]]; then
  log "missing packages: ${missing[*]}; installing them needs root"; exit 1
fi
if [[ ! -x /usr/sbin/policy-rc.d ]]; then
  # Without it, rabbitmq-server's postinst starts a system rabbitmq on 0.0.0.0:5672 and
  # epmd on 4369 (off loopback). Debian's docker images ship one that exits 101.
  log "WARNING: no /usr/sbin/policy-rc.d: package postinsts may start system services"
  log "         (rabbitmq on 0.0.0.0:5672); create one that exits 101 first if that matters"
fi
log "installing: ${missing[*]}"
ti=$(date +%s%N)
APTLOG="${TMPDIR:-/tmp}/osconsole-realcloud-apt.log"
# one `apt-get update` first: the lists may be absent or stale (404s) on a fresh machine
apt-get -o DPkg::Lock::Timeout=900 update -qq >>"$APTLOG" 2>&1 \
  || { tail -20 "$APTLOG" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
  --no-install-recommends "${missing[@]}" >>"$APTLOG" 2>&1 \
  || { tail -20 "$APTLOG" >&2; exit 1; }
ms=$(( ($(date +%s%N) - ti) / 1000000 ))
log "install took $((ms/1000)).$(printf %03d $((ms%1000)))s (log: $APTLOG)"
