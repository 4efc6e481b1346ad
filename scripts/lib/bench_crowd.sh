# The Crowd scenario of scripts/bench.sh (sourced; needs services_start,
# start_floodgate, $LOADGEN): CROWD_FANS fans waiting at once on CROWD_REPLICAS
# floodgate processes sharing one Redis and one PostgreSQL (one process holds at most
# ~20,000 open files here), the queue moving every second so every fan gets a
# position update each tick. Records each replica's RSS and open sockets every second
# (memory per socket) and its /metrics at the end (the tick fan-out histogram). Then
# the largest crowd one embedded process holds (memory store + SQLite).
CROWD_FANS="${CROWD_FANS:-100000}"
CROWD_REPLICAS="${CROWD_REPLICAS:-6}"
CROWD_RAMP_SECS="${CROWD_RAMP_SECS:-25}"
CROWD_HOLD_SECS="${CROWD_HOLD_SECS:-35}"
CROWD_RATE="${CROWD_RATE:-6000}"
# Worker threads per replica (tokio's TOKIO_WORKER_THREADS; more replicas than cores).
CROWD_SERVER_THREADS="${CROWD_SERVER_THREADS:-2}"
# CPU hogs (`yes`) running beside the crowd, to see it on a busy machine (issue 16: a
# busy Redis must slow the crowd down, not fail it). 0: none.
CROWD_HOGS="${CROWD_HOGS:-0}"
# One process may hold 20,000 files: 19,900 sockets leaves room for its listener,
# database and store connections. Admission is slow so the crowd stays.
SOLO_FANS="${SOLO_FANS:-19900}"
SOLO_RATE="${SOLO_RATE:-300}"

# Samples "unix_seconds rss_kb sockets" per replica every second while PID lives.
sample_servers() {
    local file=$1 watch=$2
    shift 2
    while kill -0 "$watch" 2>/dev/null; do
        local now
        now=$(date +%s.%N)
        for entry in "$@"; do
            local pid=${entry%%@*} url=${entry#*@} rss sockets
            rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            sockets=$( (fg_metrics --max-time 2 "$url/metrics" || true) |
                awk '$1 == "floodgate_queue_sockets" {print $2}')
            echo "$now $pid ${rss:-0} ${sockets:-0}" >>"$file"
        done
        sleep 1
    done
}

# Runs loadgen (FANS fans, admission RATE per minute) against the given servers
# ("pid@url" entries) and samples them.
crowd_run() {
    local out=$1 tag=$2 fans=$3 rate=$4
    shift 4
    local urls=() entry
    for entry in "$@"; do urls+=(--url "${entry#*@}"); done
    "$LOADGEN" "${urls[@]}" --fans "$fans" --prequeue 0 --arrival ramp \
        --ramp-secs "$CROWD_RAMP_SECS" --connect-rate 100000 \
        --duration-secs $((CROWD_RAMP_SECS + CROWD_HOLD_SECS)) --rate-per-minute "$rate" \
        --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/$tag.json" 2>"$out/loadgen-$tag.log" &
    local lg=$!
    sample_servers "$out/$tag-samples.txt" "$lg" "$@"
    wait "$lg" || echo "loadgen ($tag) exited with $? (see its report)" >&2
    local i=0
    for entry in "$@"; do
        i=$((i + 1))
        fg_metrics "${entry#*@}/metrics" >"$out/$tag-metrics-$i.txt" || true
        grep VmHWM "/proc/${entry%%@*}/status" >"$out/$tag-hwm-$i.txt" 2>/dev/null || true
    done
}

crowd_bench() {
    local out=$1 i entries=() hogs=()
    for _ in $(seq "$CROWD_HOGS"); do
        yes >/dev/null &
        hogs+=($!)
    done
    echo "$CROWD_HOGS" >"$out/hogs.txt"
    : >"$out/crowd-samples.txt"
    openssl genpkey -algorithm ed25519 -out "$out/crowd-key.pem" 2>/dev/null
    echo "$CROWD_SERVER_THREADS" >"$out/threads.txt"
    for i in $(seq "$CROWD_REPLICAS"); do
        TOKIO_WORKER_THREADS="$CROWD_SERVER_THREADS" \
            FLOODGATE_SIGNING_KEY="$out/crowd-key.pem" FLOODGATE_MAX_SOCKETS=19500 \
            start_floodgate "crowd$i" "$out" crowd
        entries+=("$FG_PID@$FG_URL")
    done
    echo "    loadgen: $CROWD_FANS fans over $CROWD_REPLICAS replicas (ramp ${CROWD_RAMP_SECS}s, then ${CROWD_HOLD_SECS}s waiting)" >&2
    crowd_run "$out" crowd "$CROWD_FANS" "$CROWD_RATE" "${entries[@]}"
    for entry in "${entries[@]}"; do kill "${entry%%@*}" 2>/dev/null || true; done
    for entry in "${entries[@]}"; do wait "${entry%%@*}" 2>/dev/null || true; done

    : >"$out/solo-samples.txt"
    start_floodgate_embedded solo "$out"
    echo "    loadgen: $SOLO_FANS fans on one embedded process" >&2
    crowd_run "$out" solo "$SOLO_FANS" "$SOLO_RATE" "$FG_PID@$FG_URL"
    kill "$FG_PID" && wait "$FG_PID" || true
    for i in "${hogs[@]}"; do kill "$i" 2>/dev/null || true; done
}
