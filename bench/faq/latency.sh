#!/usr/bin/env bash
# Speed and size of the FAQ index with 10,000 Q&As (see bench/README.md, "faq").
#   bench/faq/latency.sh          # BENCH_RUNS rounds (default 3) of the example; medians recorded
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO"
log "building the latency example (release)"
cargo build --release -q -p madoguchi-search --example faq_latency
EX=$CARGO_TARGET_DIR/release/examples/faq_latency
declare -A values
for round in $(seq 1 "$RUNS"); do
    # A fresh process per round, so RSS growth is measured from a clean start.
    out=$("$EX" --docs 10000 --rounds 3 --passes 5)
    log "round $round: $(echo "$out" | tr '\n' ' ')"
    while read -r name value; do
        values[$name]+="$value "
    done <<<"$out"
done
m() { median ${values[$1]}; }
record faq_answer_p99_ms_10k "$(m answer_p99_ms)" "< 20"
record faq_answer_p50_ms_10k "$(m answer_p50_ms)" "—"
record faq_rebuild_s_10k "$(m rebuild_s)" "< 5"
record faq_index_mb_10k "$(m memory_bytes_mb)" "< 200"
record faq_rss_delta_mb_10k "$(m rss_delta_mb)" "< 200"
$PY machine-line "$BENCH_DIR/RESULTS.md" "faq/latency.sh"
log "recorded faq_*_10k rows in bench/RESULTS.md"
