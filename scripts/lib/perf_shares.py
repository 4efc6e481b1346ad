#!/usr/bin/env python3
"""Where a `perf record -a -g` profile's CPU went: shares of all samples by process
kind (floodgate, loadgen, redis-server, postgres, other work), and inside floodgate by
what the work is (kernel TCP send, tokio scheduling, the socket task, allocation, the
room's push, WebSocket framing, JSON), from each sample's call chain. Used for issue
19's crowd profiles (BENCHMARKS.md, "a fan is sent only what it can see change").

    perf record -a -g -o perf.data -- sleep 8      # during a crowd's waiting phase
    python3 scripts/lib/perf_shares.py perf.data [top-symbols]

Read the binaries' symbols from the paths they ran from: replace a binary after the
run and its samples fall into "user: other".
"""
import subprocess, sys, re, collections
data = sys.argv[1]
out = subprocess.run(["perf","script","-i",data,"-F","pid,tid,comm,ip,sym,dso"],capture_output=True,text=True).stdout
samples=[]; cur=None
for line in out.splitlines():
    if not line.strip():
        if cur: samples.append(cur); cur=None
        continue
    if not line.startswith("\t") and not line.startswith(" "*8):
        m=re.match(r"\s*(.*?)\s+(\d+)/(\d+)", line)
        if m: cur=(m[1],int(m[2]),[])
        continue
    if cur is not None:
        m=re.match(r"\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$", line)
        if m: cur[2].append((m[1],m[2]))
if cur: samples.append(cur)
kind={}
for comm,pid,chain in samples:
    for sym,dso in chain:
        b=dso.rsplit('/',1)[-1]
        if b in ("floodgate","loadgen","redis-server"): kind.setdefault(pid,b)
for comm,pid,chain in samples:
    if pid in kind: continue
    if comm.startswith("postgres"): kind[pid]="postgres"
    elif comm.startswith("redis"): kind[pid]="redis-server"
    elif comm in ("rustc","cc1","ld","opt","cargo","cc","collect2","as") or "line_sim" in comm or comm.startswith("pages") or comm.startswith("quiet"): kind[pid]="other work (builds, simulations)"
    elif comm=="swapper": kind[pid]="idle"
n=len(samples)
by=collections.Counter(); cats=collections.Counter(); leafs=collections.Counter()
def cat(chain):
    syms=" ".join(s for s,_ in chain)
    leaf_kernel = chain and "kernel" in chain[0][1]
    if leaf_kernel:
        if re.search(r"tcp_sendmsg|sock_sendmsg|sock_write_iter", syms): return "kernel: TCP send (+ loopback delivery)"
        if re.search(r"tcp_recvmsg|sock_recvmsg|sock_read_iter", syms): return "kernel: TCP receive"
        if re.search(r"ep_poll|do_epoll", syms): return "kernel: epoll"
        if re.search(r"futex|schedule|sched_", syms): return "kernel: futex, scheduling"
        if re.search(r"net_rx_action|do_softirq|netif_receive", syms): return "kernel: softirq (network)"
        return "kernel: other (accept, close, timers, faults)"
    if "serde_json" in syms: return "user: JSON serialisation"
    if "tungstenite" in syms: return "user: WebSocket framing"
    if re.search(r"RoomState.*push|waiting_room::shown|watch::", syms): return "user: room push, watch channels"
    if re.search(r"malloc|_int_free|cfree|realloc|free\b", syms): return "user: allocation"
    if "queue_session" in syms or "on_upgrade" in syms or "bilock" in syms or "cancellation_token" in syms or "atomic_waker" in syms: return "user: socket task (select: timers, cancellation)"
    if "tokio::runtime" in syms or "tokio::sync" in syms: return "user: tokio scheduling, wakeups"
    if "redis" in syms: return "user: redis client"
    return "user: other"
for comm,pid,chain in samples:
    k=kind.get(pid,"other:"+comm)
    by[k]+=1
    if k=="floodgate":
        cats[cat(chain)]+=1
        if chain: leafs[chain[0][0][:90]]+=1
print(f"{n} samples (all CPUs)")
for k,v in by.most_common(9): print(f"  {k:30} {100*v/n:5.1f}%")
f=by["floodgate"] or 1
print(f"inside floodgate ({f} samples):")
for k,v in cats.most_common(): print(f"  {k:42} {100*v/f:5.1f}%")
print("top leaf symbols in floodgate:")
for k,v in leafs.most_common(int(sys.argv[2]) if len(sys.argv)>2 else 15): print(f"  {100*v/f:5.1f}% {k}")
