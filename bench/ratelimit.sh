#!/usr/bin/env bash
# Rate limits under a flood (ADR 0019): one client fires a burst of 5,000 JSON API submissions (32 connections,
# as fast as the server answers) while another client fetches the public form page in a loop (2 connections).
# The server runs with its default limits. ratelimit_submissions_held = 1 when, in every round, the other
# client's p99 stays under 50 ms AND every submission answered 201 is in the database.
#
#   bench/ratelimit.sh [sqlite|postgres]
#
# Env: BENCH_RUNS (3), BURST (5000).
source "$(dirname "$0")/lib.sh"

DB=${1:-sqlite}
[[ $DB == sqlite || $DB == postgres ]] || { echo "usage: $0 sqlite|postgres" >&2; exit 2; }
PORT=${RATELIMIT_PORT:-$(free_port)}
BURST=${BURST:-5000}
SLUG=subsidy-bench
BASE=http://127.0.0.1:$PORT
PAGE=$BASE/t/$TENANT/forms/jigyo-suishin-hojokin

build
ensure_oha
W=$(workdir ratelimit-$DB)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
if [[ $DB == sqlite ]]; then URL=$(sqlite_url "$W/data"); else pg_reset; URL=$PG_URL; fi
trap 'stop_server; [[ $DB == postgres ]] && pg_drop; cleanup_workdir "$W"; true' EXIT
# The default limits: an empty configuration file.
: >"$W/defaults.toml"
SERVER_CONFIG=$W/defaults.toml start_server "$PORT" "$W/data" "$URL"
$PY import-bench-form "$BASE" "$REPO/crates/server/demo/forms/subsidy.json" "$SLUG"
$PY submission-body "$W/body.json"

stored() {
    local sql="SELECT COUNT(*) FROM submissions"
    if [[ $DB == sqlite ]]; then
        sqlite3 "file:$W/data/db.sqlite?mode=ro" "$sql"
    else
        psql -X -A -t "$PG_URL" -c "$sql"
    fi
}

burst() {
    "$OHA" --no-tui --output-format json -n "$BURST" -c 32 -m POST \
        -H 'Content-Type: application/json' -D "$W/body.json" \
        "$BASE/api/v1/t/$TENANT/forms/$SLUG/submissions" >"$1"
}

log "warm-up: form page for 2 s"
"$OHA" --no-tui --output-format json -z 2s -c 2 "$PAGE" >"$W/warm.json"

held=1 p99s=() rates=() accepted_all=() limited_all=()
for i in $(seq 1 "$RUNS"); do
    before=$(stored)
    # The other client: 2 keep-alive connections fetching the page in a loop from just before the burst to its
    # end (a burst of 5,000 lasts well under a second here, so a fixed-length run would mostly measure calm).
    rm -f "$W/ready" "$W/stop"
    $PY page-latency "$PAGE" 2 "$W/ready" "$W/stop" >"$W/page-$i.txt" &
    page_pid=$!
    while [[ ! -f $W/ready ]]; do sleep 0.01; done
    burst "$W/burst-$i.json"
    touch "$W/stop"
    wait "$page_pid"
    after=$(stored)
    read -r _ page_p99 page_ok page_total <"$W/page-$i.txt"
    read -r _ _ _ accepted total errors <<<"$($PY oha "$W/burst-$i.json" 201)"
    read -r _ _ _ limited _ _ <<<"$($PY oha "$W/burst-$i.json" 429)"
    rate=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['summary']; print(f\"{s['requestsPerSec']:.1f}\")" "$W/burst-$i.json")
    new=$((after - before))
    ok=1
    [[ $new -eq $accepted ]] || ok=0
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)" "$page_p99" || ok=0
    [[ $page_ok -eq $page_total && $page_total -gt 0 ]] || ok=0
    [[ $ok == 1 ]] || held=0
    log "run $i: burst $total responses at $rate req/s (201: $accepted, 429: $limited, client errors $errors), stored $new | other client during the burst: $page_ok of $page_total pages 200, p99 $page_p99 ms | held $ok"
    p99s+=("$page_p99") rates+=("$rate") accepted_all+=("$accepted") limited_all+=("$limited")
done
stop_server

p99_m=$(median "${p99s[@]}")
echo "== ratelimit $DB: held $held; other client's page p99 $p99_m ms (median); burst $(median "${rates[@]}") req/s; accepted per round ${accepted_all[*]}, refused ${limited_all[*]}"
server_log_summary "$SERVER_LOG"

suffix=""
[[ $DB == postgres ]] && suffix="_postgres"
record "ratelimit_submissions_held$suffix" "$held" "1"
record "ratelimit_other_client_p99_ms$suffix" "$p99_m" "< 50"
record "ratelimit_burst_req_per_s$suffix" "$(median "${rates[@]}")" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "ratelimit.sh $DB"
