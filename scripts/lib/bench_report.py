"""Renders BENCHMARKS.md from the JSON reports scripts/bench.sh collected."""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

out = sys.argv[1]
embedded = json.load(open(os.path.join(out, "embedded.json")))
scaled = json.load(open(os.path.join(out, "scaled.json")))
depth = json.load(open(os.path.join(out, "depth.json")))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
cores = os.cpu_count()
mem_gib = int(sh("awk '/MemTotal/ {print $2}' /proc/meminfo") or 0) / 1024 / 1024
redis_v = sh("redis-server --version | awk '{print $3}'").replace("v=", "")
pg_v = sh("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres --version")


def lat(d):
    return f"{d['p50']} / {d['p90']} / {d['p99']} / {d['max']}"


rows = []
for r in (embedded, scaled):
    seq, con = r["holds_sequential"], r["holds_concurrent"]
    rows.append(
        f"| {r['backend']} | {r['create_event_ms']:.0f} ms | {r['snapshot_bytes']:,} B ({r['snapshot_ms']:.1f} ms) "
        f"| {r['compact_snapshot_bytes']:,} B | {lat(seq['latency_ms'])} ({seq['created']}/{seq['n']} held) "
        f"| {con['per_sec']:,.0f}/s, {lat(con['latency_ms'])} ({con['created']}/{con['n']} held) |"
    )

depth_rows = []
for bench, label in (("ahead", "people-ahead lookup"), ("update", "whole position update (lookup + JSON message)"), ("admit_then_ahead", "admission at the head + lookup")):
    d = depth.get(bench, {})
    cells = " | ".join(f"{d.get(n, float('nan')):.1f} ns" for n in ("1000", "100000", "1000000"))
    ratio = d.get("1000000", 0) / d.get("1000", 1) if d.get("1000") else float("nan")
    depth_rows.append(f"| {label} | {cells} | {ratio:.2f}× |")

print(f"""# Benchmarks

Measured by `scripts/bench.sh` on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.
Machine: {cores} cores ({cpu}), {mem_gib:.0f} GiB RAM, shared and noisy; Redis {redis_v}, {pg_v}
(fsync and `synchronous_commit` on), all on loopback, client and server on the same machine.
Release builds. Figures are single runs: re-run and compare medians before drawing conclusions.

## Depth: position updates do not grow with the queue

Command: `cargo bench -p waiting-room --bench position` (criterion, medians; run by
`scripts/bench.sh`). Each replica keeps a Fenwick tree over the sequence numbers of
waiting tickets, so people-ahead is O(log n). A fan's position update is the lookup
plus serialising `{{"type":"position",…}}`; the lookup grows from cache-resident at
1,000 to a 4 MB tree at 1,000,000, the update as a whole barely.

| operation | 1,000 deep | 100,000 deep | 1,000,000 deep | 1M ÷ 1k |
|---|---|---|---|---|
{chr(10).join(depth_rows)}

For scale: a peer's linear scan fell from about 17,000 to under 100 lookups/s at
200,000 deep; here one core does tens of millions of lookups per second at 1,000,000.

## Checkout: a 50,000-seat event

Command: `scripts/bench.sh` (runs `target/release/examples/seat_bench` once per backend;
the example starts floodgate in-process and drives it over HTTP on loopback).

- **Creation**: `POST /api/v1/admin/events` for 10 sections × 100 rows × 50 seats,
  answered after the event, its sections and all 50,000 seat rows committed (multi-row
  INSERTs of 1,000) and the store's seat state was built.
- **Snapshot**: `GET /api/v1/events/{{id}}/seats`, the contract's map of every seat;
  `?format=compact` gives one character per seat instead (the seat stream accepts it too).
- **Holds**: `POST …/holds {{"quantity": 1}}` (best-available) with a fresh purchase token
  each; first {embedded['holds_sequential']['n']:,} one after another, then
  {embedded['holds_concurrent']['n']:,} with {embedded['holds_concurrent']['in_flight']} in flight.
  Latency columns are p50 / p90 / p99 / max in milliseconds, client side.

| backend | create event | snapshot | compact snapshot | sequential hold latency | concurrent holds |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Raw reports:

```json
{json.dumps(embedded, indent=2)}
```

```json
{json.dumps(scaled, indent=2)}
```
""")
