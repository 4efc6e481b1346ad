# Every load comes from this machine's one address: the places cap is off (0) and the
# poll limits lifted. /metrics needs the bearer token below: read it with fg_metrics.
FG_METRICS_TOKEN="${FG_METRICS_TOKEN:-bench-metrics-token}"

# Prints URL's /metrics (curl's own options before the URL, e.g. --max-time 2).
fg_metrics() {
    curl -fs -H "Authorization: Bearer $FG_METRICS_TOKEN" "$@"
}

# Starts one floodgate release process for a benchmark section (sourced; needs
# services_start and $FLOODGATE): on the PostgreSQL database and Redis prefix named
# SHARED (default NAME; created when missing, so replicas pass one SHARED name), data
# in OUT/floodgate-NAME, log in OUT/floodgate-NAME.log, limits lifted for load. Extra
# settings come from the environment (e.g. FLOODGATE_SIGNING_KEY for replicas; FG_REDIS_URL
# for another Redis than the single one, such as the cluster). Sets
# FG_URL, FG_PID and FG_DATA, and returns once /readyz answers.
start_floodgate() {
    local name=$1 out=$2 shared=${3:-$1} port
    port=$(free_port)
    FG_URL="http://127.0.0.1:$port"
    FG_DATA="$out/floodgate-$name"
    rm -rf "$FG_DATA"
    if [ -z "$(as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc \
        "SELECT 1 FROM pg_database WHERE datname = 'bench_$shared'" postgres)" ]; then
        as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE bench_$shared" postgres
    fi
    FLOODGATE_DATA_DIR="$FG_DATA" FLOODGATE_LISTEN="127.0.0.1:$port" \
        REDIS_URL="${FG_REDIS_URL:-$FLOODGATE_TEST_REDIS_URL}" FLOODGATE_REDIS_PREFIX="$shared" \
        DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_$shared" \
        FLOODGATE_AUTH_RATE_PER_SEC=100000 FLOODGATE_JOIN_RATE_PER_SEC=1000000 FLOODGATE_SEAT_MAP_RATE_PER_SEC=1000000 \
        FLOODGATE_MAX_SOCKETS_PER_IP="${FLOODGATE_MAX_SOCKETS_PER_IP:-1000000}" \
        FLOODGATE_MAX_PLACES_PER_IP="${FLOODGATE_MAX_PLACES_PER_IP:-0}" \
        FLOODGATE_POLL_RATE_PER_SEC=1000000 FLOODGATE_POLL_IP_RATE_PER_SEC=1000000 \
        FLOODGATE_METRICS_TOKEN="$FG_METRICS_TOKEN" \
        RUST_LOG=warn "$FLOODGATE" >"$FG_DATA.log" 2>&1 &
    FG_PID=$!
    wait_ready "$name"
}

# Starts one floodgate release process on the embedded default (memory store +
# SQLite in OUT/floodgate-NAME), limits lifted for load; sets FG_URL, FG_PID, FG_DATA.
start_floodgate_embedded() {
    local name=$1 out=$2 port
    port=$(free_port)
    FG_URL="http://127.0.0.1:$port"
    FG_DATA="$out/floodgate-$name"
    rm -rf "$FG_DATA"
    env -u REDIS_URL -u DATABASE_URL FLOODGATE_DATA_DIR="$FG_DATA" FLOODGATE_LISTEN="127.0.0.1:$port" \
        FLOODGATE_AUTH_RATE_PER_SEC=100000 FLOODGATE_JOIN_RATE_PER_SEC=1000000 FLOODGATE_SEAT_MAP_RATE_PER_SEC=1000000 \
        FLOODGATE_MAX_SOCKETS_PER_IP="${FLOODGATE_MAX_SOCKETS_PER_IP:-1000000}" \
        FLOODGATE_MAX_PLACES_PER_IP="${FLOODGATE_MAX_PLACES_PER_IP:-0}" \
        FLOODGATE_POLL_RATE_PER_SEC=1000000 FLOODGATE_POLL_IP_RATE_PER_SEC=1000000 \
        FLOODGATE_METRICS_TOKEN="$FG_METRICS_TOKEN" \
        RUST_LOG=warn "$FLOODGATE" >"$FG_DATA.log" 2>&1 &
    FG_PID=$!
    wait_ready "$name"
}

# Returns once $FG_URL/readyz answers (20 s at most).
wait_ready() {
    for _ in $(seq 100); do
        curl -fs "$FG_URL/readyz" >/dev/null && return 0
        sleep 0.2
    done
    echo "floodgate ($1) did not become ready; see $FG_DATA.log" >&2
    return 1
}
