# Starts one floodgate release process for a benchmark section (sourced; needs
# services_start and $FLOODGATE): a fresh PostgreSQL database and Redis prefix named
# NAME, data in OUT/floodgate-NAME, log in OUT/floodgate-NAME.log, limits lifted for
# load. Sets FG_URL, FG_PID and FG_DATA, and returns once /readyz answers.
start_floodgate() {
    local name=$1 out=$2 port
    port=$(free_port)
    FG_URL="http://127.0.0.1:$port"
    FG_DATA="$out/floodgate-$name"
    as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE bench_$name" postgres
    FLOODGATE_DATA_DIR="$FG_DATA" FLOODGATE_LISTEN="127.0.0.1:$port" \
        REDIS_URL="$FLOODGATE_TEST_REDIS_URL" FLOODGATE_REDIS_PREFIX="$name" \
        DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_$name" \
        FLOODGATE_AUTH_RATE_PER_SEC=100000 FLOODGATE_JOIN_RATE_PER_SEC=1000000 \
        RUST_LOG=warn "$FLOODGATE" >"$FG_DATA.log" 2>&1 &
    FG_PID=$!
    for _ in $(seq 100); do
        curl -fs "$FG_URL/readyz" >/dev/null && return 0
        sleep 0.2
    done
    echo "floodgate ($name) did not become ready; see $FG_DATA.log" >&2
    return 1
}
