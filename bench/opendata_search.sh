#!/usr/bin/env bash
# CKAN package_search with 10,000 datasets: p99 latency and requests/s at 32 concurrent clients, side by side
# with the static health endpoint (ratio), on a Japanese full-text query with facets (避難場所, as the datasets
# write it), on an everyday word the synonyms must carry (避難所 → 避難場所; ADR 0033), and on a harvester query
# (fq by organisation and modification date, sort=id asc, page 50).
#
#   bench/opendata_search.sh [sqlite|postgres]
#
# Env: BENCH_RUNS (3), OPENDATA_SEARCH_SECONDS (10), OPENDATA_DATASETS (10000), OPENDATA_WORDS (1: the server
# gets the FAQ's language resources from scripts/faq-setup's directory, $MADOGUCHI_FAQ_SETUP_DIR or
# ~/.cache/madoguchi-faq, linked as data_dir/faq without the embedding model; 0: characters only).
source "$(dirname "$0")/lib.sh"

DB=${1:-sqlite}
PORT=${OPENDATA_PORT:-$(free_port)}
SECS=${OPENDATA_SEARCH_SECONDS:-10}
N=${OPENDATA_DATASETS:-10000}
CLIENTS=32
BASE=http://127.0.0.1:$PORT
ODPY="python3 $BENCH_DIR/opendata_helpers.py"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
TEXT=$BASE/api/3/action/package_search?q=$(enc 避難場所)\&rows=10\&facet.field=$(enc '["organization","tags","res_format","license_id"]')
EVERYDAY=$BASE/api/3/action/package_search?q=$(enc 避難所)\&rows=10\&facet.field=$(enc '["organization","tags","res_format","license_id"]')
HARVEST=$BASE/api/3/action/package_search?rows=100\&start=5000\&sort=$(enc 'id asc')\&fq=$(enc 'organization:392014 OR organization:390003 AND metadata_modified:[2000-01-01T00:00:00Z TO *]')

build
ensure_oha
W=$(workdir opendata-search-$DB)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
WORDS=characters
FAQ_SETUP=${MADOGUCHI_FAQ_SETUP_DIR:-$HOME/.cache/madoguchi-faq}
if [[ ${OPENDATA_WORDS:-1} == 1 && -f $FAQ_SETUP/ipadic/Noun.csv ]]; then
    mkdir -p "$W/data/faq"
    for f in ipadic ipadic-system.dic sudachi-synonyms-dictionary.json; do
        [[ -e $FAQ_SETUP/$f ]] && ln -s "$FAQ_SETUP/$f" "$W/data/faq/$f"
    done
    WORDS="IPADIC words + Sudachi synonyms"
fi
log "language resources: $WORDS"
if [[ $DB == sqlite ]]; then URL=$(sqlite_url "$W/data"); else pg_reset; URL=$PG_URL; fi
trap 'stop_server; [[ $DB == postgres ]] && pg_drop; cleanup_workdir "$W"; true' EXIT
RUST_LOG=warn start_server "$PORT" "$W/data" "$URL"

CITY=$($ODPY token "$BASE" kochi-city-admin)
PREF=$($ODPY token "$BASE" pref-admin)
log "creating $N datasets through package_create"
$ODPY fill "$BASE" "$N" "$CITY@392014" "$PREF@390003" >&2
count=$(curl -fsS "$BASE/api/3/action/package_search?rows=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')
log "catalog holds $count datasets"
hits=$(curl -fsS "$EVERYDAY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')
log "避難所 finds $hits datasets"

run() { "$OHA" --no-tui --output-format json -z "${2}s" -c "$CLIENTS" "$1" >"$3"; }
log "warm-up: 3 s on each endpoint"
run "$BASE/healthz" 3 "$W/warm-h.json"
run "$TEXT" 3 "$W/warm-t.json"
run "$EVERYDAY" 3 "$W/warm-e.json"
run "$HARVEST" 3 "$W/warm-v.json"

ratios=() rates=() p99s=() hrates=() vrates=() vp99s=() ep99s=()
for i in $(seq 1 "$RUNS"); do
    run "$BASE/healthz" "$SECS" "$W/healthz-$i.json"
    run "$TEXT" "$SECS" "$W/text-$i.json"
    run "$EVERYDAY" "$SECS" "$W/everyday-$i.json"
    run "$HARVEST" "$SECS" "$W/harvest-$i.json"
    read -r h_rate _ h_p99 _ _ _ <<<"$($PY oha "$W/healthz-$i.json" 200)"
    read -r t_rate t_p50 t_p99 t_ok t_total t_err <<<"$($PY oha "$W/text-$i.json" 200)"
    read -r v_rate v_p50 v_p99 v_ok v_total v_err <<<"$($PY oha "$W/harvest-$i.json" 200)"
    read -r e_rate e_p50 e_p99 e_ok e_total e_err <<<"$($PY oha "$W/everyday-$i.json" 200)"
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.4f}')" "$t_rate" "$h_rate")
    log "run $i: healthz $h_rate req/s | text+facets $t_rate req/s (200: $t_ok of $t_total, $t_err errors; p50 $t_p50 ms, p99 $t_p99 ms) | 避難所 $e_rate req/s (200: $e_ok of $e_total, $e_err errors; p50 $e_p50, p99 $e_p99 ms) | harvester page $v_rate req/s (p50 $v_p50, p99 $v_p99 ms) | ratio $ratio"
    ratios+=("$ratio") rates+=("$t_rate") p99s+=("$t_p99") hrates+=("$h_rate") vrates+=("$v_rate") vp99s+=("$v_p99") ep99s+=("$e_p99")
done
rss=$($PY rss-now "$SERVER_PID")
stop_server

echo "== package_search with $count datasets ($DB, $CLIENTS clients, $WORDS): 避難所 p99 $(median "${ep99s[@]}") ms ($hits hits); text+facets $(median "${rates[@]}") req/s, p99 $(median "${p99s[@]}") ms; harvester page $(median "${vrates[@]}") req/s, p99 $(median "${vp99s[@]}") ms; healthz $(median "${hrates[@]}") req/s; ratio $(median "${ratios[@]}"); server RSS $((rss / 1024)) MB"
server_log_summary "$SERVER_LOG"

suffix=""
[[ $DB == postgres ]] && suffix="_postgres"
record "opendata_search_p99_ms_10k$suffix" "$(median "${p99s[@]}")" "—"
record "opendata_search_req_per_s_10k$suffix" "$(median "${rates[@]}")" "—"
record "opendata_search_ratio_10k$suffix" "$(median "${ratios[@]}")" "— (÷ healthz req/s)"
record "opendata_harvest_page_p99_ms_10k$suffix" "$(median "${vp99s[@]}")" "—"
record "opendata_harvest_page_req_per_s_10k$suffix" "$(median "${vrates[@]}")" "—"
record "opendata_server_rss_mb_10k$suffix" "$((rss / 1024))" "—"
[[ $DB == sqlite ]] && record "catalog_search_p99_ms_10k" "$(median "${p99s[@]}")" "< 20"
[[ $DB == sqlite ]] && record "catalog_search_everyday_p99_ms_10k" "$(median "${ep99s[@]}")" "< 20 (q=避難所)"
$PY machine-line "$BENCH_DIR/RESULTS.md" "opendata_search.sh $DB"
