# Schemathesis against the served OpenAPI document, as scripts/test.sh runs it: for
# each backend (the embedded default: in-memory store + SQLite; and Redis +
# PostgreSQL from scripts/lib/services.sh), start the floodgate binary with the demo
# event, then run every check (scripts/lib/schemathesis.toml) as a fan and as an admin,
# and last the sign-out operations with an account of their own (they end the session
# they are called with). Zero failures: no 5xx, no answer that breaks its schema, no
# undocumented status, no request the schema forbids accepted. A panic in the server's
# log fails the run too.
#
# Bounded: 25 examples per operation and phase, a fixed seed
# (FLOODGATE_SCHEMATHESIS_SEED to change it; FLOODGATE_SCHEMATHESIS_EXAMPLES for more).
# Schemathesis is pinned and installed in its own venv (FLOODGATE_SCHEMATHESIS_VENV,
# default ~/.cache/floodgate/venv-schemathesis).
#
# Source after scripts/lib/services.sh (services_start), then:
#   schemathesis_run path/to/floodgate [embedded|services ...]

SCHEMATHESIS_PIN="schemathesis==4.32.5"
SCHEMATHESIS_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

schemathesis_install() {
    local venv="${FLOODGATE_SCHEMATHESIS_VENV:-$HOME/.cache/floodgate/venv-schemathesis}"
    ST_BIN="$venv/bin"
    if [ -f "$venv/.floodgate-pin" ] && [ "$(cat "$venv/.floodgate-pin")" = "$SCHEMATHESIS_PIN" ]; then
        return
    fi
    echo "installing $SCHEMATHESIS_PIN into $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # shellcheck source=scripts/lib/apt.sh
        source "$SCHEMATHESIS_LIB/apt.sh"
        apt_install python3-venv
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$ST_BIN/pip" install --quiet --disable-pip-version-check "$SCHEMATHESIS_PIN"
    echo "$SCHEMATHESIS_PIN" >"$venv/.floodgate-pin"
}

# POSTs JSON $2 to $1 and prints field $3 of the answer.
st_post_field() {
    curl -sS --fail-with-body -X POST "$1" -H 'content-type: application/json' -d "$2" |
        python3 -c "import json, sys; print(json.load(sys.stdin)[\"$3\"])"
}

# The fan's purchase token: an event the admin creates to open at once, without proof
# of work, joined by the fan over HTTP, then `queue/me` until the fan is admitted.
st_purchase_token() {
    local base="$1" admin="$2" fan="$3" starts event answer
    starts=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
    event=$(curl -sS --fail-with-body -X POST "$base/api/v1/admin/events" \
        -H "authorization: Bearer $admin" -H 'content-type: application/json' \
        -d '{"name":"Schemathesis checkout","starts_at":"'"$starts"'","pow_difficulty":0,
             "sections":[{"name":"A","rows":20,"seats_per_row":20,"price_cents":1000}],
             "admission":{"rate_per_minute":6000,"max_active":1000}}' |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') || return 1
    sleep 3
    curl -sS --fail-with-body -X POST "$base/api/v1/events/$event/queue/join" \
        -H "authorization: Bearer $fan" >/dev/null || return 1
    for _ in $(seq 60); do
        answer=$(curl -sS "$base/api/v1/events/$event/queue/me" -H "authorization: Bearer $fan")
        if python3 -c 'import json, sys; sys.exit(json.loads(sys.argv[1]).get("type") != "admitted")' "$answer"; then
            python3 -c 'import json, sys; print(json.loads(sys.argv[1])["purchase_token"])' "$answer"
            return 0
        fi
        sleep 0.5
    done
    echo "the fan was not admitted: $answer" >&2
    return 1
}

# Runs Schemathesis with token $1 against $2; extra arguments follow.
st_as() {
    local token="$1" base="$2" seed="${FLOODGATE_SCHEMATHESIS_SEED:-20261205}"
    shift 2
    (cd "$ST_WORK" && ST_TOKEN="$token" ST_METRICS_TOKEN="$ST_METRICS" ST_PURCHASE="$ST_PURCHASE" \
        PYTHONPATH="$SCHEMATHESIS_LIB" SCHEMATHESIS_HOOKS=schemathesis_hooks \
        "$ST_BIN/schemathesis" --no-color --config-file "$SCHEMATHESIS_LIB/schemathesis.toml" \
        run "$base/api/v1/openapi.json" --seed "$seed" \
        --max-examples "${FLOODGATE_SCHEMATHESIS_EXAMPLES:-25}" "$@")
}

# One backend: "embedded" or "services".
st_backend() {
    local bin="$1" backend="$2" port dir base pid args fan admin leaver rc=0
    port=$(free_port)
    dir="$ST_WORK/$backend"
    mkdir -p "$dir"
    base="http://127.0.0.1:$port"
    args=(--listen "127.0.0.1:$port" --data-dir "$dir/data" --demo
        --admin-email admin@schemathesis.test --admin-password "$ST_PASSWORD"
        --metrics-token "$ST_METRICS"
        --auth-rate-per-sec 1000 --signup-per-minute 100000 --signup-burst 10000
        --join-rate-per-sec 1000 --poll-rate-per-sec 1000 --poll-ip-rate-per-sec 1000
        --seat-map-rate-per-sec 1000 --argon2-memory-kib 1024)
    if [ "$backend" = services ]; then
        local db="schemathesis_$$"
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
        args+=(--redis-url "$FLOODGATE_TEST_REDIS_URL" --redis-prefix "st$$"
            --database-url "postgres://postgres@127.0.0.1:$PG_PORT/$db")
    fi
    "$bin" "${args[@]}" >"$dir/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        curl -fs "$base/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    if ! curl -fs "$base/readyz" >/dev/null; then
        cat "$dir/server.log" >&2
        kill "$pid" 2>/dev/null
        return 1
    fi
    local fan_body='{"email":"fan@schemathesis.test","password":"'"$ST_PASSWORD"'"}'
    local leaver_body='{"email":"leaver@schemathesis.test","password":"'"$ST_PASSWORD"'"}'
    st_post_field "$base/api/v1/auth/register" "$fan_body" user_id >/dev/null
    st_post_field "$base/api/v1/auth/register" "$leaver_body" user_id >/dev/null
    fan=$(st_post_field "$base/api/v1/auth/login" "$fan_body" token)
    admin=$(st_post_field "$base/api/v1/auth/login" \
        '{"email":"admin@schemathesis.test","password":"'"$ST_PASSWORD"'"}' token)
    leaver=$(st_post_field "$base/api/v1/auth/login" "$leaver_body" token)
    ST_PURCHASE=$(st_purchase_token "$base" "$admin" "$fan") || {
        cat "$dir/server.log" >&2
        kill "$pid" 2>/dev/null
        return 1
    }
    local signouts=(--include-operation-id signOutBrowser --include-operation-id signOutEverywhere)
    local others=(--exclude-operation-id signOutBrowser --exclude-operation-id signOutEverywhere)
    echo "--- schemathesis ($backend) as a fan"
    st_as "$fan" "$base" "${others[@]}" || rc=1
    echo "--- schemathesis ($backend) as an admin"
    st_as "$admin" "$base" "${others[@]}" || rc=1
    echo "--- schemathesis ($backend): sign-out operations"
    st_as "$leaver" "$base" "${signouts[@]}" || rc=1
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if grep -n "panicked" "$dir/server.log"; then
        echo "the server panicked under Schemathesis ($backend)" >&2
        rc=1
    fi
    if [ "$rc" != 0 ]; then
        echo "schemathesis ($backend) failed; the server's log: $dir/server.log" >&2
    fi
    return "$rc"
}

schemathesis_run() {
    local bin="$1" backend rc=0 backends
    shift
    backends=("$@")
    [ ${#backends[@]} = 0 ] && backends=(embedded services)
    schemathesis_install
    ST_WORK="$(mktemp -d "${TMPDIR:-/tmp}/floodgate-schemathesis.XXXXXX")"
    ST_PASSWORD="schemathesis-$(date +%s)-$RANDOM-words"
    ST_METRICS="metrics-$RANDOM$RANDOM"
    for backend in "${backends[@]}"; do
        st_backend "$bin" "$backend" || rc=1
    done
    [ "$rc" = 0 ] && rm -rf "$ST_WORK"
    return "$rc"
}
