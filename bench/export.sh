#!/usr/bin/env bash
# CSV export of 100,000 submissions over HTTP (GET /staff/forms/{id}/export.csv as shoko-reviewer) against
# `sqlite3 -csv` of the same rows, side by side; the server's RSS is sampled every 50 ms during each export.
#
#   bench/export.sh
#
# Env: BENCH_RUNS (3), EXPORT_ROWS (100000).
source "$(dirname "$0")/lib.sh"

PORT=${EXPORT_PORT:-$(free_port)}
ROWS=${EXPORT_ROWS:-100000}
SLUG=subsidy-bench
BASE=http://127.0.0.1:$PORT

build
W=$(workdir export)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
URL=$(sqlite_url "$W/data")
DBFILE=$W/data/db.sqlite
trap 'touch "$W/stop"; stop_server; cleanup_workdir "$W"; true' EXIT

# One real submission through the API, then (server stopped) copies of its row with new receipt numbers and
# varied answers, written straight into the server's database.
start_server "$PORT" "$W/data" "$URL"
$PY import-bench-form "$BASE" "$REPO/crates/server/demo/forms/subsidy.json" "$SLUG"
receipt=$($PY api-submit "$BASE" "$SLUG")
stop_server
log "generating $ROWS submissions from $receipt"
$PY fill-export "$DBFILE" "$receipt" "$ROWS"

start_server "$PORT" "$W/data" "$URL"
FORM_ID=$($PY form-id "$BASE" shoko-reviewer "$SLUG")
COOKIE=$($PY login "$BASE" shoko-reviewer)
n=$(sqlite3 "file:$DBFILE?mode=ro" "SELECT COUNT(*) FROM submissions WHERE form_id = $FORM_ID")
log "form $FORM_ID has $n submissions"
[[ $n == "$ROWS" ]] || { log "expected $ROWS rows"; exit 1; }
SQL="SELECT receipt_number, status, submitted_at, answers FROM submissions WHERE form_id = $FORM_ID ORDER BY id"

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

sqlite_run() {
    local t0 t1
    t0=$(now)
    sqlite3 -csv "file:$DBFILE?mode=ro" "$SQL" >"$W/sqlite.csv"
    t1=$(now)
    elapsed "$t0" "$t1"
}

# http_run OUT_PREFIX: prints "seconds peak_kb idle_kb"
http_run() {
    local idle t0 t1 code
    idle=$($PY rss-now "$SERVER_PID")
    rm -f "$W/stop"
    $PY rss "$SERVER_PID" "$W/rss.txt" "$W/stop" &
    local sampler=$!
    t0=$(now)
    code=$(curl -sS -o "$W/http.csv" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/staff/forms/$FORM_ID/export.csv")
    t1=$(now)
    touch "$W/stop"
    wait "$sampler"
    [[ $code == 200 ]] || { log "export HTTP $code"; exit 1; }
    echo "$(elapsed "$t0" "$t1") $(cut -d' ' -f1 "$W/rss.txt") $idle"
}

IDLE0=$($PY rss-now "$SERVER_PID")
log "idle RSS before any export: $((IDLE0 / 1024)) MB"
log "warm-up: one export of each kind (also fills the page cache)"
read -r wt wpeak widle <<<"$(http_run)"
ws=$(sqlite_run)
log "warm-up: http ${wt} s (RSS peak $((wpeak / 1024)) MB, +$(((wpeak - widle) / 1024)) MB), sqlite3 ${ws} s"

http_rows=$($PY csv-rows "$W/http.csv")
sqlite_rows=$($PY csv-rows "$W/sqlite.csv")
log "rows: http $http_rows (with header), sqlite3 $sqlite_rows; sizes http $(stat -c %s "$W/http.csv") B, sqlite3 $(stat -c %s "$W/sqlite.csv") B"
[[ $http_rows == $((ROWS + 1)) ]] || log "WARNING: HTTP export has $http_rows records, expected $((ROWS + 1))"

ratios=() deltas=() deltas_run=() hts=() sts=()
for i in $(seq 1 "$RUNS"); do
    st=$(sqlite_run)
    read -r ht peak idle <<<"$(http_run)"
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.3f}')" "$st" "$ht")
    d0=$(python3 -c "import sys; print(f'{(int(sys.argv[1]) - int(sys.argv[2]))/1024:.1f}')" "$peak" "$IDLE0")
    d=$(python3 -c "import sys; print(f'{(int(sys.argv[1]) - int(sys.argv[2]))/1024:.1f}')" "$peak" "$idle")
    log "run $i: sqlite3 -csv ${st} s ($(python3 -c "print(round($ROWS/$st))") rows/s) | http ${ht} s ($(python3 -c "print(round($ROWS/$ht))") rows/s) | ratio $ratio | RSS peak $((peak / 1024)) MB: +$d MB over idle just before, +$d0 MB over first idle"
    ratios+=("$ratio") deltas+=("$d0") deltas_run+=("$d") hts+=("$ht") sts+=("$st")
done
http_rows=$($PY csv-rows "$W/http.csv")
stop_server

ratio_m=$(median "${ratios[@]}")
rss_m=$(median "${deltas[@]}")
echo "== export: $ROWS rows; sqlite3 -csv $(median "${sts[@]}") s, http $(median "${hts[@]}") s, ratio $ratio_m; peak RSS above idle $rss_m MB (per-run above the idle just before: ${deltas_run[*]} MB)"
server_log_summary "$SERVER_LOG"

record export_ratio_sqlite "$ratio_m" "≥ 0.5"
record export_peak_rss_mb "$rss_m" "< 100"
record export_http_seconds_100k "$(median "${hts[@]}")" "—"
record export_sqlite3_seconds_100k "$(median "${sts[@]}")" "— (baseline)"
$PY machine-line "$BENCH_DIR/RESULTS.md" "export.sh"
