#!/usr/bin/env bash
# The public form page (GET /t/390003/forms/jigyo-suishin-hojokin, database read + template rendering) against
# the static health endpoint (GET /healthz), 64 clients each, measured side by side: healthz, page, healthz, …
#
#   bench/form_page.sh [sqlite|postgres]
#
# Env: BENCH_RUNS (3), FORM_PAGE_SECONDS (10).
source "$(dirname "$0")/lib.sh"

DB=${1:-sqlite}
PORT=${FORM_PAGE_PORT:-$(free_port)}
SECS=${FORM_PAGE_SECONDS:-10}
CLIENTS=64
BASE=http://127.0.0.1:$PORT
PAGE=$BASE/t/$TENANT/forms/jigyo-suishin-hojokin

build
ensure_oha
W=$(workdir form-page-$DB)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
if [[ $DB == sqlite ]]; then URL=$(sqlite_url "$W/data"); else pg_reset; URL=$PG_URL; fi
trap 'stop_server; [[ $DB == postgres ]] && pg_drop; cleanup_workdir "$W"; true' EXIT
start_server "$PORT" "$W/data" "$URL"

run() { "$OHA" --no-tui --output-format json -z "${2}s" -c "$CLIENTS" "$1" >"$3"; }

log "warm-up: 3 s on each endpoint"
run "$BASE/healthz" 3 "$W/warm-h.json"
run "$PAGE" 3 "$W/warm-p.json"

ratios=() hs=() ps=() p99s=() hp99s=()
for i in $(seq 1 "$RUNS"); do
    run "$BASE/healthz" "$SECS" "$W/healthz-$i.json"
    run "$PAGE" "$SECS" "$W/page-$i.json"
    read -r h_rate _ h_p99 h_ok h_total _ <<<"$($PY oha "$W/healthz-$i.json" 200)"
    read -r p_rate p_p50 p_p99 p_ok p_total p_err <<<"$($PY oha "$W/page-$i.json" 200)"
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.3f}')" "$p_rate" "$h_rate")
    log "run $i: healthz $h_rate req/s (p99 $h_p99 ms) | page $p_rate req/s (200: $p_ok of $p_total, $p_err client errors; p50 $p_p50 ms, p99 $p_p99 ms) | ratio $ratio"
    ratios+=("$ratio") hs+=("$h_rate") ps+=("$p_rate") p99s+=("$p_p99") hp99s+=("$h_p99")
done
stop_server

ratio_m=$(median "${ratios[@]}")
p99_m=$(median "${p99s[@]}")
echo "== form page ($DB): healthz $(median "${hs[@]}") req/s, page $(median "${ps[@]}") req/s, ratio $ratio_m, page p99 $p99_m ms, healthz p99 $(median "${hp99s[@]}") ms"
server_log_summary "$SERVER_LOG"

suffix=""
[[ $DB == postgres ]] && suffix="_postgres"
record "form_page_ratio$suffix" "$ratio_m" "≥ 0.5"
record "form_page_p99_ms$suffix" "$p99_m" "—"
record "form_page_req_per_s$suffix" "$(median "${ps[@]}")" "—"
record "healthz_req_per_s$suffix" "$(median "${hs[@]}")" "— (baseline)"
$PY machine-line "$BENCH_DIR/RESULTS.md" "form_page.sh $DB"
