#!/bin/bash
# stack-up.sh - runs INSIDE the trixie chroot (up.sh copies it to /opt/osconsole-epoxy and
# calls it with `chroot`). Starts, on 127.0.0.1 only:
#   keystone 27 (uwsgi)             :16000   sqlite + fernet, memory_pickle cache
#   rabbitmq-server 4.0             :16680   (dist 16681, epmd 16682, ctl 16683-16689)
#   mariadbd 11.8                   :16306   nova_api, nova_cell0, nova_cell1, placement
#   stub neutron                    :16696   (fake_glance_neutron.py, always-empty ports)
#   placement-api 13 (uwsgi)        :16778
#   glance-api 30 (eventlet)        :16292   sqlite + file store (OSCONSOLE_EPOXY_GLANCE=stub)
#   nova-api 31 (eventlet)          :16774   + nova-conductor, nova-scheduler,
#   nova-compute (compute_driver = osconsole_serial.SerialFakeDriverWithoutFakeNodes: the fake
#                 driver whose serial console is the guest below)
#   nova-serialproxy 31 (nova's real websocket proxy) :16610
#   serial guest (serial/serial_guest.py)  :16620
#   nova-novncproxy 31 (nova's real noVNC proxy)  :16608, in front of the host's Xvnc :16630
#                 (up.sh starts that one, outside the chroot)
# then seeds keystone (project demo, users demo/nova/placement/glance, catalog) and boots
# server web-1 for demo (networks none) and waits for ACTIVE.
# Idempotent: what already runs (by saved PID + port) is left alone; one-time steps
# (db syncs, bootstrap) are guarded by marker files in the state dir.
# stdout: nothing but the final "auth_url compute_url"; progress on stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=config.sh
. "$HERE/config.sh"
STATE="$EPOXY_STATE"
PY=/usr/bin/python3
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV || true
AUTH_URL="http://127.0.0.1:$KS_PORT/v3"
COMPUTE_URL="http://127.0.0.1:$NOVA_PORT/v2.1"
TRANSPORT="rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/"
GLANCE_MODE="${EPOXY_GLANCE:-real}"
HOSTNAME_NOVA=epoxy-compute
# MariaDB, not sqlite, for nova and placement: oslo.db emits its own (deferred) BEGIN on
# sqlite, so a read-then-write transaction that overlaps another writer fails at once
# with "database is locked" (SQLITE_BUSY_SNAPSHOT, no busy wait); with conductor, api
# and scheduler writing nova_cell1 that left web-1 stuck in BUILD on a fresh run.
MYSOCK="$STATE/mysql/mysqld.sock"
# shellcheck source=../realcloud/mariadb.sh
. "$HERE/mariadb.sh"   # dburl, sql, mariadb_up (test/realcloud/mariadb.sh, copied in by up.sh)

log() { printf '[stack-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
t0=$(date +%s%N)
elapsed() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '%d.%03d' $((ms/1000)) $((ms%1000)); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [[ -s "$STATE/run/$1.pid" ]] && kill -0 "$(cat "$STATE/run/$1.pid")" 2>/dev/null; }

mkdir -p "$STATE"/{etc,log,run,fernet-keys,credential-keys,mysql} "$STATE/nova"/{state,instances,lock} \
         "$STATE/rabbitmq"/{mnesia,log,home} "$STATE/glance"/{images,staging,tasks}
chmod 700 "$STATE"
cd "$STATE"   # keep a stray ./<module>.py in the caller's cwd off sys.path (also: python3 -P)

if alive keystone && alive nova-compute && alive nova-serialproxy && alive serial-guest && alive nova-novncproxy \
   && port_open "$KS_PORT" && port_open "$NOVA_PORT" \
   && [[ -s "$STATE/nova/server.json" ]]; then
  log "already running"; echo "$AUTH_URL $COMPUTE_URL"; exit 0
fi

# every port we are about to bind must be free, or be ours
for p in $KS_PORT $NOVA_PORT $SERIAL_PORT $SERIAL_GUEST_PORT $NOVNC_PORT $XVNC_PORT $PLACEMENT_PORT $GLANCE_PORT $NEUTRON_PORT $DB_PORT $RABBIT_PORT $((RABBIT_PORT+1)) $((RABBIT_PORT+2)); do
  ((p >= 16000 && p <= 16999)) || { log "port $p outside 16000-16999"; exit 1; }
done

# ================================================================ config files
cat >"$STATE/etc/keystone.conf" <<EOF
[DEFAULT]
debug = ${EPOXY_DEBUG:-false}
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

[cache]
# in-process cache: ~250 ms -> ~15 ms per authenticated request. memory_pickle, not
# memory (keystone mutates cached dicts). Per process -> one uwsgi process.
enabled = true
backend = dogpile.cache.memory_pickle
# [oslo_policy]: release defaults (enforce_scope = enforce_new_defaults = true in 2025.1)
EOF

cat >"$STATE/etc/nova.conf" <<EOF
[DEFAULT]
host = $HOSTNAME_NOVA
my_ip = 127.0.0.1
debug = ${EPOXY_DEBUG:-false}
use_stderr = false
# no log_dir: each service gets --log-file; with log_dir, nova-manage (run as
# python3 -c) would log to "<string>.log"
state_path = $STATE/nova/state
instances_path = $STATE/nova/instances
transport_url = $TRANSPORT
# FakeDriverWithoutFakeNodes, not FakeDriver: Nova >= 2023.1 refuses to restart
# nova-compute without a persisted node identity (<state_path>/compute_id), and
# FakeDriver never writes one (its node uuid is random per process)
# (osconsole_serial.py: that driver, with a serial console that is serial_guest.py)
compute_driver = osconsole_serial.SerialFakeDriverWithoutFakeNodes
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
# no real neutron: never refresh network info caches in the background
heal_instance_info_cache_interval = -1
# keep the fake driver's (in-memory) view and the DB from fighting
sync_power_state_interval = -1
report_interval = 5
service_down_time = 30

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = $STATE/etc/nova-api-paste.ini

[api_database]
connection = $(dburl nova nova_api)

[database]
connection = $(dburl nova nova_cell1)

[oslo_concurrency]
lock_path = $STATE/nova/lock

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
send_service_user_token = true
auth_type = password
auth_url = $AUTH_URL
username = nova
password = novapass
project_name = service
user_domain_name = Default
project_domain_name = Default

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
# nova's real noVNC proxy listens on the base URL's port, in front of the host's Xvnc: the
# driver answers server_proxyclient_address and [osconsole] vnc_port; auth_schemes stays
# "none" (Xvnc offers security type None)
enabled = true
server_listen = 127.0.0.1
server_proxyclient_address = 127.0.0.1
novncproxy_base_url = http://127.0.0.1:$NOVNC_PORT/vnc_auto.html
novncproxy_host = 127.0.0.1
novncproxy_port = $NOVNC_PORT

[osconsole]
# serial/osconsole_serial.py: the VNC port its get_vnc_console answers
vnc_port = $XVNC_PORT

[spice]
# spice-html5 and spice-direct (API 2.99) both need [spice] enabled = true on the
# compute host (ComputeManager.get_spice_console raises ConsoleTypeUnavailable else).
# spice-direct URLs are <spice_direct_proxy_base_url>?token=<token>; the token's
# host/port/tls_port come from the virt driver (fake: fakespiceconsole.com 6969/6970).
# require_secure only changes the libvirt guest XML (TLS-only SPICE channels); the fake
# driver ignores it. Nothing listens on these URLs.
enabled = true
html5proxy_base_url = http://127.0.0.1:$SPICE_HTML5_PORT/spice_auto.html
spice_direct_proxy_base_url = http://127.0.0.1:$SPICE_DIRECT_PORT/nova
require_secure = true

[serial_console]
# nova's real serial proxy listens on base_url's port, in front of serial_guest.py: the
# driver answers proxyclient_address and the first port of port_range, like libvirt's
# TCP chardevs (nova/conf/serial_console.py)
enabled = true
base_url = ws://127.0.0.1:$SERIAL_PORT/
serialproxy_host = 127.0.0.1
serialproxy_port = $SERIAL_PORT
proxyclient_address = 127.0.0.1
port_range = $SERIAL_GUEST_PORT:$SERIAL_GUEST_PORT

[mks]
enabled = true
mksproxy_base_url = http://127.0.0.1:$MKS_PORT/

[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
# [oslo_policy]: release defaults (enforce_scope = enforce_new_defaults = true)
EOF

# python3-nova ships no api-paste.ini (nova-common does): upstream's, minus nothing
cat >"$STATE/etc/nova-api-paste.ini" <<'EOF'
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

cat >"$STATE/etc/placement.conf" <<EOF
[DEFAULT]
debug = false
log_dir = $STATE/log
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
service_token_roles_required = true
EOF

cat >"$STATE/rabbitmq/env.sh" <<EOF
export HOME=$STATE/rabbitmq/home
export RABBITMQ_NODENAME=epoxy@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$RABBIT_PORT
export RABBITMQ_DIST_PORT=$((RABBIT_PORT+1))
export ERL_EPMD_PORT=$((RABBIT_PORT+2))
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CONFIG_FILE=$STATE/rabbitmq/rabbitmq.conf
export RABBITMQ_MNESIA_BASE=$STATE/rabbitmq/mnesia
export RABBITMQ_LOG_BASE=$STATE/rabbitmq/log
export RABBITMQ_PID_FILE=$STATE/rabbitmq/rabbit.pid
export RABBITMQ_ENABLED_PLUGINS_FILE=$STATE/rabbitmq/enabled_plugins
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_DIST_PORT_MIN=$((RABBIT_PORT+3)) RABBITMQ_CTL_DIST_PORT_MAX=$((RABBIT_PORT+9))
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
cat >"$STATE/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
# RabbitMQ 4.0 warns that oslo.messaging's transient (non-durable) non-exclusive
# queues are a deprecated feature; permit them explicitly so a later 4.x keeps working
deprecated_features.permit.transient_nonexcl_queues = true
EOF
echo '[].' >"$STATE/rabbitmq/enabled_plugins"

cat >"$STATE/etc/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
log_file = $STATE/log/glance-api.log
use_stderr = false
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks/
[database]
connection = sqlite:///$STATE/glance.db
[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
auth_url = $AUTH_URL
auth_type = password
username = glance
password = glancepass
project_name = service
user_domain_name = Default
project_domain_name = Default
service_token_roles_required = true
[paste_deploy]
flavor = keystone
config_file = $STATE/etc/glance-api-paste.ini
EOF
# python3-glance ships no paste ini (glance-api/glance-common do)
cat >"$STATE/etc/glance-api-paste.ini" <<'EOF'
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

# ================================================================ helpers
NCONF=(--config-file "$STATE/etc/nova.conf")
# python3-nova ships no /usr/bin/nova-* (the nova-* service packages do, with init
# scripts, dbconfig and, for nova-compute, qemu/libvirt): call nova.cmd.<x>.main()
pymain() { echo "import sys; sys.argv[0]='$1'; from $2 import main; sys.exit(main())"; }
# nova imports compute_driver as 'nova.virt.<compute_driver>' (nova/virt/driver.py
# load_compute_driver): serial/ joins nova.virt's package path in nova-compute
computecode() { echo "import nova.virt; nova.virt.__path__.append('$HERE/serial'); $(pymain nova-compute nova.cmd.compute)"; }
start_bg() {  # start_bg <name> <cmd...>   (setsid: own session + process group)
  local name=$1; shift
  alive "$name" && return 0
  setsid "$@" </dev/null >>"$STATE/log/$name.out" 2>&1 &
  echo $! >"$STATE/run/$name.pid"
}
wait_port() {  # wait_port <name> <port> <seconds>
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$2" && return 0
    alive "$1" || { log "$1 died:"; tail -25 "$STATE/log/$1.out" >&2; exit 1; }
    sleep 0.25
  done
  log "$1 not listening on $2 after $3s"; exit 1
}
wal() { "$PY" -P -c 'import sqlite3,sys; [sqlite3.connect(f).execute("PRAGMA journal_mode=WAL") for f in sys.argv[1:]]' "$@"; }
# a heartbeat newer than our start = the service's RPC server is consuming (after a
# restart the service/host rows already exist, so only this is reliable)
wait_heartbeat() {  # wait_heartbeat <binary>
  local i n
  for ((i = 0; i < 180; i++)); do
    n=$(sql -e "SELECT COUNT(*) FROM nova_cell1.services WHERE \`binary\`='$1' AND host='$HOSTNAME_NOVA'
                AND deleted=0 AND COALESCE(last_seen_up, updated_at) >= '$START_UTC'" 2>/dev/null || echo 0)
    [[ $n -gt 0 ]] && return 0
    alive "$1" || { log "$1 died"; tail -30 "$STATE/log/$1.log" >&2; exit 1; }
    sleep 0.5
  done
  log "$1 sent no heartbeat in 90s"; exit 1
}
refuse_foreign() {  # refuse_foreign <name> <port>: port taken by something not ours
  if port_open "$2" && ! alive "$1"; then
    log "port $2 is in use by a process this recipe did not start; not touching it"; exit 1
  fi
}

# ================================================================ rabbitmq + stub neutron
refuse_foreign rabbitmq "$RABBIT_PORT"
if ! port_open "$RABBIT_PORT"; then
  log "starting rabbitmq (node epoxy@localhost) on 127.0.0.1:$RABBIT_PORT"
  ( . "$STATE/rabbitmq/env.sh"; start_bg rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server )
fi
refuse_foreign stubs "$NEUTRON_PORT"
start_bg stubs "$PY" -P "$HERE/fake_glance_neutron.py" \
  --glance-port "$([[ $GLANCE_MODE == real ]] && echo 0 || echo "$GLANCE_PORT")" --neutron-port "$NEUTRON_PORT"

# ================================================================ keystone (background)
# keystone's one-time setup (~10 s: db_sync, keys, bootstrap) runs while MariaDB and the
# nova/placement/glance schemas are set up below; joined before the seeding.
keystone_up() {
  local KM=(keystone-manage --config-file "$STATE/etc/keystone.conf") ml="$STATE/log/keystone-manage.log"
  if [[ ! -f "$STATE/.ks-bootstrapped" ]]; then
    log "keystone: db_sync, fernet/credential setup, bootstrap"
    "${KM[@]}" db_sync >>"$ml" 2>&1
    wal "$STATE/keystone.db"
    "${KM[@]}" fernet_setup --keystone-user root --keystone-group root >>"$ml" 2>&1
    "${KM[@]}" credential_setup --keystone-user root --keystone-group root >>"$ml" 2>&1
    "${KM[@]}" bootstrap --bootstrap-password "$EPOXY_ADMIN_PASSWORD" \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$AUTH_URL" --bootstrap-internal-url "$AUTH_URL" \
      --bootstrap-public-url "$AUTH_URL" >>"$ml" 2>&1
    touch "$STATE/.ks-bootstrapped"
  fi
  refuse_foreign keystone "$KS_PORT"
  if ! alive keystone; then
    log "starting keystone (uwsgi) on 127.0.0.1:$KS_PORT"
    # uwsgi 2.0: SIGTERM = reload unless --die-on-term
    start_bg keystone /usr/bin/uwsgi --plugin python3 --http-socket "127.0.0.1:$KS_PORT" \
      --module keystone.wsgi.api:application --chdir "$STATE" \
      --env "OS_KEYSTONE_CONFIG_DIR=$STATE/etc" \
      --master --processes 1 --threads 4 --enable-threads --die-on-term --need-app --lazy-apps \
      --add-header 'Connection: close' --buffer-size 65535
  fi
}
keystone_up &
KS_JOB=$!

# ================================================================ mariadb
mariadb_up "$STATE/mysql" "$STATE/log/mariadb.log" "$STATE/log/manage.log"

# ================================================================ databases (once)
if [[ ! -f "$STATE/.db-done" ]]; then
  log "placement db sync; nova api_db sync / map_cell0 / create_cell cell1 / db sync"
  "$PY" -P -c "$(pymain placement-manage placement.cmd.manage)" \
    --config-file "$STATE/etc/placement.conf" db sync >>"$STATE/log/manage.log" 2>&1
  NM=("$PY" -P -c "$(pymain nova-manage nova.cmd.manage)" "${NCONF[@]}")
  "${NM[@]}" api_db sync >>"$STATE/log/manage.log" 2>&1
  "${NM[@]}" cell_v2 map_cell0 --database_connection "$(dburl nova nova_cell0)" >>"$STATE/log/manage.log" 2>&1
  "${NM[@]}" cell_v2 create_cell --name cell1 --database_connection "$(dburl nova nova_cell1)" \
    --transport-url "$TRANSPORT" >>"$STATE/log/manage.log" 2>&1 || true
  "${NM[@]}" db sync >>"$STATE/log/manage.log" 2>&1
  touch "$STATE/.db-done"
fi
if [[ $GLANCE_MODE == real && ! -f "$STATE/.glance-db-done" ]]; then
  log "glance db_sync"
  "$PY" -P -c "$(pymain glance-manage glance.cmd.manage)" \
    --config-file "$STATE/etc/glance-api.conf" db_sync >>"$STATE/log/manage.log" 2>&1
  wal "$STATE/glance.db"
  touch "$STATE/.glance-db-done"
fi

# ================================================================ keystone seed
wait "$KS_JOB" || { log "keystone setup failed; see $STATE/log/keystone-manage.log"; exit 1; }
wait_port keystone "$KS_PORT" 60
log "keystone up after $(elapsed)s; seeding"
"$PY" -P "$HERE/seed.py" keystone --state "$STATE" --auth-url "$AUTH_URL" \
  --admin-password "$EPOXY_ADMIN_PASSWORD" --compute-url "$COMPUTE_URL" \
  --placement-url "http://127.0.0.1:$PLACEMENT_PORT" --glance-url "http://127.0.0.1:$GLANCE_PORT" \
  --neutron-url "http://127.0.0.1:$NEUTRON_PORT"

# ================================================================ services
START_UTC=$(date -u '+%Y-%m-%d %H:%M:%S')
refuse_foreign placement "$PLACEMENT_PORT"
if ! alive placement; then
  log "starting placement-api (uwsgi) on 127.0.0.1:$PLACEMENT_PORT"
  start_bg placement /usr/bin/uwsgi --plugin python3 --http-socket "127.0.0.1:$PLACEMENT_PORT" \
    --module placement.wsgi.api:application --chdir "$STATE" --env "OS_PLACEMENT_CONFIG_DIR=$STATE/etc" \
    --master --processes 1 --threads 4 --enable-threads --die-on-term --need-app --lazy-apps \
    --add-header 'Connection: close' --buffer-size 65535
fi
if [[ $GLANCE_MODE == real ]]; then
  refuse_foreign glance-api "$GLANCE_PORT"
  if ! alive glance-api; then
    log "starting glance-api on 127.0.0.1:$GLANCE_PORT"
    start_bg glance-api "$PY" -P -c "$(pymain glance-api glance.cmd.api)" --config-file "$STATE/etc/glance-api.conf"
  fi
fi
wait_port rabbitmq "$RABBIT_PORT" 90
refuse_foreign nova-api "$NOVA_PORT"
log "starting nova-conductor, nova-scheduler, nova-api; nova-compute (fake driver) after the conductor"
start_bg nova-conductor "$PY" -P -c "$(pymain nova-conductor nova.cmd.conductor)" "${NCONF[@]}" --log-file "$STATE/log/nova-conductor.log"
start_bg nova-scheduler "$PY" -P -c "$(pymain nova-scheduler nova.cmd.scheduler)" "${NCONF[@]}" --log-file "$STATE/log/nova-scheduler.log"
start_bg nova-api       "$PY" -P -c "$(pymain nova-api nova.cmd.api)" "${NCONF[@]}" --log-file "$STATE/log/nova-api.log"
# the serial guest, and nova's real serial proxy in front of it (per connection it checks
# the token in the DB and the port with nova-compute: validate_console_port, an RPC)
refuse_foreign serial-guest "$SERIAL_GUEST_PORT"
refuse_foreign nova-serialproxy "$SERIAL_PORT"
start_bg serial-guest "$PY" -P "$HERE/serial/serial_guest.py" --port "$SERIAL_GUEST_PORT" --hostname "$EPOXY_SERVER_NAME"
start_bg nova-serialproxy "$PY" -P -c "$(pymain nova-serialproxy nova.cmd.serialproxy)" "${NCONF[@]}" \
  --log-file "$STATE/log/nova-serialproxy.log"
# nova's real noVNC proxy (the same checks, then nova's RFB security proxy) in front of the
# host's Xvnc; --web: noVNC's pages, copied in by up.sh
refuse_foreign nova-novncproxy "$NOVNC_PORT"
start_bg nova-novncproxy "$PY" -P -c "$(pymain nova-novncproxy nova.cmd.novncproxy)" "${NCONF[@]}" \
  --log-file "$STATE/log/nova-novncproxy.log" --web "$HERE/novnc"
# nova-compute pings the conductor at start and loses 10 s per unanswered ping
wait_heartbeat nova-conductor
# --config-dir: *.conf there override nova.conf for nova-compute only; compute.sh puts
# "[spice] enabled = false" there to test the error of a cloud with SPICE switched off
# ([spice] enabled is read on the compute host: ComputeManager.get_spice_console)
mkdir -p "$STATE/etc/nova-compute.d"
start_bg nova-compute   "$PY" -P -c "$(computecode)" "${NCONF[@]}" \
  --config-dir "$STATE/etc/nova-compute.d" --log-file "$STATE/log/nova-compute.log"
wait_port placement "$PLACEMENT_PORT" 60
[[ $GLANCE_MODE == real ]] && wait_port glance-api "$GLANCE_PORT" 60
wait_port stubs "$NEUTRON_PORT" 20
wait_port nova-api "$NOVA_PORT" 90
log "nova-api listening after $(elapsed)s"
wait_heartbeat nova-compute
log "nova-compute reporting after $(elapsed)s"
for _ in $(seq 1 60); do
  [[ $(sql -e "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host='$HOSTNAME_NOVA'" 2>/dev/null || echo 0) -gt 0 ]] && break
  "$PY" -P -c "$(pymain nova-manage nova.cmd.manage)" "${NCONF[@]}" cell_v2 discover_hosts >/dev/null 2>&1 || true
  sleep 1
done
log "compute host mapped after $(elapsed)s"
wait_port serial-guest "$SERIAL_GUEST_PORT" 20
wait_port nova-serialproxy "$SERIAL_PORT" 60
log "nova-serialproxy listening after $(elapsed)s"
wait_port nova-novncproxy "$NOVNC_PORT" 60
log "nova-novncproxy listening after $(elapsed)s"

# ================================================================ image, flavor, server
"$PY" -P "$HERE/seed.py" boot --state "$STATE" --auth-url "$AUTH_URL" \
  --admin-password "$EPOXY_ADMIN_PASSWORD" --compute-url "$COMPUTE_URL" \
  --glance-url "http://127.0.0.1:$GLANCE_PORT" --server-name "$EPOXY_SERVER_NAME" \
  --glance-mode "$GLANCE_MODE"
log "stack up in $(elapsed)s"
echo "$AUTH_URL $COMPUTE_URL"
