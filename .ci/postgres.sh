#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store-postgres integration tests.
#
#   eval "$(bash .ci/postgres.sh start)"   # installs if needed, starts, exports DECONF_TEST_PG_URL
#   bash .ci/postgres.sh stop              # stops the cluster and removes its directory
#   bash .ci/postgres.sh url               # prints the export line of a running cluster again
#
# The server runs with ssl=on, its certificate signed by a throwaway CA made
# here with openssl; the CA's path is exported as DECONF_TEST_PG_CA so tests
# can connect with sslmode=verify-full (and be refused with another CA).
# Plain connections stay allowed (pg_hba `host`), so the other tests run as
# before.
#
# Only the `export DECONF_TEST_PG_URL=...` and `..._CA` lines go to stdout; every log line
# goes to stderr, so `eval "$(...)"` is safe. The cluster listens on 127.0.0.1
# only (port $DECONF_PG_PORT, default 54329, or the next free one), runs as the
# `postgres` system user (initdb refuses root), keeps fsync on, and lives in a
# temporary directory whose path is remembered in $STATE_FILE.
set -euo pipefail

STATE_FILE="${DECONF_PG_STATE:-/tmp/deconflict-ci-postgres.state}"
PORT_WANTED="${DECONF_PG_PORT:-54329}"
DB=deconflict_test
ROLE=deconflict_test
PASSWORD=deconflict_test_pw

LOG_TAG=postgres.sh
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Runs a command as the postgres system user (we are usually root in CI).
as_postgres() {
    if [ "$(id -u)" = "0" ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

# Directory holding initdb/pg_ctl/postgres: PATH first, then Debian's
# /usr/lib/postgresql/<version>/bin (highest version).
find_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
        return 0
    fi
    return 1
}

install_postgres() {
    log "PostgreSQL server binaries not found: installing Debian's postgresql package"
    apt_install postgresql
}

# A CA and a server certificate for 127.0.0.1/localhost in $1/tls.
make_certs() {
    local tls="$1/tls"
    command -v openssl >/dev/null 2>&1 || { [ "$(id -u)" = "0" ] && apt-get install -y -qq openssl >&2; }
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=deconflict CI PostgreSQL CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" >/dev/null 2>&1 || die "openssl: CA"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1 || die "openssl: server key"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/san.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 2 -extfile "$tls/san.ext" -out "$tls/server.crt" >/dev/null 2>&1 || die "openssl: server certificate"
    chown -R postgres: "$tls" 2>/dev/null || true
    chmod 600 "$tls/server.key" "$tls/ca.key"
    chmod 644 "$tls/ca.pem" "$tls/server.crt"
    chmod 755 "$tls"
}

url_for() {
    printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$1" "$DB"
}

cmd_start() {
    if [ -f "$STATE_FILE" ]; then
        log "a cluster from an earlier run is recorded in $STATE_FILE: stopping it first"
        cmd_stop
    fi
    local bindir
    if ! bindir="$(find_bindir)"; then
        install_postgres
        bindir="$(find_bindir)" || die "postgresql installed but initdb/pg_ctl still not found"
    fi
    log "using $bindir ($("$bindir/postgres" --version))"
    id postgres >/dev/null 2>&1 || die "system user postgres does not exist (the postgresql package creates it)"

    local dir port
    dir="$(mktemp -d /tmp/deconflict-pg.XXXXXX)"
    chown postgres: "$dir" 2>/dev/null || true
    chmod 700 "$dir"
    port="$(free_port)"
    printf 'DIR=%q\nPORT=%q\nBINDIR=%q\n' "$dir" "$port" "$bindir" >"$STATE_FILE"

    make_certs "$dir"
    local pwfile="$dir/pwfile"
    printf '%s\n' "$PASSWORD" >"$pwfile"
    chown postgres: "$pwfile" 2>/dev/null || true
    # The superuser (postgres) authenticates by password over TCP; local
    # socket connections by the postgres OS user are trusted.
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2 \
        || as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >&2
    rm -f "$pwfile"

    # fsync stays on (the default); only memory and connection limits are set.
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
            -c shared_buffers=128MB -c max_connections=300 \
            -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" >&2 \
        || { cat "$dir/server.log" >&2 || true; die "pg_ctl start failed"; }

    as_postgres "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >&2 <<SQL
CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
CREATE DATABASE $DB OWNER $ROLE;
SQL
    log "PostgreSQL running on 127.0.0.1:$port, data in $dir (stop with: bash .ci/postgres.sh stop)"
    printf 'export DECONF_TEST_PG_URL=%s\n' "$(url_for "$port")"
    printf 'export DECONF_TEST_PG_CA=%s\n' "$dir/tls/ca.pem"
}

cmd_stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "nothing to stop ($STATE_FILE not found)"
        return 0
    fi
    local DIR="" PORT="" BINDIR=""
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    if [ -n "$DIR" ] && [ -d "$DIR/data" ]; then
        as_postgres "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >&2 || log "pg_ctl stop failed (already stopped?)"
    fi
    forget_service "$DIR" /tmp/deconflict-pg. "$STATE_FILE"
}

cmd_url() {
    [ -f "$STATE_FILE" ] || die "no running cluster recorded in $STATE_FILE"
    local DIR="" PORT="" BINDIR=""
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    printf 'export DECONF_TEST_PG_URL=%s\n' "$(url_for "$PORT")"
    printf 'export DECONF_TEST_PG_CA=%s\n' "$DIR/tls/ca.pem"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *) die "usage: $0 start|stop|url" ;;
esac
