"""Key figures of scripts/bench.sh runs before and after a change side by side (depth,
rush, checkout, crowd), as a Markdown table: every run, and the ratio of the medians.

    python3 scripts/lib/bench_compare.py --before DIR [DIR ...] --after DIR [DIR ...]

Each folder is the $BENCH_OUT of one run (subfolders depth/, rush/, checkout/, crowd/); a
figure missing from a folder is left out of that run. On this noisy machine, alternate
the runs (before, after, before, after …) so a drift in the machine hits both sides."""
import json
import os
import re
import sys


def read(root, section, name):
    p = os.path.join(root, section, name)
    return open(p).read() if os.path.exists(p) else None


def depth(root):
    text = read(root, "depth", "depth.json")
    if text is None:
        return {}
    d = json.loads(text)
    return {
        "depth: people-ahead lookup, 1,000,000 deep (ns)": d["ahead"]["1000000"],
        "depth: position update, 1,000 deep (ns)": d["update"]["1000"],
        "depth: position update, 1,000,000 deep (ns)": d["update"]["1000000"],
        "depth: admission + lookup, 1,000,000 deep (ns)": d["admit_then_ahead"]["1000000"],
    }


def rush(root):
    text = read(root, "rush", "rush.json")
    if text is None:
        return {}
    r = json.loads(text)
    health = read(root, "rush", "rush_healthz.txt")
    ratio = {}
    if health is not None:
        health_rps, _ = wrk(health)
        ratio = {
            "rush: bare /healthz per second, same process before the burst": health_rps,
            "rush: joins per second ÷ bare /healthz per second": r["joins_per_sec"] / health_rps,
        }
    return ratio | {
        "rush: joins per second": r["joins_per_sec"],
        "rush: join → queued p50 (ms)": r["join_latency_ms"]["p50"],
        "rush: join → queued p99 (ms)": r["join_latency_ms"]["p99"],
        "rush: admission rate achieved ÷ configured": r["admission_rate_achieved_per_min"]
        / r["admission_rate_configured_per_min"],
        "rush: oversold, FIFO inversions, 5xx": (
            r["oversold_seats"] + r["fifo_inversions"] + r["server_5xx"]
        ),
    }


def wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", text, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
    return rps, p99


def checkout(root):
    hold, confirm = read(root, "checkout", "wrk_hold.txt"), read(root, "checkout", "wrk_confirm.txt")
    if hold is None or confirm is None:
        return {}
    hold_rps, hold_p99 = wrk(hold)
    _, confirm_p99 = wrk(confirm)
    orders = int((read(root, "checkout", "orders.txt") or "0").strip() or 0)
    w0, w1 = map(float, read(root, "checkout", "confirm_window.txt").split())
    health_rps, _ = wrk(read(root, "checkout", "wrk_healthz.txt"))
    return {
        "checkout: holds per second (wrk)": hold_rps,
        "checkout: hold p99 (ms)": hold_p99,
        "checkout: orders written per second": orders / (w1 - w0),
        "checkout: confirm p99 (ms)": confirm_p99,
        "checkout: bare /healthz per second (the machine's state)": health_rps,
    }


def crowd(root):
    text = read(root, "crowd", "crowd.json")
    if text is None:
        return {}
    r = json.loads(text)
    out = {
        "crowd: gap between a fan's updates p50 (ms)": r["position_gap_ms"]["p50"],
        "crowd: gap between a fan's updates p99 (ms)": r["position_gap_ms"]["p99"],
        "crowd: join → queued p50 (ms)": r["join_latency_ms"]["p50"],
        "crowd: join → queued p99 (ms)": r["join_latency_ms"]["p99"],
        "crowd: joins answered": r["join_latency_ms"]["count"],
        "crowd: admission rate achieved ÷ configured": r["admission_rate_achieved_per_min"]
        / r["admission_rate_configured_per_min"],
        "crowd: 5xx": r["server_5xx"],
        "crowd: unexpected errors": sum(r.get("unexpected_errors", {}).values()),
        "crowd: audit passed (1 = yes)": int(bool(r["passed"])),
    }
    # Issue 19: messages carry only what a fan sees change (loadgen since then).
    if r.get("position_within_1s") is not None:
        out["crowd: gap near the head p99 (ms)"] = r["position_gap_head_ms"]["p99"]
        out["crowd: staleness of what a fan sees p99 (ms)"] = r["position_staleness_ms"]["p99"]
        out["crowd: position messages within 1 s of the change"] = r["position_within_1s"]
        out["crowd: position messages received"] = r["position_staleness_ms"]["count"]
    return out


def when(root, section):
    return (read(root, section, "when.txt") or "?").strip()


def figures(root):
    out = {}
    for part in (depth, rush, checkout, crowd):
        out.update(part(root))
    return out


def fmt(v):
    if isinstance(v, float) and v < 10:
        return f"{v:.3g}"
    return f"{v:,.0f}"


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main():
    args = sys.argv[1:]
    if not args or args[0] != "--before" or "--after" not in args:
        sys.exit(__doc__)
    cut = args.index("--after")
    before, after = [figures(d) for d in args[1:cut]], [figures(d) for d in args[cut + 1:]]
    keys = [k for k in before[0] if any(k in a for a in after)] if before else []
    print("| figure | before: each run | after: each run | after ÷ before (medians) |")
    print("|---|---|---|---|")
    for key in keys:
        b = [f[key] for f in before if key in f]
        a = [f[key] for f in after if key in f]
        mb, ma = median(b), median(a)
        ratio = f"{ma / mb:.2f}" if mb else "—"
        print(f"| {key} | {', '.join(fmt(x) for x in b)} | {', '.join(fmt(x) for x in a)} | {ratio} |")
    print()
    for section in ("depth", "rush", "checkout", "crowd"):
        runs = [when(d, section) for d in args[1:cut]] + [when(d, section) for d in args[cut + 1:]]
        print(f"- {section}: measured {', '.join(r for r in runs if r != '?')}")


if __name__ == "__main__":
    main()
