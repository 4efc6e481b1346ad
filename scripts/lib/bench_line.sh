#!/usr/bin/env bash
# A line of millions, simulated (issue 19): loadgen's `line_sim` drives the Redis queue
# store's own scripts to LINE_DEPTHS waiting fans in one event on a Redis of its own
# (loopback, a free port, no persistence, maxmemory LINE_MAXMEMORY, noeviction), and
# prints a Markdown table and a JSON summary.
#
#   scripts/lib/bench_line.sh [out-dir] [line_sim flags...]   standalone (builds loadgen)
#   source it, then `line_bench <out-dir>`                     from scripts/bench.sh
#
# LINE_DEPTHS (default 10000,100000,1000000), LINE_PREQUEUE (10000), LINE_MAXMEMORY
# (8gb), LINE_REPS (7), LINE_SLOWLOG_US (Redis' slow log threshold, 100000: calls over
# 100 ms are kept in slowlog.txt, emptied at the opening, whose largest call is in its
# note); other line_sim flags after the out-dir (see line_sim --help).
# Refuses to start when the machine has less memory available than maxmemory + 2 GB.

LINE_DEPTHS="${LINE_DEPTHS:-10000,100000,1000000}"
LINE_PREQUEUE="${LINE_PREQUEUE:-10000}"
LINE_MAXMEMORY="${LINE_MAXMEMORY:-8gb}"
LINE_REPS="${LINE_REPS:-7}"
LINE_PORT=""
LINE_DIR=""

# line_redis_start <dir>: a Redis for the simulation alone; prints its port.
line_redis_start() {
    local dir=$1 port
    port=$(free_port)
    redis_start "$port" "$dir" --maxmemory "$LINE_MAXMEMORY" --maxmemory-policy noeviction \
        --slowlog-log-slower-than "${LINE_SLOWLOG_US:-100000}" --slowlog-max-len 4096 || return 1
    echo "$port"
}

# line_memory_check: fails when MemAvailable is below maxmemory + 2 GB.
line_memory_check() {
    local want_kb avail_kb
    want_kb=$(python3 -c "import sys; s=sys.argv[1].lower(); u={'kb':1,'mb':1024,'gb':1024**2}; n=[k for k in u if s.endswith(k)]; print(int(float(s[:-2])*u[n[0]]) if n else int(s)//1024)" "$LINE_MAXMEMORY")
    want_kb=$((want_kb + 2 * 1024 * 1024))
    avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    if [ "$avail_kb" -lt "$want_kb" ]; then
        echo "bench_line: $((avail_kb / 1024)) MB available, $((want_kb / 1024)) MB wanted (LINE_MAXMEMORY=$LINE_MAXMEMORY + 2 GB)" >&2
        return 1
    fi
}

# line_bench <out-dir> [line_sim flags...]: runs the simulation; writes line.md (the
# tables), line.json, redis-info.txt (INFO at the end) and machine.txt into out-dir.
line_bench() {
    local out=$1
    shift
    local sim="${LINE_SIM:-$CARGO_TARGET_DIR/release/line_sim}"
    line_memory_check || return 1
    local port status=0
    LINE_DIR=$(mktemp -d /tmp/floodgate-line.XXXXXX)
    port=$(line_redis_start "$LINE_DIR") || { line_stop; return 1; }
    LINE_PORT=$port
    {
        echo "$(nproc) cores, $(awk '/^MemTotal:/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(redis-server --version | cut -d' ' -f3)"
        echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "command: line_sim --redis-url redis://127.0.0.1:PORT --depths $LINE_DEPTHS --prequeue $LINE_PREQUEUE --reps $LINE_REPS $*"
    } >"$out/machine.txt"
    "$sim" --redis-url "redis://127.0.0.1:$port" --depths "$LINE_DEPTHS" --prequeue "$LINE_PREQUEUE" \
        --reps "$LINE_REPS" --json "$out/line.json" "$@" >"$out/line.md" || status=$?
    redis-cli -p "$port" info all >"$out/redis-info.txt" 2>&1 || true
    redis-cli -p "$port" slowlog get 256 >"$out/slowlog.txt" 2>&1 || true
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
    line_stop
    return $status
}

# line_stop: stops the simulation's Redis and removes its directory.
line_stop() {
    [ -n "${LINE_PORT:-}" ] && redis-cli -p "$LINE_PORT" shutdown nosave >/dev/null 2>&1 || true
    [ -n "${LINE_DIR:-}" ] && rm -rf "$LINE_DIR"
    LINE_PORT="" LINE_DIR=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "$0")/../.."
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/floodgate/target}"
    # redis_start and free_port (sourced by scripts/bench.sh already in the other case).
    # shellcheck source=scripts/lib/services.sh
    source scripts/lib/services.sh
    out="${1:-$HOME/.cache/floodgate/bench/line}"
    shift || true
    mkdir -p "$out"
    trap line_stop EXIT
    command -v redis-server >/dev/null || { echo "bench_line: redis-server is not installed" >&2; exit 1; }
    cargo build --release --locked -p loadgen --bin line_sim
    line_bench "$out" "$@"
    cat "$out/line.md"
fi
