#!/usr/bin/env python3
"""The rush's CPU per join, from the sampler of scripts/lib/bench_rush.sh.

Reads OUT/rush_cpu.tsv (one line every ~0.2 s: unix ms, then the server's, loadgen's
and Redis' utime+stime in clock ticks), OUT/rush.json (loadgen's report: its span of
joins, first arrival to last `queued`, in unix ms) and OUT/rush_metrics.txt (the
server's /metrics after the run), and prints JSON: each process's CPU over that span
(interpolated between samples; ms, µs per join, and its share of the three), and the
queue store's `join` and `status` calls of the run."""
import json
import os
import re
import sys

out = sys.argv[1]
tick_ms = 1000.0 / os.sysconf("SC_CLK_TCK")
rows = []
for line in open(os.path.join(out, "rush_cpu.tsv")):
    parts = line.split()
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        rows.append([int(p) for p in parts])
report = json.load(open(os.path.join(out, "rush.json")))
lo, hi = report.get("joins_span_unix_ms", [0, 0])
if len(rows) < 2 or hi <= lo or not rows[0][0] <= lo or not hi <= rows[-1][0]:
    sys.exit("rush_cpu.py: no samples around loadgen's span of joins (an older loadgen?)")


def at(t, k):
    """Process k's CPU ticks at unix ms t, interpolated between the samples around it."""
    for a, b in zip(rows, rows[1:]):
        if a[0] <= t <= b[0]:
            f = (t - a[0]) / max(b[0] - a[0], 1)
            return a[k] + f * (b[k] - a[k])
    raise ValueError(t)


joins = report["fans"]
cpu = {name: (at(hi, k) - at(lo, k)) * tick_ms for k, name in ((1, "server"), (2, "loadgen"), (3, "redis"))}
total = sum(cpu.values()) or 1.0
calls = {}
if os.path.exists(os.path.join(out, "rush_metrics.txt")):
    for line in open(os.path.join(out, "rush_metrics.txt")):
        m = re.match(r'floodgate_store_op_seconds_count\{store="queue",op="(join|status)"\} (\S+)', line)
        if m:
            calls[m.group(1)] = float(m.group(2))
print(json.dumps({
    "span_ms": hi - lo,
    "joins": joins,
    "cpu_ms": cpu,
    "cpu_us_per_join": {k: v * 1000 / joins for k, v in cpu.items()},
    "cpu_share": {k: v / total for k, v in cpu.items()},
    "cores_busy": total / (hi - lo),
    "store_calls": calls,
}, indent=1))
