# The Rush and Pace scenarios of scripts/bench.sh (sourced; needs services_start,
# $FLOODGATE, $LOADGEN): one floodgate release process on Redis + PostgreSQL and
# loadgen playing RUSH_FANS fans that all arrive at once; the sale admits at
# PACE_RATE per minute, so admission runs for over a minute.
RUSH_FANS="${RUSH_FANS:-15000}"
PACE_RATE="${PACE_RATE:-12000}"

rush_bench() {
    local out=$1 port data url pid
    port=$(free_port)
    data="$out/floodgate-rush"
    url="http://127.0.0.1:$port"
    as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE bench_rush" postgres
    FLOODGATE_DATA_DIR="$data" FLOODGATE_LISTEN="127.0.0.1:$port" \
        REDIS_URL="$FLOODGATE_TEST_REDIS_URL" FLOODGATE_REDIS_PREFIX=rush \
        DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_rush" \
        FLOODGATE_AUTH_RATE_PER_SEC=100000 FLOODGATE_JOIN_RATE_PER_SEC=1000000 \
        RUST_LOG=warn "$FLOODGATE" >"$out/floodgate-rush.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        curl -fs "$url/readyz" >/dev/null && break
        sleep 0.2
    done
    echo "    loadgen: $RUSH_FANS fans at once, admission $PACE_RATE/min" >&2
    "$LOADGEN" --url "$url" --fans "$RUSH_FANS" --rate-per-minute "$PACE_RATE" \
        --arrival burst --connect-rate 100000 --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/rush.json" 2>"$out/loadgen-rush.log" || {
        echo "loadgen exited with $? (see its report)" >&2
    }
    grep VmHWM "/proc/$pid/status" >"$out/rush_server_rss.txt" 2>/dev/null || true
    kill "$pid" && wait "$pid" || true
}
