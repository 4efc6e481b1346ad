#!/usr/bin/env bash
# Redis CPU per waiting fan (issue 19, BENCHMARKS.md "Issue 19: presence per replica"):
# runs builds of waiting-room's `presence_cpu` example (N fans waiting on one room,
# the room's loop running, INFO cpu/commandstats over a steady window) against one
# throwaway Redis, alternated round by round so the machine's mood hits each alike.
# Bounded: every run joins N fans, measures one window and exits (timeout 600 s).
#
#   cargo build -p waiting-room --example presence_cpu   # once per build to compare,
#   cp target/debug/examples/presence_cpu /tmp/after      # a copy of each
#   scripts/lib/presence_cpu.sh 20000 2 /tmp/before /tmp/after
#
# Arguments: fans, rounds, then the example binaries. WINDOW (30) and WARM_UP (12)
# seconds from the environment.
set -euo pipefail
if [ "$#" -lt 3 ]; then
    echo "usage: $0 FANS ROUNDS BINARY..." >&2
    exit 2
fi
fans=$1
rounds=$2
shift 2
# shellcheck source=scripts/lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
FLOODGATE_SERVICES_CLUSTER=0 services_start fsync=off >/dev/null
for round in $(seq "$rounds"); do
    for bin in "$@"; do
        echo "== $(basename "$bin") round $round"
        timeout 600 "$bin" "$fans" "${WINDOW:-30}" "${WARM_UP:-12}"
    done
done
