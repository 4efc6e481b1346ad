# The Rush and Pace scenarios of scripts/bench.sh (sourced; needs services_start,
# start_floodgate, $LOADGEN): one floodgate release process on Redis + PostgreSQL and
# loadgen playing RUSH_FANS fans that all arrive at once; the sale admits at
# PACE_RATE per minute, so admission runs for over a minute. Before the burst, wrk
# measures the same process's bare /healthz rate (RUSH_HEALTHZ_SECS), so a run's joins
# per second can be read against what the machine gave it (the two share its mood).
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
    "$LOADGEN" --url "$url" --fans "$RUSH_FANS" --rate-per-minute "$PACE_RATE" \
        --prequeue 0 --arrival burst --connect-rate 100000 --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/rush.json" 2>"$out/loadgen-rush.log" || {
        echo "loadgen exited with $? (see its report)" >&2
    }
    grep VmHWM "/proc/$pid/status" >"$out/rush_server_rss.txt" 2>/dev/null || true
    fg_metrics "$url/metrics" >"$out/rush_metrics.txt" || true
    redis-cli -p "$REDIS_PORT" info commandstats >"$out/rush_redis_commandstats.txt" || true
    redis-cli -p "$REDIS_PORT" slowlog get 64 >"$out/rush_redis_slowlog.txt" || true
    kill "$pid" && wait "$pid" || true
}
