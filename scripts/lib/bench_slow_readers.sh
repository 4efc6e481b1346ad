# The Slow readers scenario of scripts/bench.sh (sourced; needs $TOOL and
# start_floodgate_embedded): one embedded floodgate release process, a 1,000,000-seat
# event, then SLOW_SOCKETS seat sockets (full format, the largest snapshot) that
# complete the handshake and never read another byte, with a 4 KiB receive buffer.
# While they sit there, SLOW_HOLDS fans hold a seat each (seat changes to stream).
# The server's RSS (VmRSS of /proc/PID/status) is sampled before, every 250 ms during
# (the peak), and after it closed them; also how many it closed (seen as EOF/RST once
# the client finally reads). Writes OUT/slow_readers.json.
#
# Run alone: scripts/bench.sh slow_readers   (or, against a built tree,
#   CARGO_TARGET_DIR=… FLOODGATE=…/floodgate TOOL=…/bench_tool \
#   bash -c 'source scripts/lib/services.sh; source scripts/lib/bench_server.sh; \
#            source scripts/lib/bench_slow_readers.sh; slow_readers_bench /tmp/out')

export FLOODGATE_ADMIN_EMAIL=bench@floodgate.test FLOODGATE_ADMIN_PASSWORD=bench-password
SLOW_SEATS="${SLOW_SEATS:-1000000}"
SLOW_SOCKETS="${SLOW_SOCKETS:-1000}"
SLOW_HOLDS="${SLOW_HOLDS:-2000}"
SLOW_WAIT_SECS="${SLOW_WAIT_SECS:-40}"

slow_readers_bench() {
    local out=$1 event
    FLOODGATE_MAX_SOCKETS_PER_IP=$((SLOW_SOCKETS + 10)) FLOODGATE_MAX_CONNECTIONS_PER_IP=$((SLOW_SOCKETS + 200)) \
        start_floodgate_embedded slow "$out"
    echo "    creating a $SLOW_SEATS-seat event" >&2
    # Past the 30 s request timeout the POST answers 408 and the event appears when its
    # seats are written: wait for it in the list.
    python3 - "$FG_URL" "$SLOW_SEATS" >"$out/create.json" <<'PY'
import datetime, json, os, sys, time, urllib.request, urllib.error
url, seats = sys.argv[1], int(sys.argv[2])
def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
_, login = call("POST", "/api/v1/auth/login", {"email": os.environ["FLOODGATE_ADMIN_EMAIL"], "password": os.environ["FLOODGATE_ADMIN_PASSWORD"]})
sections = [{"name": f"S{i}", "rows": 1000, "seats_per_row": 20, "price_cents": 4000} for i in range((seats + 19999) // 20000)]
started = time.time()
status, event = call("POST", "/api/v1/admin/events", {"name": "Slow readers", "starts_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "sections": sections, "max_seats_per_order": 4, "hold_ttl_secs": 3600, "admission": {"rate_per_minute": 6000000, "max_active": 10000000}, "pow_difficulty": 0}, login["token"])
first = status
while status != 201:
    time.sleep(0.5)
    _, events = call("GET", "/api/v1/events")
    found = [e for e in events if e["name"] == "Slow readers"]
    if found:
        status, event = 201, found[0]
print(json.dumps({"event": event["id"], "create_secs": round(time.time() - started, 1), "post_status": first}))
PY
    event=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["event"])' "$out/create.json")
    "$TOOL" tokens "$FG_URL" "$FG_DATA/signing-key.pem" "$event" "$SLOW_HOLDS" "$out/tokens.txt"
    sleep 2
    echo "    $SLOW_SOCKETS never-reading seat sockets for ${SLOW_WAIT_SECS}s, $SLOW_HOLDS holds meanwhile" >&2
    ( sleep 3; "$TOOL" holds "$FG_URL" "$event" "$out/tokens.txt" "$SLOW_HOLDS" "$out/holds.txt" ) &
    local holds_pid=$!
    python3 - "$FG_URL" "$event" "$FG_PID" "$SLOW_SOCKETS" "$SLOW_WAIT_SECS" >"$out/slow_readers.json" <<'PY'
import base64, json, os, socket, sys, time
url, event, pid, n, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
host, port = url.split("//")[1].split(":")
port = int(port)

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

before = rss_kib()
socks = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/v1/events/{event}/seats/ws HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:  # the 101 and nothing more
        chunk = s.recv(1)
        if not chunk:
            break
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"socket {i}: {head[:200]!r}")
    socks.append(s)
opened = time.time()
peak, samples = before, []
while time.time() - opened < wait:
    r = rss_kib()
    peak = max(peak, r)
    samples.append([round(time.time() - opened, 2), r])
    time.sleep(0.25)
after = rss_kib()
# Now read: a socket the server closed ends (EOF or reset) once its queue is drained.
closed = 0
for s in socks:
    s.settimeout(0.5)
    try:
        while True:
            if not s.recv(1 << 20):
                closed += 1
                break
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
    s.close()
print(json.dumps({"sockets": n, "wait_secs": wait, "rss_before_kib": before, "rss_peak_kib": peak,
                  "rss_after_kib": after, "closed_by_server": closed, "samples": samples[::4]}))
PY
    wait "$holds_pid" || true
    kill "$FG_PID" && wait "$FG_PID" 2>/dev/null || true
}
