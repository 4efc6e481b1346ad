# Throwaway Redis, Redis Cluster and PostgreSQL servers on free loopback ports in a
# temporary directory, for tests and benchmarks. Source this file, call
# `services_start`, and the EXIT trap stops every server and removes the directory on
# every exit path. nginx is only installed here (the gate test starts its own).
#
# Exports FLOODGATE_TEST_REDIS_URL, FLOODGATE_TEST_REDIS_CLUSTER_URL (a
# `redis+cluster://` URL listing the masters: 3 masters, each with 1 replica) and
# FLOODGATE_TEST_DATABASE_URL. FLOODGATE_SERVICES_CLUSTER=0 skips the cluster.

SERVICES_DIR=""
REDIS_PORT=""
CLUSTER_PORTS=""
PG_PORT=""
PG_BIN=""

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 30000))
}

# redis_start <port> <dir> [redis-server flags...]: a throwaway Redis (loopback, no
# persistence) on PORT with its files and log in DIR; returns once it answers PING.
redis_start() {
    local port=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$dir" --daemonize yes --logfile "$dir/log" "$@" >/dev/null
    for _ in $(seq 50); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    redis-cli -p "$port" ping >/dev/null || { cat "$dir/log" >&2; return 1; }
}

services_install() {
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server redis-tools
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        apt_install postgresql
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    id postgres >/dev/null 2>&1 || { echo "no postgres system user after install" >&2; return 1; }
    # The gate's end-to-end test (server/tests/api/gate.rs) runs its own nginx on a
    # loopback port in a temporary directory; Debian's package carries auth_request.
    [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || apt_install nginx
}

services_stop() {
    local status=$?
    if [ -n "$REDIS_PORT" ]; then
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    local port
    for port in $CLUSTER_PORTS; do
        redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    done
    if [ -n "$PG_PORT" ] && [ -d "$SERVICES_DIR/pg/data" ]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$SERVICES_DIR" ]; then
        rm -rf "$SERVICES_DIR"
    fi
    return $status
}

# cluster_start: six cluster-enabled Redis servers on free loopback ports, joined as 3
# masters with 1 replica each; waits until every node reports cluster_state:ok.
cluster_start() {
    local ports=() port
    for _ in 1 2 3 4 5 6; do
        port=$(free_port)
        # Cluster nodes also listen on port + 10000 (the bus): keep both free and distinct.
        while [ "$port" -gt 55000 ] || [[ " ${ports[*]} " == *" $port "* ]]; do
            port=$(free_port)
        done
        ports+=("$port")
        CLUSTER_PORTS="$CLUSTER_PORTS $port"
        redis_start "$port" "$SERVICES_DIR/cluster/$port" --cluster-enabled yes \
            --cluster-config-file "$SERVICES_DIR/cluster/$port/nodes.conf" \
            --cluster-node-timeout 2000 || return 1
    done
    local nodes=()
    for port in "${ports[@]}"; do
        nodes+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
        >"$SERVICES_DIR/cluster/create.log" 2>&1 \
        || { cat "$SERVICES_DIR/cluster/create.log" >&2; return 1; }
    local ok
    for _ in $(seq 200); do
        ok=1
        for port in "${ports[@]}"; do
            redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
        done
        # Every replica attached to its master (three `slave` lines seen from a master).
        [ "$(redis-cli -p "${ports[0]}" cluster nodes 2>/dev/null | grep -c slave)" = 3 ] || ok=0
        [ "$ok" = 1 ] && break
        sleep 0.1
    done
    [ "$ok" = 1 ] || { echo "redis cluster did not reach cluster_state:ok" >&2; cat "$SERVICES_DIR/cluster/create.log" >&2; return 1; }
    local seeds
    seeds=$(printf '127.0.0.1:%s,' "${ports[@]:0:3}")
    export FLOODGATE_TEST_REDIS_CLUSTER_URL="redis+cluster://${seeds%,}"
}

# services_start [postgres settings...]: extra `-c name=value` pairs go to PostgreSQL.
services_start() {
    services_install
    SERVICES_DIR=$(mktemp -d /tmp/floodgate-services.XXXXXX)
    chmod 755 "$SERVICES_DIR"
    # Everything the tests create under the temporary directory (data directories of
    # the servers they spawn, by the hundred per run) goes in here and is removed with
    # it, so runs do not fill the disk.
    mkdir -p "$SERVICES_DIR/tmp"
    export TMPDIR="$SERVICES_DIR/tmp"
    trap services_stop EXIT
    trap 'exit 130' INT TERM

    REDIS_PORT=$(free_port)
    redis_start "$REDIS_PORT" "$SERVICES_DIR/redis" || return 1
    if [ "${FLOODGATE_SERVICES_CLUSTER:-1}" != 0 ]; then
        cluster_start || return 1
    fi

    PG_PORT=$(free_port)
    mkdir -p "$SERVICES_DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$SERVICES_DIR/pg"
    as_postgres "$PG_BIN/initdb" -D "$SERVICES_DIR/pg/data" -A trust -U postgres --no-sync >"$SERVICES_DIR/pg/initdb.log" 2>&1 \
        || { cat "$SERVICES_DIR/pg/initdb.log" >&2; return 1; }
    local opts="-p $PG_PORT -k $SERVICES_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300"
    for setting in "$@"; do
        opts="$opts -c $setting"
    done
    as_postgres "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -o "$opts" -l "$SERVICES_DIR/pg/log" -w -t 60 start >/dev/null \
        || { cat "$SERVICES_DIR/pg/log" >&2; return 1; }

    export FLOODGATE_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    export FLOODGATE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "services: redis on $REDIS_PORT, redis cluster on${CLUSTER_PORTS:- (none)}, postgresql on $PG_PORT (in $SERVICES_DIR)" >&2
}
