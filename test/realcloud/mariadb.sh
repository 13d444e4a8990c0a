# mariadb.sh - the MariaDB behind nova and placement in both real tiers, sourced by
# nova-up.sh (Zed, on the host) and by the Epoxy tier's stack-up.sh (in its chroot).
# Why MariaDB and not sqlite: the comment at DB_PORT in nova-up.sh.
# The caller sets DB_PORT and MYSOCK and defines log, alive, start_bg and wait_port.

# dburl <user> <database>: oslo.db's connection URL (the password is <user>dbpass)
dburl() { echo "mysql+pymysql://$1:$1dbpass@127.0.0.1:$DB_PORT/$2?charset=utf8"; }
# sql <mariadb args...>: as root, over the socket
sql() { mariadb --no-defaults -S "$MYSOCK" -u root -N -B "$@"; }

# mariadb_up <dir> <error log> <manage log>: a data dir in <dir>/data (made once), mariadbd
# on 127.0.0.1:$DB_PORT as this user, then the databases and users nova and placement need.
mariadb_up() {
  local dir=$1 errlog=$2 mlog=$3
  if port_open "$DB_PORT" && ! alive mariadb; then
    log "port $DB_PORT is in use by a process this recipe did not start; not touching it"; exit 1
  fi
  if [[ ! -d "$dir/data/mysql" ]]; then
    log "mariadb-install-db"
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >>"$mlog" 2>&1
  fi
  if ! alive mariadb; then
    log "starting mariadbd on 127.0.0.1:$DB_PORT"
    # small buffers: a few MB of data
    start_bg mariadb /usr/sbin/mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" \
      --socket="$MYSOCK" --port="$DB_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
      --pid-file="$dir/mariadbd.pid" --log-error="$errlog" \
      --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
      --key-buffer-size=8M --aria-pagecache-buffer-size=8M --table-open-cache=400 \
      --max-connections=400 --skip-log-bin
  fi
  wait_port mariadb "$DB_PORT" 60
  for _ in $(seq 1 40); do sql -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.25; done
  sql <<'SQL'
CREATE DATABASE IF NOT EXISTS nova_api;
CREATE DATABASE IF NOT EXISTS nova_cell0;
CREATE DATABASE IF NOT EXISTS nova_cell1;
CREATE DATABASE IF NOT EXISTS placement;
CREATE USER IF NOT EXISTS 'nova'@'127.0.0.1' IDENTIFIED BY 'novadbpass';
CREATE USER IF NOT EXISTS 'placement'@'127.0.0.1' IDENTIFIED BY 'placementdbpass';
GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'127.0.0.1';
GRANT ALL PRIVILEGES ON nova_cell0.* TO 'nova'@'127.0.0.1';
GRANT ALL PRIVILEGES ON nova_cell1.* TO 'nova'@'127.0.0.1';
GRANT ALL PRIVILEGES ON placement.* TO 'placement'@'127.0.0.1';
SQL
}
