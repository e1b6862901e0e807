# Helpers shared by the .ci scripts (sourced, not run). A script sets LOG_TAG
# (its name in log lines) and, to use free_port, PORT_WANTED, then sources this.
# Every line written here goes to stderr, so `eval "$(bash .ci/x.sh start)"` stays safe.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs Debian packages quietly (needs root): apt_install [APT-OPTION...] PACKAGE...
apt_install() {
    [ "$(id -u)" = "0" ] || die "need root to apt-get install $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "$@" >&2
}

port_in_use() {
    # bash's /dev/tcp: succeeds when something accepts on the port.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port from $PORT_WANTED on that nothing on 127.0.0.1 accepts on.
free_port() {
    local p=$PORT_WANTED
    for _ in $(seq 1 50); do
        if ! port_in_use "$p"; then
            printf '%s\n' "$p"
            return 0
        fi
        p=$((p + 1))
    done
    die "no free port in $PORT_WANTED..$p"
}

# Removes a service's temporary directory (only one named like ours: $2*) and
# its state file $3, after the service is stopped: forget_service DIR PREFIX STATE_FILE
forget_service() {
    case "$1" in
        "$2"*) rm -rf -- "$1" ;;
        *) log "not removing unexpected directory '$1'" ;;
    esac
    rm -f -- "$3"
    log "stopped"
}
