# The Rush and Pace scenarios of scripts/bench.sh (sourced; needs services_start,
# start_floodgate, $LOADGEN): one floodgate release process on Redis + PostgreSQL and
# loadgen playing RUSH_FANS fans that all arrive at once; the sale admits at
# PACE_RATE per minute, so admission runs for over a minute. Before the burst, wrk
# measures the same process's bare /healthz rate (RUSH_HEALTHZ_SECS), so a run's joins
# per second can be read against what the machine gave it (the two share its mood).
# While loadgen runs, a sampler writes the server's, loadgen's and Redis' CPU every
# 0.2 s (rush_cpu.tsv); scripts/lib/rush_cpu.py reads it over loadgen's span of joins
# (first arrival to last `queued`) as CPU per join (rush_cpu.json), with the run's
# `join` and `status` store calls.
RUSH_FANS="${RUSH_FANS:-15000}"
PACE_RATE="${PACE_RATE:-12000}"
RUSH_HEALTHZ_SECS="${RUSH_HEALTHZ_SECS:-5}"

rush_bench() {
    local out=$1 url pid
    start_floodgate rush "$out"
    url=$FG_URL pid=$FG_PID
    echo "    wrk: bare /healthz for ${RUSH_HEALTHZ_SECS}s" >&2
    wrk -t2 -c64 -d"${RUSH_HEALTHZ_SECS}s" --latency "$url/healthz" >"$out/rush_healthz.txt"
    # Redis' view of the burst: its calls over 10 ms, and the per-command CPU.
    redis-cli -p "$REDIS_PORT" config set slowlog-log-slower-than 10000 >/dev/null
    redis-cli -p "$REDIS_PORT" slowlog reset >/dev/null
    redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
    echo "    loadgen: $RUSH_FANS fans at once, admission $PACE_RATE/min" >&2
    local redis_pid lg_pid sampler rc=0
    redis_pid=$(redis-cli -p "$REDIS_PORT" info server | tr -d '\r' | sed -n 's/^process_id://p')
    # shellcheck disable=SC2086 # RUSH_LOADGEN_ARGS: extra flags, split on purpose
    "$LOADGEN" --url "$url" --fans "$RUSH_FANS" --rate-per-minute "$PACE_RATE" \
        --prequeue 0 --arrival burst --connect-rate 100000 --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        ${RUSH_LOADGEN_ARGS:-} --json --quiet >"$out/rush.json" 2>"$out/loadgen-rush.log" &
    lg_pid=$!
    rush_cpu_sampler "$pid" "$lg_pid" "$redis_pid" >"$out/rush_cpu.tsv" &
    sampler=$!
    wait "$lg_pid" || rc=$?
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    [ "$rc" = 0 ] || echo "loadgen exited with $rc (see its report)" >&2
    grep VmHWM "/proc/$pid/status" >"$out/rush_server_rss.txt" 2>/dev/null || true
    fg_metrics "$url/metrics" >"$out/rush_metrics.txt" || true
    redis-cli -p "$REDIS_PORT" info commandstats >"$out/rush_redis_commandstats.txt" || true
    redis-cli -p "$REDIS_PORT" slowlog get 64 >"$out/rush_redis_slowlog.txt" || true
    python3 scripts/lib/rush_cpu.py "$out" >"$out/rush_cpu.json" || true
    kill "$pid" && wait "$pid" || true
}

# Every 0.2 s while LOADGEN_PID lives: unix ms, and the utime+stime (clock ticks) of
# SERVER_PID, LOADGEN_PID and REDIS_PID.
rush_cpu_sampler() {
    local server=$1 loadgen=$2 redis=$3 stat
    while kill -0 "$loadgen" 2>/dev/null; do
        stat=$(cat "/proc/$server/stat" "/proc/$loadgen/stat" "/proc/$redis/stat" 2>/dev/null) || break
        echo "$(date +%s%3N) $(awk '{printf "%d ", $14 + $15}' <<<"$stat")"
        sleep 0.2
    done
}
