#!/usr/bin/env bash
# A throwaway Redis for the live-picture exchange tests (replicas sharing tracks).
#
#   eval "$(bash .ci/redis.sh start)"   # installs if needed, starts, exports DECONF_TEST_REDIS_URL
#   bash .ci/redis.sh stop              # stops it and removes its directory
#   bash .ci/redis.sh url               # prints the export line of a running one again
#
# Only the `export DECONF_TEST_REDIS_URL=...` line goes to stdout; logs go to
# stderr, so `eval "$(...)"` is safe. Redis listens on 127.0.0.1 only (port
# $DECONF_REDIS_PORT, default 63790, or the next free one), keeps nothing on
# disk, and lives in a temporary directory remembered in $STATE_FILE.
set -euo pipefail

STATE_FILE="${DECONF_REDIS_STATE:-/tmp/deconflict-ci-redis.state}"
PORT_WANTED="${DECONF_REDIS_PORT:-63790}"

LOG_TAG=redis.sh
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_redis() {
    log "redis-server not found: installing Debian's redis-server package"
    apt_install redis-server
}

cmd_start() {
    if [ -f "$STATE_FILE" ]; then
        log "a Redis from an earlier run is recorded in $STATE_FILE: stopping it first"
        cmd_stop
    fi
    command -v redis-server >/dev/null 2>&1 || install_redis
    command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found (Debian's redis-tools)"
    local dir port
    dir="$(mktemp -d /tmp/deconflict-redis.XXXXXX)"
    port="$(free_port)"
    printf 'DIR=%q\nPORT=%q\n' "$dir" "$port" >"$STATE_FILE"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2 \
        || die "redis-server did not start"
    for _ in $(seq 1 100); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            log "Redis $(redis-server --version | awk '{print $3}') running on 127.0.0.1:$port (stop with: bash .ci/redis.sh stop)"
            printf 'export DECONF_TEST_REDIS_URL=redis://127.0.0.1:%s\n' "$port"
            return 0
        fi
        sleep 0.1
    done
    cat "$dir/redis.log" >&2 || true
    die "Redis did not answer PING on port $port"
}

cmd_stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "nothing to stop ($STATE_FILE not found)"
        return 0
    fi
    local DIR="" PORT=""
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    if [ -n "$PORT" ]; then
        redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || log "shutdown failed (already stopped?)"
    fi
    forget_service "$DIR" /tmp/deconflict-redis. "$STATE_FILE"
}

cmd_url() {
    [ -f "$STATE_FILE" ] || die "no running Redis recorded in $STATE_FILE"
    local DIR="" PORT=""
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    printf 'export DECONF_TEST_REDIS_URL=redis://127.0.0.1:%s\n' "$PORT"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) cmd_url ;;
    *) die "usage: $0 start|stop|url" ;;
esac
