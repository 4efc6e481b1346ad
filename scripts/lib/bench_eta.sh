#!/usr/bin/env bash
# The Estimates scenario of scripts/bench.sh (issue 17; sourced, needs services_start,
# start_floodgate, $LOADGEN), also runnable on its own after a release build:
#
#   scripts/lib/bench_eta.sh [OUT]      (default OUT: ~/.cache/floodgate/bench/eta)
#
# Three loadgen runs against one floodgate release process on Redis + PostgreSQL, each
# ETA_FANS fans (default 2,000; 80% patient, 10% give up, 10% drop and reconnect), each
# fan recording the wait estimate and range it was shown at join (or at the opening)
# and each minute after, against its actual wait; a few minutes in all:
# - steady:  fans arrive over 40 s, admission at 1,200/min (the line builds and drains);
# - opening: every fan in the pre-queue, admission at 1,200/min from the opening;
# - change:  every fan at once at 600/min; at 20 s the admin PATCHes the rate to 1,800/min.
# Writes OUT/{steady,opening,change}.json (loadgen reports) and OUT/eta.md (the table).

export FLOODGATE_ADMIN_EMAIL=bench@floodgate.test FLOODGATE_ADMIN_PASSWORD=bench-password
ETA_FANS="${ETA_FANS:-2000}"

eta_bench() {
    local out=$1 common
    start_floodgate eta "$out"
    # Seats for everyone (one each), so the sale never sells out into a waitlist.
    common=(--url "$FG_URL" --fans "$ETA_FANS" --seats $((ETA_FANS + 200)) --quantity 1
        --patient 80 --abandon 10 --reconnect 10 --tabs 0 --misbehave 0
        --abandon-after-secs 30 --duration-secs 240 --json --quiet)
    echo "    eta steady: $ETA_FANS fans over 40 s, 1,200/min" >&2
    "$LOADGEN" "${common[@]}" --rate-per-minute 1200 --prequeue 0 --arrival ramp --ramp-secs 40 \
        >"$out/steady.json" 2>"$out/loadgen-steady.log" || echo "loadgen steady exited with $?" >&2
    echo "    eta opening: $ETA_FANS fans in the pre-queue, 1,200/min" >&2
    "$LOADGEN" "${common[@]}" --rate-per-minute 1200 --prequeue 1 \
        >"$out/opening.json" 2>"$out/loadgen-opening.log" || echo "loadgen opening exited with $?" >&2
    echo "    eta change: $ETA_FANS fans at once, 600/min then 1,800/min at 20 s" >&2
    "$LOADGEN" "${common[@]}" --rate-per-minute 600 --prequeue 0 --arrival burst \
        --rate-change-at-secs 20 --rate-change-to 1800 \
        >"$out/change.json" 2>"$out/loadgen-change.log" || echo "loadgen change exited with $?" >&2
    kill "$FG_PID" && wait "$FG_PID" || true
    eta_table "$out" >"$out/eta.md"
}

# The Markdown table of OUT's three reports.
eta_table() {
    python3 - "$1" <<'PY'
import json, os, sys
out = sys.argv[1]
rows = []
def pct(v): return f"{100 * v:.1f}%"
def row(name, a):
    if not a or not a.get("fans"):
        return f"| {name} | — | — | — | — | — | — | 0 |"
    return (f"| {name} | {pct(a['inside_range'])} | {pct(a['within_10pct'])} | {pct(a['within_10pct_or_2s'])} "
            f"| {100 * a['median_error']:+.1f}% | {100 * a['median_width']:.0f}% | {a['median_wait_secs']:.0f} s | {a['fans']} |")
print("| scenario: estimates shown | inside the range | within ±10% | within ±10% or 2 s | median error | median range width | median wait | fans |")
print("|---|---|---|---|---|---|---|---|")
for name, label in (("steady", "steady rate"), ("opening", "the opening"), ("change", "rate change")):
    path = os.path.join(out, f"{name}.json")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    e = r.get("estimates", {})
    if name == "change":
        print(row(f"{label}: first shown ≥ 2 s after the PATCH", e.get("after_rate_change")))
        print(row(f"{label}: at join (before the PATCH)", e.get("at_join")))
    else:
        print(row(f"{label}: at join", e.get("at_join")))
    print(row(f"{label}: each later minute", e.get("each_minute")))
PY
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    cd "$(dirname "$0")/../.."
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/floodgate/target}"
    LOADGEN="$CARGO_TARGET_DIR/release/loadgen"
    FLOODGATE="$CARGO_TARGET_DIR/release/floodgate"
    export FLOODGATE_SHUTDOWN_DELAY_SECS=0
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    # shellcheck source=scripts/lib/services.sh
    source scripts/lib/services.sh
    FLOODGATE_SERVICES_CLUSTER=0 services_start synchronous_commit=on
    # shellcheck source=scripts/lib/bench_server.sh
    source scripts/lib/bench_server.sh
    out="${1:-${BENCH_OUT:-$HOME/.cache/floodgate/bench}/eta}"
    rm -rf "$out" && mkdir -p "$out"
    eta_bench "$out"
    date -u '+%Y-%m-%d %H:%M UTC' >"$out/when.txt"
    cat "$out/eta.md"
fi
