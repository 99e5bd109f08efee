#!/usr/bin/env bash
# Nothing lost: submissions under load (API clients on the subsidy-bench form, plus residents going through the
# web form with a PDF attachment) while the server is SIGKILLed and restarted repeatedly. Every receipt number a
# client was given must then be in the database with its answers; every acknowledged attachment must have its
# row (sha256) and its object under DATA_DIR/objects/attachments/<id> with the same sha256.
#
#   bench/crash.sh [sqlite|postgres]
#
# Env: CRASH_KILLS (6), CRASH_API_CLIENTS (8), CRASH_WEB_CLIENTS (2).
source "$(dirname "$0")/lib.sh"

DB=${1:-sqlite}
PORT=${CRASH_PORT:-$(free_port)}
KILLS=${CRASH_KILLS:-6}
API_CLIENTS=${CRASH_API_CLIENTS:-8}
WEB_CLIENTS=${CRASH_WEB_CLIENTS:-2}
SLUG=subsidy-bench
BASE=http://127.0.0.1:$PORT

build
W=$(workdir crash-$DB)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
if [[ $DB == sqlite ]]; then URL=$(sqlite_url "$W/data"); else pg_reset; URL=$PG_URL; fi
CLIENT_PID=""
cleanup() {
    touch "$W/stop"
    [[ -n $CLIENT_PID ]] && wait "$CLIENT_PID" 2>/dev/null
    stop_server
    [[ $DB == postgres ]] && pg_drop
    cleanup_workdir "$W"
    true
}
trap cleanup EXIT

start_server "$PORT" "$W/data" "$URL"
$PY import-bench-form "$BASE" "$REPO/crates/server/demo/forms/subsidy.json" "$SLUG"

log "load: $API_CLIENTS API clients + $WEB_CLIENTS web-form clients (with a PDF attachment)"
$PY crash-client "$BASE" "$SLUG" "$API_CLIENTS" "$WEB_CLIENTS" "$W/stop" "$W/acks.json" 2>"$W/client.err" &
CLIENT_PID=$!

for k in $(seq 1 "$KILLS"); do
    # 1.5–4 s of load, then SIGKILL in the middle of it.
    sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 4.0), 2))')"
    log "SIGKILL $k/$KILLS (pid $SERVER_PID)"
    echo "=== bench: SIGKILL $k at $(date -u +%FT%T.%NZ) ===" >>"$SERVER_LOG"
    kill_server
    t0=$(date +%s%N)
    start_server "$PORT" "$W/data" "$URL"
    log "  restarted in $((($(date +%s%N) - t0) / 1000000)) ms"
done
sleep 2
touch "$W/stop"
wait "$CLIENT_PID"
CLIENT_PID=""
stop_server

report=$($PY crash-verify "$W/acks.json" "$W/data" "$URL")
echo "== crash ($DB, $KILLS kills): $report"
[[ -s $W/client.err ]] && { log "client stderr:"; head -c 3000 "$W/client.err" >&2; }
server_log_summary "$SERVER_LOG"

lost=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lost"])' "$report")
bad=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["wrong_answers"]+r["attachment_row_missing"]+r["attachment_object_missing_or_bad"])' "$report")
acked=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["acknowledged_api"], "API +", r["acknowledged_web"], "web")' "$report")
suffix=""
[[ $DB == postgres ]] && suffix="_postgres"
record "crash_lost_receipts$suffix" "$lost" "0"
record "crash_damaged_receipts$suffix" "$bad" "0"
record "crash_acknowledged$suffix" "$acked ($KILLS × SIGKILL)" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "crash.sh $DB"
[[ $lost == 0 && $bad == 0 ]]
