#!/usr/bin/env bash
# nova-up.sh - run REAL OpenStack Nova 26.x (Zed, Debian 12 python3-nova) on 127.0.0.1:
#   rabbitmq-server (Debian)        127.0.0.1:15680 (dist 15681, epmd 15682)
#   mariadbd (Debian)               127.0.0.1:15306 (nova_api, nova_cell0, nova_cell1, placement)
#   placement-api (python3-placement, uwsgi) 127.0.0.1:15778
#   nova-api (eventlet, osapi_compute)       127.0.0.1:15774
#   nova-conductor, nova-scheduler
#   nova-compute (compute_driver=osconsole_serial.SerialFakeDriver: nova's FakeDriver whose
#                 serial and VNC consoles are the guest and the Xvnc below)
#   nova-serialproxy (nova's real websocket proxy)  127.0.0.1:15610
#   serial "guest" (serial/serial_guest.py: QEMU chardev + getty + shell) 127.0.0.1:15620
#   nova-novncproxy (nova's real noVNC proxy, RFB security proxy) 127.0.0.1:15608
#   Xvnc :60 (TigerVNC, vnc/xvnc.sh; security type None, root window painted) 127.0.0.1:15630
#   glance-api (python3-glance, sqlite + file store) 127.0.0.1:15292 (OSCONSOLE_REALCLOUD_GLANCE=stub: fake)
#   stub neutron 127.0.0.1:15696 (fake_glance_neutron.py; ports/security groups always empty)
# MariaDB for nova_api / cell0 / cell1 / placement (see DB_PORT below for why not sqlite).
# Keystone must be up (keystone-up.sh is called if it is not). Boots server 'demo-vm' for user demo (networks none) and
# waits for ACTIVE. Prints the compute URL on stdout.
# Adapted for osconsole's real-OpenStack test tier from a tested recipe; see README.md.
#
# Env: OSCONSOLE_REALCLOUD_STATE (default /tmp/osconsole-realcloud), OSCONSOLE_REALCLOUD_NO_INSTALL=1,
#      OSCONSOLE_REALCLOUD_NOVA_PORT (15774), OSCONSOLE_REALCLOUD_NO_BOOT=1 (skip booting demo-vm),
#      OSCONSOLE_REALCLOUD_GLANCE=real|stub (default real), OSCONSOLE_REALCLOUD_DEBUG=true
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${OSCONSOLE_REALCLOUD_STATE:-/tmp/osconsole-realcloud}"
mkdir -p "$STATE" && STATE="$(cd "$STATE" && pwd)"   # absolute: the script cd's into it
NS="$STATE/nova"
PY=/usr/bin/python3
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true
KS_PORT="${OSCONSOLE_REALCLOUD_KEYSTONE_PORT:-15000}"
AUTH_URL="http://127.0.0.1:${KS_PORT}/v3"
ADMIN_PASS="${OSCONSOLE_REALCLOUD_ADMIN_PASSWORD:-secret}"
NOVA_PORT="${OSCONSOLE_REALCLOUD_NOVA_PORT:-15774}"
PLACEMENT_PORT=15778
GLANCE_PORT=15292
NEUTRON_PORT=15696
RABBIT_PORT=15680
# MariaDB, not sqlite, for nova and placement (as the Epoxy tier and real deployments):
# oslo.db emits its own deferred BEGIN on sqlite, so a transaction that reads before it
# writes fails at once with "database is locked" when another process (conductor, api,
# scheduler, the 5 s heartbeats) writes the same file; CI saw console creation 500 on it.
DB_PORT=15306
MYSOCK="$NS/mysql/mysqld.sock"
# shellcheck source=mariadb.sh
. "$HERE/mariadb.sh"   # dburl, sql, mariadb_up
SERIAL_PROXY_PORT=15610   # nova-serialproxy, = [serial_console] base_url
SERIAL_GUEST_PORT=15620   # serial_guest.py, = [serial_console] port_range (the driver's answer)
NOVNC_PROXY_PORT=15608    # nova-novncproxy, = [vnc] novncproxy_base_url's port
XVNC_PORT=15630           # Xvnc's RFB port, = [osconsole] vnc_port (the driver's answer)
XVNC_DISPLAY=60           # its X display (/tmp/.X60-lock); the Epoxy tier's is :61
SERVER_NAME=demo-vm       # nova_seed.py boots it; the guest's hostname
COMPUTE_URL="http://127.0.0.1:${NOVA_PORT}/v2.1"
# real: Debian python3-glance (sqlite + file store); stub: fake_glance_neutron.py serves it
GLANCE_MODE="${OSCONSOLE_REALCLOUD_GLANCE:-real}"
TRANSPORT="rabbit://guest:guest@127.0.0.1:${RABBIT_PORT}/"
HOSTNAME_NOVA=osconsole-realcloud-compute

log() { printf '[nova-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
t0=$(date +%s%N)
elapsed() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '%d.%03d' $((ms/1000)) $((ms%1000)); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [[ -s "$NS/run/$1.pid" ]] && kill -0 "$(cat "$NS/run/$1.pid")" 2>/dev/null; }

# ---------------------------------------------------------------- packages
"$HERE/install.sh" nova

# ---------------------------------------------------------------- keystone
if ! curl -fsS -m 3 "$AUTH_URL" >/dev/null 2>&1; then
  log "keystone not up; running keystone-up.sh"
  "$HERE/keystone-up.sh" >/dev/null
fi
mkdir -p "$NS"/{log,run,state,instances,lock,etc,mysql} "$NS/rabbitmq"/{mnesia,log,home}
cd "$NS"

if alive mariadb && alive nova-compute && alive nova-serialproxy && alive serial-guest && alive nova-novncproxy && alive xvnc \
   && port_open "$NOVA_PORT" && [[ -s "$NS/server.json" || "${OSCONSOLE_REALCLOUD_NO_BOOT:-0}" == 1 ]]; then
  log "already running"; echo "$COMPUTE_URL"; exit 0
fi

# ---------------------------------------------------------------- config files
cat >"$NS/etc/nova.conf" <<EOF
[DEFAULT]
host = $HOSTNAME_NOVA
my_ip = 127.0.0.1
debug = ${OSCONSOLE_REALCLOUD_DEBUG:-false}
use_stderr = false
state_path = $NS/state
instances_path = $NS/instances
transport_url = $TRANSPORT
# nova's FakeDriver whose serial console is serial/serial_guest.py (serial/osconsole_serial.py)
compute_driver = osconsole_serial.SerialFakeDriver
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
# no real neutron: never refresh network info caches in the background
heal_instance_info_cache_interval = -1
# keep the fake driver's view and the DB from fighting
sync_power_state_interval = -1
# fast "compute is up" after start
report_interval = 5
service_down_time = 30

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = $NS/etc/api-paste.ini

[api_database]
connection = $(dburl nova nova_api)

[database]
connection = $(dburl nova nova_cell1)

[oslo_concurrency]
lock_path = $NS/lock

[conductor]
workers = 1

[scheduler]
workers = 1
discover_hosts_in_cells_interval = 5

[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = nova
password = novapass
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true

[service_user]
send_service_user_token = false

[placement]
auth_type = password
auth_url = $AUTH_URL
username = nova
password = novapass
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
valid_interfaces = public

[glance]
region_name = RegionOne
valid_interfaces = public

[neutron]
auth_type = password
auth_url = $AUTH_URL
username = nova
password = novapass
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
valid_interfaces = public

[cinder]
os_region_name = RegionOne

[vnc]
# nova's real noVNC proxy listens on the base URL's port, in front of the tier's Xvnc: the
# driver answers server_proxyclient_address and [osconsole] vnc_port. auth_schemes stays
# "none" (Xvnc runs with -SecurityTypes None)
enabled = true
server_listen = 127.0.0.1
server_proxyclient_address = 127.0.0.1
novncproxy_base_url = http://127.0.0.1:$NOVNC_PROXY_PORT/vnc_auto.html
novncproxy_host = 127.0.0.1
novncproxy_port = $NOVNC_PROXY_PORT

[osconsole]
# serial/osconsole_serial.py: the VNC port its get_vnc_console answers
vnc_port = $XVNC_PORT

[spice]
enabled = true
html5proxy_base_url = http://127.0.0.1:15609/spice_auto.html

[serial_console]
# nova's real serial proxy listens on base_url's port, in front of serial_guest.py:
# the driver answers proxyclient_address and the first port of port_range, like
# libvirt's TCP chardevs (nova/conf/serial_console.py)
enabled = true
base_url = ws://127.0.0.1:$SERIAL_PROXY_PORT/
serialproxy_host = 127.0.0.1
serialproxy_port = $SERIAL_PROXY_PORT
proxyclient_address = 127.0.0.1
port_range = $SERIAL_GUEST_PORT:$SERIAL_GUEST_PORT

[mks]
enabled = true
mksproxy_base_url = http://127.0.0.1:15611/

[rdp]
enabled = true
html5_proxy_base_url = http://127.0.0.1:15612/

[oslo_policy]
enforce_scope = false
enforce_new_defaults = false

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
EOF

cat >"$NS/etc/api-paste.ini" <<'EOF'
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2: oscomputeversion_legacy_v2
/v2.1: oscomputeversion_v2
/v2/+: openstack_compute_api_v21_legacy_v2_compatible
/v2.1/+: openstack_compute_api_v21

[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext osapi_compute_app_v21
noauth2 = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler noauth2 osapi_compute_app_v21

[composite:openstack_compute_api_v21_legacy_v2_compatible]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext legacy_v2_compatible osapi_compute_app_v21
noauth2 = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler noauth2 legacy_v2_compatible osapi_compute_app_v21

[filter:request_log]
paste.filter_factory = nova.api.openstack.requestlog:RequestLog.factory
[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory
[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory
[filter:noauth2]
paste.filter_factory = nova.api.openstack.auth:NoAuthMiddleware.factory
[filter:osprofiler]
paste.filter_factory = nova.profiler:WsgiMiddleware.factory
[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory
[filter:legacy_v2_compatible]
paste.filter_factory = nova.api.openstack:LegacyV2CompatibleWrapper.factory
[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory
[pipeline:oscomputeversions]
pipeline = cors faultwrap request_log http_proxy_to_wsgi oscomputeversionapp
[pipeline:oscomputeversion_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi oscomputeversionapp_v2
[pipeline:oscomputeversion_legacy_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi legacy_v2_compatible oscomputeversionapp_v2
[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory
[app:oscomputeversionapp_v2]
paste.app_factory = nova.api.openstack.compute.versions:VersionsV2.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = nova
[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
EOF

cat >"$NS/etc/placement.conf" <<EOF
[DEFAULT]
debug = false
log_dir = $NS/log
log_file = placement.log
use_stderr = false
[placement_database]
connection = $(dburl placement placement)
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = placement
password = placementpass
project_name = service
user_domain_name = Default
project_domain_name = Default
[oslo_policy]
enforce_scope = false
enforce_new_defaults = false
EOF
cat >"$NS/etc/placement-wsgi.py" <<'EOF'
from placement.wsgi import init_application
application = init_application()
EOF

# rabbitmq: everything on loopback and in 15680-15689
cat >"$NS/rabbitmq/env.sh" <<EOF
export HOME=$NS/rabbitmq/home
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$RABBIT_PORT
export RABBITMQ_DIST_PORT=$((RABBIT_PORT+1))
export ERL_EPMD_PORT=$((RABBIT_PORT+2))
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CONFIG_FILE=$NS/rabbitmq/rabbitmq.conf
export RABBITMQ_MNESIA_BASE=$NS/rabbitmq/mnesia
export RABBITMQ_LOG_BASE=$NS/rabbitmq/log
export RABBITMQ_PID_FILE=$NS/rabbitmq/rabbit.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$NS/rabbitmq/enabled_plugins
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_DIST_PORT_MIN=$((RABBIT_PORT+3)) RABBITMQ_CTL_DIST_PORT_MAX=$((RABBIT_PORT+9))
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
echo "listeners.tcp.default = 127.0.0.1:$RABBIT_PORT" >"$NS/rabbitmq/rabbitmq.conf"
echo '[].' >"$NS/rabbitmq/enabled_plugins"

if [[ $GLANCE_MODE == real ]]; then
mkdir -p "$NS/glance"/{images,staging,tasks}
cat >"$NS/etc/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
log_file = $NS/log/glance-api.log
use_stderr = false
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $NS/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $NS/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $NS/glance/tasks/
[database]
connection = sqlite:///$NS/glance.db
[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = glance
password = glancepass
project_name = service
user_domain_name = Default
project_domain_name = Default
[paste_deploy]
flavor = keystone
config_file = $NS/etc/glance-api-paste.ini
[oslo_policy]
enforce_scope = false
enforce_new_defaults = false
EOF
# python3-glance ships no paste ini (glance-api/glance-common do): the upstream
# pipeline glance-api-keystone, trimmed to what it uses
cat >"$NS/etc/glance-api-paste.ini" <<'EOF'
[pipeline:glance-api-keystone]
pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler authtoken context  rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory
backends = disable_by_file
disable_by_file_path = /nonexistent/glance/healthcheck_disable
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
EOF
fi

# ---------------------------------------------------------------- helpers
NCONF=(--config-file "$NS/etc/nova.conf")
# python3-nova ships no /usr/bin/nova-* scripts (nova-common/nova-api/... do, and pull
# dbconfig, init scripts, qemu for nova-compute): call nova.cmd.<x>.main() directly.
novacode() { echo "import sys; sys.argv[0]='nova-$1'; from nova.cmd.$1 import main; sys.exit(main())"; }
# nova-compute finds compute_driver under nova.virt only (nova/virt/driver.py
# load_compute_driver imports 'nova.virt.<compute_driver>'): serial/ joins nova.virt's path
computecode() { echo "import nova.virt; nova.virt.__path__.append('$HERE/serial'); $(novacode compute)"; }
# -P: do not put the cwd on sys.path (a stray /tmp/routes.py once shadowed python3-routes)
nova_py() { local mod=$1; shift; "$PY" -P -c "$(novacode "$mod")" "$@"; }
start_bg() {  # start_bg <name> <cmd...>
  local name=$1; shift
  if alive "$name"; then return 0; fi
  setsid "$@" </dev/null >>"$NS/log/$name.out" 2>&1 &
  echo $! >"$NS/run/$name.pid"
}
wait_port() {  # wait_port <name> <port> <seconds>
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$2" && return 0
    alive "$1" || { log "$1 died:"; tail -25 "$NS/log/$1.out" >&2; exit 1; }
    sleep 0.25
  done
  log "$1 not listening on $2 after $3s"; exit 1
}

# A heartbeat (services.updated_at/last_seen_up) newer than our start means the service's
# RPC server is consuming: nova's Service.start() starts it before joining the
# servicegroup. On a restart, host/service rows already exist, so only this is reliable.
wait_heartbeat() {  # wait_heartbeat <binary>
  local i
  for ((i = 0; i < 180; i++)); do
    [[ $(sql nova_cell1 -e "select count(*) from services where \`binary\`='$1'
          and host='$HOSTNAME_NOVA' and deleted=0
          and coalesce(last_seen_up, updated_at) >= '$START_UTC'" 2>/dev/null) =~ ^[1-9] ]] && return 0
    alive "$1" || { log "$1 died"; tail -30 "$NS/log/$1.log" >&2; exit 1; }
    sleep 0.5
  done
  log "$1 sent no heartbeat in 90s"; exit 1
}

# ---------------------------------------------------------------- rabbitmq
if ! port_open "$RABBIT_PORT"; then
  log "starting rabbitmq on 127.0.0.1:$RABBIT_PORT"
  ( . "$NS/rabbitmq/env.sh"; start_bg rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server )
  wait_port rabbitmq "$RABBIT_PORT" 60
fi

# ---------------------------------------------------------------- mariadb
# a state made before nova moved to MariaDB has its sqlite DBs synced: sync again
[[ -d "$NS/mysql/data/mysql" ]] || rm -f "$NS/.db-done"
mariadb_up "$NS/mysql" "$NS/log/mariadb.log" "$NS/log/manage.log"

# ---------------------------------------------------------------- stubs
start_bg stubs "$PY" "$HERE/fake_glance_neutron.py" \
  --glance-port "$([[ $GLANCE_MODE == real ]] && echo 0 || echo $GLANCE_PORT)" --neutron-port $NEUTRON_PORT
wait_port stubs $NEUTRON_PORT 20

# ---------------------------------------------------------------- keystone entries
"$PY" "$HERE/nova_seed.py" keystone --auth-url "$AUTH_URL" --admin-password "$ADMIN_PASS" \
  --state "$STATE" --placement-url "http://127.0.0.1:$PLACEMENT_PORT" \
  --glance-url "http://127.0.0.1:$GLANCE_PORT" --neutron-url "http://127.0.0.1:$NEUTRON_PORT"

# ---------------------------------------------------------------- databases (once)
wal() { "$PY" -P -c 'import sqlite3,sys; [sqlite3.connect(f).execute("PRAGMA journal_mode=WAL") for f in sys.argv[1:]]' "$@"; }
if [[ ! -f "$NS/.db-done" ]]; then
  log "placement db sync"
  "$PY" -P -c "import sys; sys.argv[0]='placement-manage'; from placement.cmd.manage import main; sys.exit(main())" \
    --config-file "$NS/etc/placement.conf" db sync >>"$NS/log/manage.log" 2>&1
  log "nova api_db sync / map_cell0 / create_cell cell1 / db sync"
  nova_py manage "${NCONF[@]}" api_db sync >>"$NS/log/manage.log" 2>&1
  nova_py manage "${NCONF[@]}" cell_v2 map_cell0 --database_connection "$(dburl nova nova_cell0)" >>"$NS/log/manage.log" 2>&1
  nova_py manage "${NCONF[@]}" cell_v2 create_cell --name cell1 \
    --database_connection "$(dburl nova nova_cell1)" --transport-url "$TRANSPORT" >>"$NS/log/manage.log" 2>&1 || true
  nova_py manage "${NCONF[@]}" db sync >>"$NS/log/manage.log" 2>&1
  touch "$NS/.db-done"
fi
if [[ $GLANCE_MODE == real && ! -f "$NS/.glance-db-done" ]]; then
  log "glance db_sync"
  "$PY" -P -c "import sys; sys.argv[0]='glance-manage'; from glance.cmd.manage import main; sys.exit(main())" \
    --config-file "$NS/etc/glance-api.conf" db_sync >>"$NS/log/manage.log" 2>&1
  wal "$NS/glance.db"
  touch "$NS/.glance-db-done"
fi

# ---------------------------------------------------------------- services
if ! port_open $PLACEMENT_PORT; then
  log "starting placement-api (uwsgi) on 127.0.0.1:$PLACEMENT_PORT"
  start_bg placement /usr/bin/uwsgi --plugin python3 --http-socket 127.0.0.1:$PLACEMENT_PORT \
    --wsgi-file "$NS/etc/placement-wsgi.py" --chdir "$NS" --env "OS_PLACEMENT_CONFIG_DIR=$NS/etc" \
    --master --processes 1 --threads 4 --enable-threads --die-on-term --need-app --lazy-apps \
    --add-header 'Connection: close' --buffer-size 65535
fi
if [[ $GLANCE_MODE == real ]] && ! port_open $GLANCE_PORT; then
  log "starting glance-api on 127.0.0.1:$GLANCE_PORT"
  start_bg glance-api "$PY" -P -c "import sys; sys.argv[0]='glance-api'; from glance.cmd.api import main; sys.exit(main())" \
    --config-file "$NS/etc/glance-api.conf"
fi
log "starting nova-conductor, nova-scheduler, nova-compute (fake driver), nova-api"
START_UTC=$(date -u '+%Y-%m-%d %H:%M:%S')
start_bg nova-conductor "$PY" -P -c "$(novacode conductor)" "${NCONF[@]}" --log-file "$NS/log/nova-conductor.log"
start_bg nova-scheduler "$PY" -P -c "$(novacode scheduler)" "${NCONF[@]}" --log-file "$NS/log/nova-scheduler.log"
start_bg nova-api       "$PY" -P -c "$(novacode api)" "${NCONF[@]}" --log-file "$NS/log/nova-api.log"
# the serial guest, and nova's real serial proxy in front of it (it checks a token in the
# DB and with an RPC to nova-compute, validate_console_port, per connection)
start_bg serial-guest "$PY" -P "$HERE/serial/serial_guest.py" --port $SERIAL_GUEST_PORT --hostname "$SERVER_NAME"
start_bg nova-serialproxy "$PY" -P -c "$(novacode serialproxy)" "${NCONF[@]}" --log-file "$NS/log/nova-serialproxy.log"
# the VNC "guest" (Xvnc, ~0.2 s) and nova's real noVNC proxy in front of it (the same
# per-connection checks, then nova's RFB security proxy); --web: novnc's pages
# (/usr/share/novnc, Debian's novnc)
bash "$HERE/vnc/xvnc.sh" start "$NS" $XVNC_DISPLAY $XVNC_PORT 800x600 '#2e8b57' "$SERVER_NAME"
start_bg nova-novncproxy "$PY" -P -c "$(novacode novncproxy)" "${NCONF[@]}" --log-file "$NS/log/nova-novncproxy.log" \
  --web /usr/share/novnc
# nova-compute pings the conductor at start and waits 10s per lost ping, so start it
# only once the conductor heartbeats (its RPC server is consuming by then)
wait_heartbeat nova-conductor
start_bg nova-compute   "$PY" -P -c "$(computecode)" "${NCONF[@]}" --log-file "$NS/log/nova-compute.log"
wait_port placement $PLACEMENT_PORT 60
[[ $GLANCE_MODE == real ]] && wait_port glance-api $GLANCE_PORT 60
wait_port nova-api "$NOVA_PORT" 90
log "nova-api listening after $(elapsed)s"

wait_heartbeat nova-compute
log "nova-compute reporting after $(elapsed)s"
# map the compute host into cell1 (the scheduler also does this every 5s)
for i in $(seq 1 60); do
  [[ $(sql nova_api -e 'select count(*) from host_mappings' 2>/dev/null) =~ ^[1-9] ]] && break
  nova_py manage "${NCONF[@]}" cell_v2 discover_hosts >/dev/null 2>&1 || true
  sleep 1
done
log "compute host mapped after $(elapsed)s"

# nova's real serial proxy started above: in front of the guest by now
wait_port serial-guest $SERIAL_GUEST_PORT 20
wait_port nova-serialproxy $SERIAL_PROXY_PORT 60
log "nova-serialproxy listening after $(elapsed)s"
wait_port nova-novncproxy $NOVNC_PROXY_PORT 60
log "nova-novncproxy listening after $(elapsed)s"

if [[ "${OSCONSOLE_REALCLOUD_NO_BOOT:-0}" != 1 ]]; then
  "$PY" "$HERE/nova_seed.py" boot --auth-url "$AUTH_URL" --admin-password "$ADMIN_PASS" \
    --state "$STATE" --compute-url "$COMPUTE_URL" --glance-url "http://127.0.0.1:$GLANCE_PORT"
fi
log "done in $(elapsed)s"
echo "$COMPUTE_URL"
