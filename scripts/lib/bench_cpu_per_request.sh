#!/usr/bin/env bash
# Server CPU per request (issue 19, the hot path): utime + stime of the floodgate
# process from /proc/PID/stat over a bounded wrk run, divided by the requests wrk
# counted. CPU per request rather than requests per second, so other work on the
# machine (builds) disturbs the figure less. Several binaries, run alternated.
#
#   scripts/lib/bench_cpu_per_request.sh OUT ROUNDS SECONDS BIN [BIN...]
#
# Embedded store (memory + SQLite), or Redis + PostgreSQL when FLOODGATE_TEST_REDIS_URL
# and FLOODGATE_TEST_DATABASE_URL are set (throwaway services: source
# scripts/lib/services.sh and services_start first). One data
# dir (one signing key, one event, one token file) is shared by every run: each run starts
# BIN on it afresh, so the holds of earlier runs are gone (memory store) and, on Redis,
# each round uses its own slice of the tokens and seats. Per run: wrk -t2 -c64 (CONNECTIONS) on
# /healthz, then on best-available holds of one seat (scripts/lib/wrk_checkout.lua),
# then with CONFIRMS=N, on confirms of N holds made just before (bench_tool holds).
# Prints "bin scenario requests cpu_us_per_request redis_us_per_request
# redis_usec_per_evalsha" lines (also OUT/results.txt; the Redis columns are 0 on the
# embedded store).
# PERF=1: also a `perf record -F 999` of the server over each hold run (OUT/perf.txt
# lists the files by binary).
# Needs the bench_tool example (cargo build --release -p server --example bench_tool).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$1 ROUNDS=$2 SECONDS_PER_RUN=$3
shift 3
TOOL="${TOOL:-$CARGO_TARGET_DIR/release/examples/bench_tool}"
TOKENS_PER_ROUND="${TOKENS_PER_ROUND:-60000}"
CONNECTIONS="${CONNECTIONS:-64}" # wrk's connections (-c)
export FLOODGATE_ADMIN_EMAIL=bench@floodgate.test FLOODGATE_ADMIN_PASSWORD=bench-password
export FLOODGATE_SHUTDOWN_DELAY_SECS=0
mkdir -p "$OUT"
DATA="$OUT/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
HZ=$(getconf CLK_TCK)
# shellcheck source=scripts/lib/bench_server.sh
source scripts/lib/bench_server.sh # wait_ready

start() {
    local bin=$1
    if [ -n "${FLOODGATE_TEST_REDIS_URL:-}" ]; then
        REDIS_URL="$FLOODGATE_TEST_REDIS_URL" FLOODGATE_REDIS_PREFIX="cpu$PORT" \
            DATABASE_URL="$FLOODGATE_TEST_DATABASE_URL" \
            run_server "$bin"
    else
        unset REDIS_URL DATABASE_URL
        run_server "$bin"
    fi
    FG_URL=$URL FG_DATA="$OUT/floodgate" wait_ready "$bin"
}

run_server() {
    FLOODGATE_DATA_DIR="$DATA" FLOODGATE_LISTEN="127.0.0.1:$PORT" \
        FLOODGATE_AUTH_RATE_PER_SEC=100000 FLOODGATE_JOIN_RATE_PER_SEC=1000000 \
        FLOODGATE_SEAT_MAP_RATE_PER_SEC=1000000 FLOODGATE_MAX_SOCKETS_PER_IP=1000000 \
        FLOODGATE_MAX_PLACES_PER_IP=0 FLOODGATE_POLL_RATE_PER_SEC=1000000 \
        FLOODGATE_POLL_IP_RATE_PER_SEC=1000000 FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE=1000000 \
        RUST_LOG="${BENCH_RUST_LOG:-warn}" "$1" >>"$OUT/floodgate.log" 2>&1 &
    PID=$!
}

stop() {
    kill "$PID" && wait "$PID" || true
}

cpu_ticks() {
    # Fields 14 and 15 of /proc/PID/stat (the command name, field 2, has no spaces here).
    awk '{print $14 + $15}' "/proc/$PID/stat"
}

# Redis' own CPU seconds so far (INFO cpu: used_cpu_user + used_cpu_sys), 0 without Redis.
redis_cpu() {
    if [ -z "${FLOODGATE_TEST_REDIS_URL:-}" ]; then
        echo 0
        return
    fi
    redis-cli -u "$FLOODGATE_TEST_REDIS_URL" info cpu |
        awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {print s}'
}

# Microseconds per EVALSHA since the last CONFIG RESETSTAT (INFO commandstats), 0 without Redis.
evalsha_usec() {
    if [ -z "${FLOODGATE_TEST_REDIS_URL:-}" ]; then
        echo 0
        return
    fi
    redis-cli -u "$FLOODGATE_TEST_REDIS_URL" info commandstats |
        tr -d '\r' | awk -F'usec_per_call=' '/^cmdstat_evalsha:/ {split($2, a, ","); print a[1]; found = 1} END {if (!found) print 0}'
}

# One wrk run: prints "requests cpu_us_per_request", and on Redis also Redis' CPU per
# request (µs) and its µs per EVALSHA (every script the server ran during the run).
measure() {
    local before after requests redis_before redis_after
    if [ -n "${FLOODGATE_TEST_REDIS_URL:-}" ]; then
        redis-cli -u "$FLOODGATE_TEST_REDIS_URL" config resetstat >/dev/null
    fi
    redis_before=$(redis_cpu)
    before=$(cpu_ticks)
    "$@" >"$OUT/wrk.txt"
    after=$(cpu_ticks)
    redis_after=$(redis_cpu)
    requests=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
    echo "$requests $(python3 -c "print(round(($after - $before) / $HZ * 1e6 / $requests, 2))")" \
        "$(python3 -c "print(round(($redis_after - $redis_before) * 1e6 / $requests, 2))")" \
        "$(evalsha_usec)"
}

start "$1"
EVENT=$("$TOOL" event "$URL" $((ROUNDS * $# * TOKENS_PER_ROUND)))
"$TOOL" tokens "$URL" "$DATA/signing-key.pem" "$EVENT" $((ROUNDS * $# * TOKENS_PER_ROUND)) "$OUT/tokens.txt"
stop

: >"$OUT/results.txt"
slice=0
for round in $(seq "$ROUNDS"); do
    for bin in "$@"; do
        start "$bin"
        sed -n "$((slice * TOKENS_PER_ROUND + 1)),$(((slice + 1) * TOKENS_PER_ROUND))p" "$OUT/tokens.txt" >"$OUT/round_tokens.txt"
        slice=$((slice + 1))
        wrk -t2 -c"$CONNECTIONS" -d1s "$URL/healthz" >/dev/null # warm-up
        echo "$bin healthz $(measure wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$URL/healthz")" | tee -a "$OUT/results.txt"
        if [ -n "${PERF:-}" ]; then
            # A profile of the server over the hold run (perf report -i OUT/perf-…).
            perf record -F 999 -p "$PID" -o "$OUT/perf-$slice.data" -- sleep "$SECONDS_PER_RUN" \
                >/dev/null 2>&1 &
            echo "$bin $OUT/perf-$slice.data" >>"$OUT/perf.txt"
        fi
        echo "$bin hold $(measure env WRK_MODE=hold TOKENS="$OUT/round_tokens.txt" WRK_THREADS=2 \
            wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s scripts/lib/wrk_checkout.lua \
            "$URL/api/v1/events/$EVENT/holds")" | tee -a "$OUT/results.txt"
        grep status "$OUT/wrk.txt" | tr '\n' ' ' >>"$OUT/statuses.txt"
        echo >>"$OUT/statuses.txt"
        if [ "${CONFIRMS:-0}" -gt 0 ]; then
            # Confirms of holds this process just made (a fan's second use of its token).
            "$TOOL" holds "$URL" "$EVENT" "$OUT/round_tokens.txt" "$CONFIRMS" "$OUT/holds.txt"
            echo "$bin confirm $(measure env WRK_MODE=confirm TOKENS="$OUT/holds.txt" WRK_THREADS=2 \
                wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s scripts/lib/wrk_checkout.lua "$URL")" | tee -a "$OUT/results.txt"
            grep status "$OUT/wrk.txt" | tr '\n' ' ' >>"$OUT/statuses.txt"
            echo >>"$OUT/statuses.txt"
        fi
        stop
    done
done
