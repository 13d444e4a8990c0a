#!/usr/bin/env bash
# keystone-up.sh - run a REAL OpenStack Keystone (Debian 12 python3-keystone 22.x, Zed)
# on 127.0.0.1 with sqlite + fernet tokens, served by uwsgi, in the background.
# Adapted for osconsole's real-OpenStack test tier from a tested recipe; see README.md.
#
# Idempotent: installs missing Debian packages (install.sh), configures under the state
# dir, runs db_sync/fernet_setup/credential_setup/bootstrap once, starts uwsgi if not
# already running, waits until ready, seeds demo data (ks_seed.py), and prints the auth
# URL on stdout (everything else goes to stderr).
#
# Env knobs:
#   OSCONSOLE_REALCLOUD_STATE            state dir (default /tmp/osconsole-realcloud)
#   OSCONSOLE_REALCLOUD_KEYSTONE_PORT    port (default 15000; keep within 15000-15999)
#   OSCONSOLE_REALCLOUD_NOVA_PORT        nova-api port, for the catalog (default 15774)
#   OSCONSOLE_REALCLOUD_ADMIN_PASSWORD   admin password (default secret)
#   OSCONSOLE_REALCLOUD_COMPUTE_URL      RegionOne compute endpoint (default http://127.0.0.1:15774/v2.1)
#   OSCONSOLE_REALCLOUD_COMPUTE_URL_R2   RegionTwo compute endpoint (default
#                                        http://127.0.0.1:15774/v2.1/%(project_id)s: the same
#                                        nova-api, old-style URL with the project id, which
#                                        keystone substitutes per token in the catalog)
#   OSCONSOLE_REALCLOUD_NO_INSTALL=1     never call apt-get (fail if packages are missing)
#   OSCONSOLE_REALCLOUD_WORKERS          uwsgi processes (default 1, see [cache] below)
#   OSCONSOLE_REALCLOUD_THREADS          uwsgi threads per process (default 4)
#   OSCONSOLE_REALCLOUD_DEBUG=true       debug logging
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
mkdir -p "$STATE" && STATE="$(cd "$STATE" && pwd)"   # absolute: the script cd's into it
PORT="${OSCONSOLE_REALCLOUD_KEYSTONE_PORT:-15000}"
NOVA_PORT="${OSCONSOLE_REALCLOUD_NOVA_PORT:-15774}"
HOST=127.0.0.1
ADMIN_PASS="${OSCONSOLE_REALCLOUD_ADMIN_PASSWORD:-secret}"
COMPUTE_URL="${OSCONSOLE_REALCLOUD_COMPUTE_URL:-http://127.0.0.1:${NOVA_PORT}/v2.1}"
COMPUTE_URL_R2="${OSCONSOLE_REALCLOUD_COMPUTE_URL_R2:-http://127.0.0.1:${NOVA_PORT}/v2.1/%(project_id)s}"
# One process: the in-memory token/assignment cache is per process, so more
# processes would serve stale data after changes. Threads are fine.
WORKERS="${OSCONSOLE_REALCLOUD_WORKERS:-1}"
THREADS="${OSCONSOLE_REALCLOUD_THREADS:-4}"
AUTH_URL="http://${HOST}:${PORT}/v3"
# Debian's interpreter: a pyenv/venv python3 earlier on PATH cannot import keystone.
PY=/usr/bin/python3
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true

log() { printf '[keystone-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
t0=$(date +%s%N)
elapsed() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '%d.%03d' $((ms/1000)) $((ms%1000)); }

# ---------------------------------------------------------------- packages
"$HERE/install.sh" keystone

# ---------------------------------------------------------------- already running?
mkdir -p "$STATE"/{etc,log,run}
cd "$STATE"   # keep a stray ./<module>.py in the caller's cwd off sys.path
PIDFILE="$STATE/run/keystone.pid"
if [[ -s "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  if curl -fsS -m 5 "$AUTH_URL" >/dev/null 2>&1; then
    log "already running (pid $(cat "$PIDFILE"))"
    echo "$AUTH_URL"; exit 0
  fi
fi

# ---------------------------------------------------------------- config
CONF="$STATE/etc/keystone.conf"
cat >"$CONF" <<EOF
[DEFAULT]
debug = ${OSCONSOLE_REALCLOUD_DEBUG:-false}
log_dir = $STATE/log
log_file = keystone.log
use_stderr = false

[database]
connection = sqlite:///$STATE/keystone.db

[token]
provider = fernet
expiration = 3600

[fernet_tokens]
key_repository = $STATE/fernet-keys/

[fernet_receipts]
key_repository = $STATE/fernet-keys/

[credential]
key_repository = $STATE/credential-keys/

[auth]
methods = password,token,application_credential,totp,external,mapped

[totp]
# accept the previous 30s window too, to avoid flakiness at window edges
included_previous_windows = 1

[cache]
# without a cache every request costs ~250ms (token validation hits sqlite many
# times); with the in-process memory cache ~15ms. Per process -> keep 1 process.
# memory_pickle, not memory: keystone mutates cached credential dicts in place
# (KeyError 'encrypted_blob' on the 2nd TOTP auth with dogpile.cache.memory).
enabled = true
backend = dogpile.cache.memory_pickle

[oslo_policy]
enforce_scope = false
enforce_new_defaults = false
EOF

# ---------------------------------------------------------------- one-time setup
KM=(keystone-manage --config-file "$CONF")
if [[ ! -f "$STATE/.ks-bootstrapped" ]]; then
  log "db_sync"
  "${KM[@]}" db_sync >>"$STATE/log/manage.log" 2>&1
  # WAL lets readers and the single writer overlap (default journal -> "database is locked")
  "$PY" -P -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$STATE/keystone.db"
  log "fernet_setup / credential_setup"
  mkdir -p "$STATE/fernet-keys" "$STATE/credential-keys"
  u=$(id -un); g=$(id -gn)
  "${KM[@]}" fernet_setup --keystone-user "$u" --keystone-group "$g" >>"$STATE/log/manage.log" 2>&1
  "${KM[@]}" credential_setup --keystone-user "$u" --keystone-group "$g" >>"$STATE/log/manage.log" 2>&1
  log "bootstrap"
  "${KM[@]}" bootstrap \
    --bootstrap-password "$ADMIN_PASS" \
    --bootstrap-username admin \
    --bootstrap-project-name admin \
    --bootstrap-role-name admin \
    --bootstrap-service-name keystone \
    --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$AUTH_URL" \
    --bootstrap-internal-url "$AUTH_URL" \
    --bootstrap-public-url "$AUTH_URL" >>"$STATE/log/manage.log" 2>&1
  touch "$STATE/.ks-bootstrapped"
fi

# ---------------------------------------------------------------- start
if ss -ltn "sport = :$PORT" 2>/dev/null | grep -q LISTEN; then
  log "port $PORT is already in use by something else"; exit 1
fi
log "starting uwsgi on $HOST:$PORT"
# SIGTERM to a uwsgi 2.0 master means "reload" unless --die-on-term is given.
setsid /usr/bin/uwsgi \
  --plugin python3 \
  --http-socket "$HOST:$PORT" \
  --wsgi-file /usr/bin/keystone-wsgi-public --chdir "$STATE" \
  --env "OS_KEYSTONE_CONFIG_DIR=$STATE/etc" \
  --master --processes "$WORKERS" --threads "$THREADS" --enable-threads \
  --die-on-term --need-app --lazy-apps \
  --add-header 'Connection: close' \
  --buffer-size 65535 \
  --pidfile "$PIDFILE" \
  --logto "$STATE/log/uwsgi.log" \
  </dev/null >/dev/null 2>&1 &
echo $! >"$PIDFILE"

# ---------------------------------------------------------------- wait
for i in $(seq 1 120); do
  if curl -fsS -m 3 "$AUTH_URL" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "uwsgi died; see $STATE/log/uwsgi.log"; tail -30 "$STATE/log/uwsgi.log" >&2; exit 1
  fi
  sleep 0.5
done
curl -fsS -m 5 "$AUTH_URL" >/dev/null || { log "not ready after 60s"; exit 1; }
log "keystone ready after $(elapsed)s"

# ---------------------------------------------------------------- seed data (idempotent)
"$PY" "$HERE/ks_seed.py" \
  --auth-url "$AUTH_URL" --admin-password "$ADMIN_PASS" \
  --compute-url "$COMPUTE_URL" --compute-url-r2 "$COMPUTE_URL_R2" \
  --state "$STATE" >&2
log "done in $(elapsed)s; state in $STATE (source $STATE/admin-openrc / demo-openrc)"
echo "$AUTH_URL"
