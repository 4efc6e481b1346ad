#!/usr/bin/env python3
"""Idle cost of closed sales: one floodgate (embedded) with one live sale, against the
same with 1,000 closed sales beside it (and, for contrast, 1,000 open ones). Each run
starts a fresh process on loopback, creates the events through the admin API, closes
them when asked, lets it settle, then samples the process for WINDOW seconds: CPU
(utime + stime from /proc/PID/stat over the window) and RSS (/proc/PID/status,
median of one sample a second). Runs alternate between the shapes; medians printed.

  scripts/bench_closed_events.py [--bin target/release/floodgate] [--runs 3]
      [--events 1000] [--window 30]

Loopback only, bounded loops; the data directory of each run is removed after it.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

ADMIN = ("bench-admin@floodgate.test", "bench-admin-password-1")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


def event_body(name, opens_in_secs):
    starts = datetime.now(timezone.utc) + timedelta(seconds=opens_in_secs)
    return {
        "name": name,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sections": [{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}],
        "admission": {"rate_per_minute": 60, "max_active": 10},
    }


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(binary, shape, events, window):
    data = tempfile.mkdtemp(prefix="fg-bench-closed-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        FLOODGATE_LISTEN=f"127.0.0.1:{port}",
        FLOODGATE_DATA_DIR=data,
        FLOODGATE_ADMIN_EMAIL=ADMIN[0],
        FLOODGATE_ADMIN_PASSWORD=ADMIN[1],
        RUST_LOG="warn",
    )
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        token = call(base, "POST", "/api/v1/auth/login", body={"email": ADMIN[0], "password": ADMIN[1]})["token"]
        for i in range(events if shape != "live" else 0):
            ev = call(base, "POST", "/api/v1/admin/events", token, event_body(f"Past sale {i}", -60))
            if shape == "closed":
                call(base, "POST", f"/api/v1/admin/events/{ev['id']}/close", token, {})
        call(base, "POST", "/api/v1/admin/events", token, event_body("The live sale", -5))
        time.sleep(5)  # two event refreshes, and the rooms settle
        start, rss = cpu_ticks(proc.pid), []
        began = time.monotonic()
        for _ in range(window):
            time.sleep(1)
            rss.append(rss_kib(proc.pid))
        elapsed = time.monotonic() - began
        cpu = (cpu_ticks(proc.pid) - start) / TICKS / elapsed * 100
        return cpu, statistics.median(rss) / 1024
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default="target/release/floodgate")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--window", type=int, default=30)
    a = p.parse_args()
    shapes = ["live", "closed", "open"]
    results = {s: [] for s in shapes}
    for r in range(a.runs):
        for shape in shapes:
            cpu, rss = run(a.bin, shape, a.events, a.window)
            results[shape].append((cpu, rss))
            print(f"run {r + 1} {shape:>6}: cpu {cpu:5.2f} % of a core, rss {rss:6.1f} MiB", flush=True)
    print(f"\nmedians of {a.runs} runs, {a.window} s windows ({a.events} other events):")
    labels = {
        "live": "one live sale alone",
        "closed": f"one live sale + {a.events} closed",
        "open": f"one live sale + {a.events} open (not closed)",
    }
    for shape in shapes:
        cpus = [c for c, _ in results[shape]]
        rsss = [m for _, m in results[shape]]
        print(f"  {labels[shape]:<40} cpu {statistics.median(cpus):5.2f} % of a core   rss {statistics.median(rsss):6.1f} MiB")


if __name__ == "__main__":
    main()
