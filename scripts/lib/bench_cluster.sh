# The Cluster scenario of scripts/bench.sh (sourced; needs services_start, which
# starts a single Redis and a Redis Cluster of 3 masters + 3 replicas, start_floodgate
# and $LOADGEN): the same loads on the single Redis and on the cluster, side by side.
#   rush    one event, CLUSTER_RUSH_FANS fans arriving at once, admission paced;
#   crowd   CLUSTER_CROWD_FANS fans waiting on CLUSTER_CROWD_REPLICAS replicas;
#   events  CLUSTER_EVENTS sales at once (one loadgen each), on two replicas.
# Around each run every Redis node's commands processed and CPU seconds are read
# (INFO), so the report can say what each fan costs in Redis operations and how the
# work spread over the cluster's masters.
CLUSTER_RUSH_FANS="${CLUSTER_RUSH_FANS:-10000}"
CLUSTER_RUSH_RATE="${CLUSTER_RUSH_RATE:-12000}"
CLUSTER_CROWD_FANS="${CLUSTER_CROWD_FANS:-30000}"
CLUSTER_CROWD_REPLICAS="${CLUSTER_CROWD_REPLICAS:-3}"
CLUSTER_CROWD_SECS="${CLUSTER_CROWD_SECS:-40}"
CLUSTER_EVENTS="${CLUSTER_EVENTS:-3}"
CLUSTER_EVENT_FANS="${CLUSTER_EVENT_FANS:-4000}"
CLUSTER_EVENT_RATE="${CLUSTER_EVENT_RATE:-6000}"

# The host:port of every Redis node behind URL (a cluster's masters and replicas, each
# tagged), one per line: "role host:port".
redis_nodes() {
    local url=$1 seed
    seed=$(echo "$url" | sed -E 's#^[a-z+]+://##; s#[/?].*$##; s#,.*$##')
    if redis-cli -h "${seed%:*}" -p "${seed#*:}" cluster info 2>/dev/null | grep -q cluster_state; then
        redis-cli -h "${seed%:*}" -p "${seed#*:}" cluster nodes |
            awk '{split($2, a, "@"); role = ($3 ~ /master/) ? "master" : "replica"; print role, a[1]}' | sort
    else
        echo "master $seed"
    fi
}

# Appends "tag role host:port commands cpu_seconds" for every node to FILE.
redis_counters() {
    local file=$1 tag=$2 url=$3 role node
    while read -r role node; do
        redis-cli -h "${node%:*}" -p "${node#*:}" info all | tr -d '\r' | awk -v tag="$tag" -v role="$role" -v node="$node" -F: '
            $1 == "total_commands_processed" {c = $2}
            $1 == "used_cpu_sys" {s = $2} $1 == "used_cpu_user" {u = $2}
            END {printf "%s %s %s %d %.3f\n", tag, role, node, c, s + u}' >>"$file"
    done < <(redis_nodes "$url")
}

cluster_rush() {
    local out=$1 kind=$2 url=$3
    FG_REDIS_URL=$url start_floodgate "rush-$kind" "$out" "crush$kind"
    local pid=$FG_PID
    redis_counters "$out/redis.txt" "rush-$kind-before" "$url"
    "$LOADGEN" --url "$FG_URL" --fans "$CLUSTER_RUSH_FANS" --rate-per-minute "$CLUSTER_RUSH_RATE" \
        --prequeue 0 --arrival burst --connect-rate 100000 --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/rush-$kind.json" 2>"$out/loadgen-rush-$kind.log" || echo "loadgen exited with $? (see its report)" >&2
    redis_counters "$out/redis.txt" "rush-$kind-after" "$url"
    kill "$pid" && wait "$pid" || true
}

cluster_crowd() {
    local out=$1 kind=$2 url=$3 i entries=() urls=()
    openssl genpkey -algorithm ed25519 -out "$out/key-$kind.pem" 2>/dev/null
    for i in $(seq "$CLUSTER_CROWD_REPLICAS"); do
        FG_REDIS_URL=$url TOKIO_WORKER_THREADS=2 FLOODGATE_SIGNING_KEY="$out/key-$kind.pem" FLOODGATE_MAX_SOCKETS=19500 \
            start_floodgate "crowd-$kind-$i" "$out" "ccrowd$kind"
        entries+=("$FG_PID@$FG_URL")
        urls+=(--url "$FG_URL")
    done
    redis_counters "$out/redis.txt" "crowd-$kind-before" "$url"
    date +%s.%N >"$out/crowd-$kind-start.txt"
    "$LOADGEN" "${urls[@]}" --fans "$CLUSTER_CROWD_FANS" --prequeue 0 --arrival ramp --ramp-secs 15 \
        --connect-rate 100000 --duration-secs "$CLUSTER_CROWD_SECS" --rate-per-minute 600 \
        --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
        --json --quiet >"$out/crowd-$kind.json" 2>"$out/loadgen-crowd-$kind.log" || echo "loadgen (crowd) exited with $?" >&2
    date +%s.%N >"$out/crowd-$kind-end.txt"
    redis_counters "$out/redis.txt" "crowd-$kind-after" "$url"
    i=0
    for entry in "${entries[@]}"; do
        i=$((i + 1))
        fg_metrics "${entry#*@}/metrics" >"$out/crowd-$kind-metrics-$i.txt" || true
        kill "${entry%%@*}" 2>/dev/null || true
    done
    for entry in "${entries[@]}"; do wait "${entry%%@*}" 2>/dev/null || true; done
}

cluster_events() {
    local out=$1 kind=$2 url=$3 i pids=() urls=() servers=()
    openssl genpkey -algorithm ed25519 -out "$out/ekey-$kind.pem" 2>/dev/null
    for i in 1 2; do
        FG_REDIS_URL=$url FLOODGATE_SIGNING_KEY="$out/ekey-$kind.pem" start_floodgate "events-$kind-$i" "$out" "cevents$kind"
        servers+=("$FG_PID")
        urls+=(--url "$FG_URL")
    done
    redis_counters "$out/redis.txt" "events-$kind-before" "$url"
    date +%s.%N >"$out/events-$kind-start.txt"
    for i in $(seq "$CLUSTER_EVENTS"); do
        "$LOADGEN" "${urls[@]}" --fans "$CLUSTER_EVENT_FANS" --rate-per-minute "$CLUSTER_EVENT_RATE" \
            --prequeue 0 --arrival burst --connect-rate 100000 --patient 1 --abandon 0 --reconnect 0 --tabs 0 --misbehave 0 \
            --seed "$i" --json --quiet >"$out/events-$kind-$i.json" 2>"$out/loadgen-events-$kind-$i.log" &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || echo "loadgen (events) exited with non-zero status" >&2; done
    date +%s.%N >"$out/events-$kind-end.txt"
    redis_counters "$out/redis.txt" "events-$kind-after" "$url"
    for i in "${servers[@]}"; do kill "$i" 2>/dev/null || true; done
    for i in "${servers[@]}"; do wait "$i" 2>/dev/null || true; done
}

cluster_bench() {
    local out=$1
    : >"$out/redis.txt"
    [ -n "${FLOODGATE_TEST_REDIS_CLUSTER_URL:-}" ] || { echo "no Redis Cluster started" >&2; return 1; }
    redis_nodes "$FLOODGATE_TEST_REDIS_CLUSTER_URL" >"$out/cluster-nodes.txt"
    local kind url
    for kind in single cluster; do
        url=$FLOODGATE_TEST_REDIS_URL
        [ "$kind" = cluster ] && url=$FLOODGATE_TEST_REDIS_CLUSTER_URL
        echo "    rush on $kind Redis: $CLUSTER_RUSH_FANS fans at once" >&2
        cluster_rush "$out" "$kind" "$url"
        echo "    crowd on $kind Redis: $CLUSTER_CROWD_FANS fans over $CLUSTER_CROWD_REPLICAS replicas" >&2
        cluster_crowd "$out" "$kind" "$url"
        echo "    $CLUSTER_EVENTS sales at once on $kind Redis, $CLUSTER_EVENT_FANS fans each" >&2
        cluster_events "$out" "$kind" "$url"
    done
}
