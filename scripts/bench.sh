#!/usr/bin/env bash
# Benchmarks of Floodgate, written to BENCHMARKS.md with the machine and commands.
# Builds release binaries and starts its own Redis and PostgreSQL (durable settings:
# fsync and synchronous_commit on) on loopback, like scripts/test.sh.
#
# Today: the 50,000-seat checkout benchmark on both backends (server/examples/seat_bench.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/floodgate/target}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "==> building release binaries"
cargo build --release --locked -p server --bin floodgate --example seat_bench
BENCH="$CARGO_TARGET_DIR/release/examples/seat_bench"

# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
services_start synchronous_commit=on

out=$(mktemp -d)
echo "==> seat_bench: embedded (memory + SQLite)"
"$BENCH" >"$out/embedded.json"
echo "==> seat_bench: Redis + PostgreSQL"
"$BENCH" "$FLOODGATE_TEST_REDIS_URL" "$FLOODGATE_TEST_DATABASE_URL" >"$out/scaled.json"

python3 scripts/lib/bench_report.py "$out" >BENCHMARKS.md
rm -rf "$out"
echo "==> wrote BENCHMARKS.md"
