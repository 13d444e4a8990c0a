#!/bin/bash
# up.sh - the Epoxy tier of osconsole's real-OpenStack tests: REAL OpenStack 2025.1
# "Epoxy" (Keystone 27, Nova 31 = compute API up to 2.100, spice-direct from 2.99,
# Placement 13, Glance 30) from Debian 13 "trixie" packages, inside a trixie chroot at
# $EPOXY_ROOT (default /srv/osconsole-epoxy), on a Debian 12 host, on 127.0.0.1 ports
# 16000-16999 only (the Zed tier, test/realcloud/, owns 15000-15999). Needs root.
# Adapted from a tested recipe (debootstrap chroot, nova.conf for spice-direct, gotchas:
# see README.md); the comments that say why are kept.
#
# Idempotent, every step skipped when already done:
#   1. read the Debian mirror from the HOST's apt sources (no mirror is hard-coded)
#   2. debootstrap --variant=minbase trixie (only when the chroot is missing/incomplete)
#   3. chroot config: apt sources (trixie, -updates, -security), policy-rc.d (exit 101),
#      resolv.conf, hosts, no-recommends
#   4. mount proc, sys, dev, dev/pts, dev/shm (tmpfs) under the chroot
#   5. apt-get install the missing packages inside the chroot (one transaction)
#   6. copy stack-up.sh & co to $EPOXY_ROOT/opt/osconsole-epoxy and run it in the chroot
#      with a clean environment: keystone, rabbitmq, mariadb, placement, glance, nova-api,
#      -conductor, -scheduler, -compute (fake driver), stub neutron, nova-serialproxy,
#      nova-novncproxy; seed; boot web-1. Before that, on the host: the Zed tier's VNC
#      packages and Xvnc :61 on 127.0.0.1:16630 (../realcloud/vnc/xvnc.sh).
#   7. on the host: test/realcloud/ks_seed.py (the Zed tier's keystone seeding, REST only:
#      reader user, RegionTwo, application credential, MFA user with TOTP) and facts.py
#      -> $EPOXY_ROOT$EPOXY_STATE/facts.json, the same shape as the Zed tier's facts.
# stdout: the path of facts.json; progress and phase timings on stderr.
# If any step fails, down.sh runs (stops what did start, undoes the mounts) before exit.
#
# Env: OSCONSOLE_EPOXY_ROOT (/srv/osconsole-epoxy), OSCONSOLE_EPOXY_GLANCE=real|stub,
#      OSCONSOLE_EPOXY_DEBUG=true, OSCONSOLE_REALCLOUD_NO_INSTALL=1 (never run apt),
#      OSCONSOLE_REALCLOUD_KEEP=1 (leave a half-started stack up on failure, to debug).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=config.sh
. "$HERE/config.sh"
ROOT="$EPOXY_ROOT"
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
log() { printf '[up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s%N; }
T_ALL=$(now)
phase_t=$(now)
phase_done() {  # phase_done <name>
  local ms=$(( ($(now) - phase_t) / 1000000 ))
  printf '[up] phase %-10s %d.%03ds\n' "$1" $((ms/1000)) $((ms%1000)) >&2
  phase_t=$(now)
}
[[ $(id -u) == 0 ]] || die "needs root (debootstrap, chroot, mount)"
[[ "$ROOT" == /* && "$ROOT" != / ]] || die "EPOXY_ROOT must be an absolute path other than /"
APTLOG_HOST="${TMPDIR:-/tmp}/osconsole-epoxy-apt.log"

# a failure half-way (debootstrap, apt, a service that died...) must not leave mounts
# or processes behind: down.sh stops what did start, by saved PID, and unmounts
on_exit() {
  local rc=$?
  ((rc == 0)) && return
  if [[ ${OSCONSOLE_REALCLOUD_KEEP:-0} != 0 ]]; then
    log "failed (exit $rc); OSCONSOLE_REALCLOUD_KEEP is set: left as is (stop with $HERE/down.sh)"
  else
    log "failed (exit $rc): running down.sh"
    bash "$HERE/down.sh" || log "down.sh failed too: see the lines above"
  fi
}
trap on_exit EXIT

# ------------------------------------------------------------------ 1. mirror
# Prints "<suite> <uri>" for every deb source of the host (deb822 *.sources and
# one-line *.list / sources.list).
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush(  i, j, nu, ns, u, s) {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/) {
          nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) if (u[i] != "" && s[j] != "") print s[j], u[i]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { sub(/^[^:]*:[ \t]*/, ""); types = $0; next }
      tolower($1) == "uris:"    { sub(/^[^:]*:[ \t]*/, ""); uris = $0; next }
      tolower($1) == "suites:"  { sub(/^[^:]*:[ \t]*/, ""); suites = $0; next }
      tolower($1) == "enabled:" { sub(/^[^:]*:[ \t]*/, ""); enabled = tolower($0); next }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # deb [opts] uri suite comp...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $3, $2 }'
  done
}
HOST_CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $HOST_CODENAME ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
SOURCES=$(host_sources)
ARCHIVE=$(awk -v s="$HOST_CODENAME" '$1 == s { print $2; exit }' <<<"$SOURCES")
SECURITY=$(awk -v s="$HOST_CODENAME-security" '$1 == s { print $2; exit }' <<<"$SOURCES")
[[ -n $ARCHIVE ]] || die "no deb source for suite $HOST_CODENAME in the host's apt sources"
ARCHIVE=${ARCHIVE%/}; SECURITY=${SECURITY%/}
log "mirror (from the host's apt sources): archive=$ARCHIVE security=${SECURITY:-none}"

# ------------------------------------------------------------------ mounts
MOUNTS=(proc sys dev dev/pts dev/shm)
is_mounted() { mountpoint -q "$ROOT/$1" 2>/dev/null; }
mount_all() {
  local m
  for m in "${MOUNTS[@]}"; do
    is_mounted "$m" && continue
    mkdir -p "$ROOT/$m"
    case $m in
      proc)    mount -t proc proc "$ROOT/proc" ;;
      sys)     mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys" ;;
      dev)     mount --bind /dev "$ROOT/dev" ;;
      dev/pts) mount --bind /dev/pts "$ROOT/dev/pts" ;;
      dev/shm) mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m shm "$ROOT/dev/shm" ;;
    esac
  done
}
umount_all() {  # reverse order; never lazy: a busy mount means one of our processes runs
  local i m
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m=${MOUNTS[i]}
    while is_mounted "$m"; do umount "$ROOT/$m" || return 1; done
  done
  return 0
}

# ------------------------------------------------------------------ 2. debootstrap
if [[ ! -f "$ROOT/.epoxy-debootstrap-done" ]]; then
  if [[ -e "$ROOT" ]]; then
    # a half-made chroot from an interrupted run: unmount, then remove it (never across
    # a mount point: --one-file-system)
    log "incomplete chroot at $ROOT: removing it"
    umount_all
    if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then die "something is still mounted under $ROOT"; fi
    rm -rf --one-file-system "$ROOT"
  fi
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    { apt-get -o DPkg::Lock::Timeout=600 update -qq
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap
    } >>"$APTLOG_HOST" 2>&1 || { tail -20 "$APTLOG_HOST" >&2; die "apt-get install debootstrap failed"; }
  fi
  log "debootstrap --variant=minbase $EPOXY_SUITE $ROOT (log: $APTLOG_HOST)"
  mkdir -p "$(dirname "$ROOT")"
  inc=(); [[ $ARCHIVE == https:* ]] && inc=(--include=ca-certificates)
  debootstrap --variant=minbase "${inc[@]}" "$EPOXY_SUITE" "$ROOT" "$ARCHIVE" >>"$APTLOG_HOST" 2>&1 \
    || { tail -20 "$APTLOG_HOST" >&2; die "debootstrap failed"; }
  touch "$ROOT/.epoxy-debootstrap-done"
  phase_done debootstrap
fi

# ------------------------------------------------------------------ 3. chroot config
write_if_changed() {  # write_if_changed <file> (content on stdin); returns 0 if changed
  local tmp; tmp=$(mktemp)
  cat >"$tmp"
  if [[ -f $1 ]] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  mkdir -p "$(dirname "$1")"; mv "$tmp" "$1"; chmod 644 "$1"; return 0
}
SOURCES_CHANGED=0
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$ARCHIVE" "$EPOXY_SUITE" "$EPOXY_SUITE"
  [[ -n $SECURITY ]] && printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$SECURITY" "$EPOXY_SUITE"
} | write_if_changed "$ROOT/etc/apt/sources.list.d/debian.sources" && SOURCES_CHANGED=1
rm -f "$ROOT/etc/apt/sources.list"   # debootstrap's one-liner (trixie main only)
# package postinsts must start nothing (rabbitmq-server would start a system rabbit on
# 0.0.0.0:5672 and epmd on 4369)
printf '#!/bin/sh\nexit 101\n' | write_if_changed "$ROOT/usr/sbin/policy-rc.d" || true
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAcquire::Languages "none";\n' \
  | write_if_changed "$ROOT/etc/apt/apt.conf.d/90osconsole-epoxy" || true
cat /etc/resolv.conf | write_if_changed "$ROOT/etc/resolv.conf" || true
# rabbitmq's node name is epoxy@localhost: localhost must resolve inside the chroot
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' \
  | write_if_changed "$ROOT/etc/hosts" || true

# ------------------------------------------------------------------ 4. mounts
mount_all

# ------------------------------------------------------------------ 5. packages
IN_CHROOT=(chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
           LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive)
missing=()
for p in "${EPOXY_PACKAGES[@]}"; do
  "${IN_CHROOT[@]}" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ ${OSCONSOLE_REALCLOUD_NO_INSTALL:-0} == 1 ]] && die "missing in the chroot: ${missing[*]} (OSCONSOLE_REALCLOUD_NO_INSTALL=1)"
  log "apt-get install in the chroot: ${missing[*]} (log: $APTLOG_HOST)"
  "${IN_CHROOT[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >>"$APTLOG_HOST" 2>&1 \
    || { tail -20 "$APTLOG_HOST" >&2; die "apt-get update failed in the chroot"; }
  # upgrade first: debootstrap took the base system from trixie only, not -updates/-security
  "${IN_CHROOT[@]}" apt-get -o DPkg::Lock::Timeout=600 upgrade -y -q >>"$APTLOG_HOST" 2>&1 \
    || { tail -20 "$APTLOG_HOST" >&2; die "apt-get upgrade failed in the chroot"; }
  "${IN_CHROOT[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" >>"$APTLOG_HOST" 2>&1 \
    || { tail -20 "$APTLOG_HOST" >&2; die "apt-get install failed in the chroot"; }
  "${IN_CHROOT[@]}" apt-get clean
  phase_done apt
elif ((SOURCES_CHANGED)); then
  log "apt sources changed; apt-get update in the chroot"
  "${IN_CHROOT[@]}" apt-get update -q >>"$APTLOG_HOST" 2>&1 || true
fi

# the VNC server and the clients the tests run live on the HOST (Debian 12 packages; the
# chroot shares its loopback): the Zed tier's install list
bash "$HERE/../realcloud/install.sh" vnc

# ------------------------------------------------------------------ 6. the stack
install -d -m 755 "$ROOT$EPOXY_INNER"
# the stub neutron is the Zed tier's (the ports are passed on its command line)
install -m 755 "$HERE/stack-up.sh" "$HERE/seed.py" "$HERE/../realcloud/fake_glance_neutron.py" "$ROOT$EPOXY_INNER/"
install -m 644 "$HERE/config.sh" "$HERE/../realcloud/mariadb.sh" "$ROOT$EPOXY_INNER/"
# the serial guest and the FakeDriver subclass whose serial console it is (shared with Zed)
install -d -m 755 "$ROOT$EPOXY_INNER/serial"
install -m 644 "$HERE/../realcloud/serial/osconsole_serial.py" "$HERE/../realcloud/serial/serial_guest.py" "$ROOT$EPOXY_INNER/serial/"
# noVNC's pages for nova-novncproxy's --web (the host's novnc, 1.2 MB: not worth nodejs & co
# in the chroot). Copied over in place, never replaced: a running proxy has chdir'ed into it
# (websockify/websockifyserver.py), and a deleted cwd fails every request with ENOENT
mkdir -p "$ROOT$EPOXY_INNER/novnc" && cp -a /usr/share/novnc/. "$ROOT$EPOXY_INNER/novnc/"
# the server's VNC console: Xvnc on the host, its PID and log in the state dir
bash "$HERE/../realcloud/vnc/xvnc.sh" start "$ROOT$EPOXY_STATE" "$XVNC_DISPLAY" "$XVNC_PORT" 1024x768 '#4169e1' "$EPOXY_SERVER_NAME"
phase_t=$(now)
out=$("${IN_CHROOT[@]}" EPOXY_STATE="$EPOXY_STATE" EPOXY_GLANCE="$EPOXY_GLANCE" \
      EPOXY_DEBUG="$EPOXY_DEBUG" EPOXY_ADMIN_PASSWORD="$EPOXY_ADMIN_PASSWORD" \
      EPOXY_SERVER_NAME="$EPOXY_SERVER_NAME" "$EPOXY_INNER/stack-up.sh")
phase_done stack
read -r AUTH_URL COMPUTE_URL <<<"$out"

# ------------------------------------------------------------------ 7. tier seeding
# The Zed tier's keystone seeding (REST only, idempotent) on top of seed.py's: the users
# and ids the tests expect (reader, mfa + TOTP, application credential, RegionTwo with
# an old-style %(project_id)s compute URL) and keystone.json with them. Run with the
# HOST's /usr/bin/python3 (-P: the cwd is not on sys.path); it reaches keystone on
# 127.0.0.1 like any client.
HOST_STATE="$ROOT$EPOXY_STATE"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true
/usr/bin/python3 -P "$HERE/../realcloud/ks_seed.py" --auth-url "$AUTH_URL" \
  --admin-password "$EPOXY_ADMIN_PASSWORD" --compute-url "$COMPUTE_URL" \
  --compute-url-r2 "${COMPUTE_URL%/}/%(project_id)s" --state "$HOST_STATE" >&2
/usr/bin/python3 -P "$HERE/facts.py" "$HOST_STATE" >/dev/null
phase_done seed
ms=$(( ($(now) - T_ALL) / 1000000 ))
log "all up in $((ms/1000)).$(printf %03d $((ms%1000)))s; state: $HOST_STATE (facts.json, clouds.yaml, *-openrc)"
echo "$HOST_STATE/facts.json"
