# config.sh - shared settings for up.sh / down.sh / status.sh (host side) and
# stack-up.sh (inside the chroot). Sourced, not executed. Every port is on 127.0.0.1
# and inside 16000-16999 (another stack may own 15000-15999).

# The knobs a person sets are OSCONSOLE_EPOXY_* (see README.md); the EPOXY_* names are
# what the scripts use, and what up.sh hands to stack-up.sh inside the chroot (env -i).
# The chroot: a fixed, project-owned place, created on first use and reused (a cached
# root, ~1.5 GB); down.sh with OSCONSOLE_REALCLOUD_PURGE=1 removes it.
EPOXY_ROOT="${OSCONSOLE_EPOXY_ROOT:-/srv/osconsole-epoxy}"
# state dir as seen INSIDE the chroot (host view: $EPOXY_ROOT$EPOXY_STATE)
EPOXY_STATE="${EPOXY_STATE:-/var/lib/osconsole-epoxy}"
EPOXY_SUITE=trixie                                     # Debian 13: OpenStack 2025.1 Epoxy
EPOXY_INNER=/opt/osconsole-epoxy                       # where up.sh copies the inner scripts

EPOXY_ADMIN_PASSWORD="${EPOXY_ADMIN_PASSWORD:-${OSCONSOLE_EPOXY_ADMIN_PASSWORD:-secret}}"
EPOXY_DEMO_PASSWORD=demopass
EPOXY_SERVER_NAME="${EPOXY_SERVER_NAME:-web-1}"
EPOXY_GLANCE="${EPOXY_GLANCE:-${OSCONSOLE_EPOXY_GLANCE:-real}}"
EPOXY_DEBUG="${EPOXY_DEBUG:-${OSCONSOLE_EPOXY_DEBUG:-false}}"

KS_PORT=16000                    # keystone (uwsgi)
NOVA_PORT=16774                  # nova-api (osapi_compute, eventlet)
PLACEMENT_PORT=16778             # placement-api (uwsgi)
GLANCE_PORT=16292                # glance-api (real, eventlet) or the stub
NEUTRON_PORT=16696               # stub neutron (fake_glance_neutron.py)
RABBIT_PORT=16680                # AMQP; +1 Erlang distribution, +2 epmd, +3..+9 rabbitmqctl
DB_PORT=16306                    # MariaDB for nova_api, nova_cell0, nova_cell1, placement
# console base URLs written into nova.conf: NOTHING listens on these (never start a
# console proxy with the fake driver: it would dial fake*.com:6969) except the serial and
# the noVNC one: nova-serialproxy in front of the serial guest, nova-novncproxy in front of
# Xvnc (../realcloud/serial/osconsole_serial.py answers their addresses)
NOVNC_PORT=16608                 # nova-novncproxy (the real one)
XVNC_PORT=16630                  # Xvnc on the HOST (../realcloud/vnc/xvnc.sh); [osconsole] vnc_port
XVNC_DISPLAY=61                  # its X display (the Zed tier's is :60)
SPICE_HTML5_PORT=16609
SERIAL_PORT=16610                # nova-serialproxy (the real one)
SERIAL_GUEST_PORT=16620          # serial_guest.py; [serial_console] port_range: the driver's answer
MKS_PORT=16611
SPICE_DIRECT_PORT=16613

# the packages installed into the chroot (one apt transaction, --no-install-recommends).
# Library packages only: the service packages (keystone, nova-api, nova-compute, ...)
# add init scripts, dbconfig prompts and, for nova-compute, qemu/libvirt.
# mariadb-*-core: just mariadbd, mariadb-install-db and the client (no init scripts);
# python3-pymysql is the driver oslo.db uses (pure Python, so eventlet-friendly).
EPOXY_PACKAGES=(python3-keystone python3-nova python3-placement python3-glance
                rabbitmq-server uwsgi-core uwsgi-plugin-python3
                mariadb-server-core mariadb-client-core python3-pymysql)
