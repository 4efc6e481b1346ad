#!/usr/bin/env bash
# Stranded seats at the end of a sale: one floodgate on the embedded default and
# loadgen selling a venue (2,000 fans, 1,000 seats in rows of 20) until it is over,
# then the seats left free and those no buyer of --quantity seats could use.
#   FLOODGATE=path/to/floodgate LOADGEN=path/to/loadgen \
#     scripts/lib/bench_stranded.sh QUANTITY HOLD_MODE SEED
# Run it with the floodgate of two commits to compare them (the figure is about the
# seat choice, not speed: debug builds do).
set -euo pipefail
cd "$(dirname "$0")/../.."
quantity=${1:-2} mode=${2:-best} seed=${3:-1}
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
# shellcheck source=scripts/lib/bench_server.sh
source scripts/lib/bench_server.sh
out=$(mktemp -d /tmp/floodgate-stranded.XXXXXX)
trap 'kill "${FG_PID:-}" 2>/dev/null || true; rm -rf "$out"' EXIT
export FLOODGATE_ADMIN_EMAIL=bench@floodgate.test FLOODGATE_ADMIN_PASSWORD=bench-password
start_floodgate_embedded stranded "$out"
"$LOADGEN" --url "$FG_URL" --fans 2000 --quantity "$quantity" --hold-mode "$mode" --seed "$seed" \
    --rate-per-minute 6000 --max-active 300 --misbehave 0 --quiet --json >"$out/report.json" 2>"$out/loadgen.log" || true
python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"sold {r['sold']}/{r['capacity']}, free at end {r['free_at_end']}, stranded {r['stranded_seats']}, passed {r['passed']} {'; '.join(r['failures'])}")
PY
