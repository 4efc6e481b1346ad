#!/usr/bin/env bash
# Every check and test of Floodgate, the one command CI runs (.ci/run):
#   cargo fmt --check, cargo clippy -D warnings, and the workspace tests against both
#   queue stores (in-memory, Redis) and both databases (SQLite, PostgreSQL).
# Redis and PostgreSQL are started here, on free loopback ports in a temporary
# directory (installed with apt-get where missing), and stopped on every exit path.
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p waiting-room).
set -euo pipefail
cd "$(dirname "$0")/.."

# Keep the build outside the clone so a later run on the same machine rebuilds little.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/floodgate/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# 1,000-fan tests hold two sockets per fan in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> starting Redis and PostgreSQL"
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
# fsync off: test databases are throwaway; durability tests kill processes, not the OS.
services_start fsync=off
export FLOODGATE_TEST_REQUIRE_SERVICES=1

echo "==> cargo test"
cargo test --workspace --locked "$@"
echo "==> all tests passed"
