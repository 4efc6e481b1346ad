#!/usr/bin/env bash
# Benchmarks of Floodgate, written to BENCHMARKS.md with the machine and commands.
# Builds release binaries and starts its own Redis and PostgreSQL (durable settings:
# fsync and synchronous_commit on) on loopback, like scripts/test.sh.
#
#   scripts/bench.sh                 every scenario
#   scripts/bench.sh crowd rush      only these (the others keep their last results)
#
# Scenarios: depth (criterion, waiting-room/benches/position.rs), seats (the
# 50,000-seat event on both backends, server/examples/seat_bench.rs), checkout (wrk
# and the bare limits), rush (Rush and Pace, loadgen) and crowd (100,000 sockets over
# six replicas, and the largest crowd of one embedded process) and web (the fan page
# in Chromium: bytes, first position, the 50,000-seat map, memory after ten minutes
# in a queue; web/bench/fan.mjs) and slow_readers (1,000 seat sockets that never read
# on a 1,000,000-seat event: the server's RSS; scripts/lib/bench_slow_readers.sh) and
# cluster (rush, crowd and several sales at once on one Redis and on a 3-master Redis
# Cluster, with each node's commands and CPU; scripts/lib/bench_cluster.sh) and eta
# (the wait estimates shown against the waits had, at a steady rate, at the opening and
# after a rate change; scripts/lib/bench_eta.sh) and line (the Redis queue store's
# scripts driven to 10,000 / 100,000 / 1,000,000 waiting fans in one event, every
# operation timed at each depth, with Redis memory and CPU; scripts/lib/bench_line.sh).
# Results are kept in
# $BENCH_OUT (default ~/.cache/floodgate/bench), one folder per scenario, and
# BENCHMARKS.md is rendered from all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/floodgate/target}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=scripts/lib/web.sh
source scripts/lib/web.sh
web_install_build

echo "==> building release binaries"
cargo build --release --locked -p server --bin floodgate --example seat_bench --example bench_tool
cargo build --release --locked -p loadgen
LOADGEN="$CARGO_TARGET_DIR/release/loadgen"
BENCH="$CARGO_TARGET_DIR/release/examples/seat_bench"
TOOL="$CARGO_TARGET_DIR/release/examples/bench_tool"
FLOODGATE="$CARGO_TARGET_DIR/release/floodgate"
# Benchmarks stop their servers with SIGTERM and wait: no load balancer to wait for.
export FLOODGATE_SHUTDOWN_DELAY_SECS=0

# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
services_start synchronous_commit=on
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
command -v openssl >/dev/null || apt_install openssl
# shellcheck source=scripts/lib/bench_server.sh
source scripts/lib/bench_server.sh
# shellcheck source=scripts/lib/bench_checkout.sh
source scripts/lib/bench_checkout.sh
# shellcheck source=scripts/lib/bench_rush.sh
source scripts/lib/bench_rush.sh
# shellcheck source=scripts/lib/bench_crowd.sh
source scripts/lib/bench_crowd.sh
# shellcheck source=scripts/lib/bench_slow_readers.sh
source scripts/lib/bench_slow_readers.sh
# shellcheck source=scripts/lib/bench_cluster.sh
source scripts/lib/bench_cluster.sh
# shellcheck source=scripts/lib/bench_eta.sh
source scripts/lib/bench_eta.sh
# shellcheck source=scripts/lib/bench_line.sh
source scripts/lib/bench_line.sh

ALL=(depth seats checkout rush crowd web slow_readers cluster eta line)
SECTIONS=("$@")
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=("${ALL[@]}")
for section in "${SECTIONS[@]}"; do
    [[ " ${ALL[*]} " == *" $section "* ]] || { echo "unknown scenario: $section (one of: ${ALL[*]})" >&2; exit 2; }
done
BENCH_OUT="${BENCH_OUT:-$HOME/.cache/floodgate/bench}"

for section in "${SECTIONS[@]}"; do
    out="$BENCH_OUT/$section"
    rm -rf "$out" && mkdir -p "$out"
    case $section in
    depth)
        echo "==> depth: position updates at 1k / 100k / 1M deep (criterion)"
        cargo bench --locked -p waiting-room --bench position -- --warm-up-time 1 --measurement-time 5 >/dev/null
        python3 - "$CARGO_TARGET_DIR/criterion/position" >"$out/depth.json" <<'PY'
import json, os, sys
root = sys.argv[1]
out = {}
for bench in sorted(os.listdir(root)):
    if bench == "report":
        continue
    for n in sorted(os.listdir(os.path.join(root, bench)), key=lambda x: int(x) if x.isdigit() else 0):
        path = os.path.join(root, bench, n, "new", "estimates.json")
        if os.path.exists(path):
            out.setdefault(bench, {})[n] = json.load(open(path))["median"]["point_estimate"]
print(json.dumps(out))
PY
        ;;
    seats)
        echo "==> seat_bench: embedded (memory + SQLite)"
        "$BENCH" >"$out/embedded.json"
        echo "==> seat_bench: Redis + PostgreSQL"
        "$BENCH" "$FLOODGATE_TEST_REDIS_URL" "$FLOODGATE_TEST_DATABASE_URL" >"$out/scaled.json"
        ;;
    checkout)
        echo "==> checkout: wrk on holds and confirms, floodgate on Redis + PostgreSQL"
        checkout_bench "$out"
        ;;
    rush)
        echo "==> rush and pace: loadgen against floodgate on Redis + PostgreSQL"
        rush_bench "$out"
        ;;
    crowd)
        echo "==> crowd: $CROWD_FANS sockets over $CROWD_REPLICAS replicas, then one embedded process"
        crowd_bench "$out"
        ;;
    cluster)
        echo "==> cluster: rush, crowd and $CLUSTER_EVENTS sales at once, on one Redis and on a 3-master Redis Cluster"
        cluster_bench "$out"
        ;;
    slow_readers)
        echo "==> slow_readers: $SLOW_SOCKETS never-reading seat sockets on a $SLOW_SEATS-seat event (embedded)"
        slow_readers_bench "$out"
        ;;
    eta)
        echo "==> eta: wait estimates against actual waits (steady, opening, rate change)"
        eta_bench "$out"
        ;;
    line)
        echo "==> line: the Redis queue store's scripts to $LINE_DEPTHS waiting fans (line_sim)"
        line_bench "$out"
        ;;
    web)
        echo "==> web: the fan page in Chromium (transfer, first position, 50,000-seat map, memory over ${WEB_BENCH_QUEUE_SECS:-600} s in a queue)"
        web_install_browser
        (cd web && FLOODGATE_BIN="$FLOODGATE" node --experimental-websocket bench/fan.mjs >"$out/web.json")
        ;;
    esac
    date -u '+%Y-%m-%d %H:%M UTC' >"$out/when.txt"
done

python3 scripts/lib/bench_report.py "$BENCH_OUT" >BENCHMARKS.md
echo "==> wrote BENCHMARKS.md"
