#!/usr/bin/env bash
# Every check and test of Floodgate, the one command CI runs (.ci/run):
#   cargo fmt --check, cargo clippy -D warnings, no import circles between modules
#   (scripts/lib/module_cycles.py), the deployment files (scripts/lib/check_deploy.sh:
#   k8s/ overlays, Dockerfile, docker-compose.yml, the dashboard), the workspace tests
#   against both queue stores (in-memory, Redis) and both databases (SQLite,
#   PostgreSQL), Schemathesis against the served OpenAPI document
#   (scripts/lib/schemathesis.sh), the unit tests of the web pages' pure modules
#   (`node --test`, web/test/), and the browser tests of the web pages (Playwright
#   driving Debian's Chromium against the real floodgate binary).
# Redis and PostgreSQL are started here, on free loopback ports in a temporary
# directory (installed with apt-get where missing), and stopped on every exit path.
# Node.js/npm (the web build), Chromium and nginx (the gate test, server/tests/api/gate.rs,
# runs its own) are installed with apt-get where missing.
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p waiting-room); with
# FLOODGATE_SKIP_WEB_TESTS=1, or with arguments, the browser tests are skipped.
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

# shellcheck source=scripts/lib/web.sh
source scripts/lib/web.sh
web_install_build

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> import circles"
# The checker first proves it still rejects circles (fixtures), then checks each crate.
python3 scripts/lib/module_cycles.py --self-test
python3 scripts/lib/module_cycles.py server/src loadgen/src waiting-room/src
# The independent Python check of the pre-queue draw (docs/FAIRNESS.md): its known
# values and tamper checks; server/tests/api/shuffle.rs runs it against a live sale.
python3 scripts/lib/verify_draw.py --self-test

echo "==> web unit tests (node --test web/test: reducers, layout, back-off, routes, forms)"
(cd web && node --test test/*.test.mjs)

echo "==> deployment files"
scripts/lib/check_deploy.sh  # k8s overlays, Dockerfile, compose file, dashboard (+ self-test)

echo "==> starting Redis and PostgreSQL"
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
# fsync off: test databases are throwaway; durability tests kill processes, not the OS.
services_start fsync=off
export FLOODGATE_TEST_REQUIRE_SERVICES=1

echo "==> cargo test"
cargo test --workspace --locked "$@"

if [ $# -eq 0 ]; then
    echo "==> schemathesis (the served OpenAPI document, as a fan and as an admin, both backends)"
    cargo build -p server --bin floodgate --locked
    # shellcheck source=scripts/lib/schemathesis.sh
    source scripts/lib/schemathesis.sh
    schemathesis_run "$CARGO_TARGET_DIR/debug/floodgate"
fi

if [ "${FLOODGATE_SKIP_WEB_TESTS:-0}" != 1 ] && [ $# -eq 0 ]; then
    echo "==> browser tests (Playwright + Chromium)"
    web_install_browser
    cargo build -p server --bin floodgate --locked
    (cd web && FLOODGATE_BIN="$CARGO_TARGET_DIR/debug/floodgate" npx --no-install playwright test)
fi
echo "==> all tests passed"
