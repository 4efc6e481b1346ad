# The Checkout scenario of scripts/bench.sh (sourced; needs services_start, $TOOL,
# start_floodgate): one floodgate release binary on Redis + PostgreSQL, wrk with a Lua body
# script on the hold endpoint and on confirm, and the bare limits beside them
# (wrk on /healthz, redis-benchmark EVALSHA of the hold script).

export FLOODGATE_ADMIN_EMAIL=bench@floodgate.test FLOODGATE_ADMIN_PASSWORD=bench-password
BENCH_SECONDS="${BENCH_SECONDS:-10}"
HOLD_SEATS="${HOLD_SEATS:-300000}"
CONFIRMS="${CONFIRMS:-90000}"
CHECKOUT_FANS="${CHECKOUT_FANS:-20000}"

checkout_bench() {
    local out=$1 data url pid
    start_floodgate checkout "$out"
    data=$FG_DATA url=$FG_URL pid=$FG_PID

    local holds_event confirm_event script_event
    holds_event=$("$TOOL" event "$url" "$HOLD_SEATS")
    "$TOOL" tokens "$url" "$data/signing-key.pem" "$holds_event" "$HOLD_SEATS" "$out/tokens.txt"
    echo "    wrk: holds for ${BENCH_SECONDS}s" >&2
    WRK_MODE=hold TOKENS="$out/tokens.txt" WRK_THREADS=2 wrk -t2 -c64 -d"${BENCH_SECONDS}s" --latency \
        -s scripts/lib/wrk_checkout.lua "$url/api/v1/events/$holds_event/holds" >"$out/wrk_hold.txt"

    confirm_event=$("$TOOL" event "$url" "$CONFIRMS")
    "$TOOL" tokens "$url" "$data/signing-key.pem" "$confirm_event" "$CONFIRMS" "$out/confirm_tokens.txt"
    "$TOOL" holds "$url" "$confirm_event" "$out/confirm_tokens.txt" "$CONFIRMS" "$out/holds.txt"
    local started ended
    started=$(date +%s.%N)
    echo "    wrk: confirms for ${BENCH_SECONDS}s" >&2
    WRK_MODE=confirm TOKENS="$out/holds.txt" WRK_THREADS=2 wrk -t2 -c64 -d"${BENCH_SECONDS}s" --latency \
        -s scripts/lib/wrk_checkout.lua "$url" >"$out/wrk_confirm.txt"
    ended=$(date +%s.%N)
    # First-time confirms (orders written) per second, from the database itself.
    as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc \
        "SELECT count(*) FROM orders WHERE event_id = '$confirm_event'" bench_checkout >"$out/orders.txt"
    echo "$started $ended" >"$out/confirm_window.txt"

    echo "    bare limits: wrk /healthz, redis-benchmark EVALSHA hold.lua" >&2
    wrk -t2 -c64 -d"${BENCH_SECONDS}s" --latency "$url/healthz" >"$out/wrk_healthz.txt"
    # 1,000,000 seats: __rand_int__ (0..999,999) picks the seat (a seat already held
    # is refused, as in a real rush) and, three times over, the hold id.
    script_event=$("$TOOL" event "$url" 1000000)
    # shellcheck disable=SC2046
    redis-benchmark -p "$REDIS_PORT" -c 50 -n 200000 -r 1000000 --csv \
        $("$TOOL" hold-command "$FLOODGATE_TEST_REDIS_URL" checkout "$script_event") >"$out/redis_hold.csv"

    # loadgen on the same endpoints, beside wrk: every fan pre-queued, all admitted at
    # the opening at once, each holding one best-available seat and confirming.
    echo "    loadgen: $CHECKOUT_FANS fans admitted at once, holding and confirming" >&2
    "$LOADGEN" --url "$url" --fans "$CHECKOUT_FANS" --prequeue 1 --seats $((2 * CHECKOUT_FANS)) \
        --quantity 1 --hold-mode best --rate-per-minute $((60 * CHECKOUT_FANS)) \
        --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/loadgen_checkout.json" 2>"$out/loadgen-checkout.log" || {
        echo "loadgen exited with $? (see its report)" >&2
    }

    kill "$pid" && wait "$pid" || true
}
