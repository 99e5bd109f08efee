#!/usr/bin/env bash
# Retrieval quality of madoguchi-search on the labelled set in this directory (see bench/README.md, "faq").
#   bench/faq/eval.sh             # report and record faq_* quality rows in bench/RESULTS.md
#   bench/faq/eval.sh --misses    # also list the questions answered wrongly (nothing recorded)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO"
log "building the evaluation example (release)"
cargo build --release -q -p madoguchi-search --example faq_eval
EX=$CARGO_TARGET_DIR/release/examples/faq_eval
"$EX" "$@"
if [[ $# -gt 0 ]]; then
    exit 0
fi
# The ranking is deterministic: one run is the measurement.
json=$("$EX" --json)
get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$json" "$1"; }
counts=$(python3 - <<'PY'
import json
qa = [json.loads(l) for l in open("bench/faq/qa.jsonl", encoding="utf-8") if l.strip()]
qs = [json.loads(l) for l in open("bench/faq/questions.jsonl", encoding="utf-8") if l.strip()]
print(f"{len(qs)} questions ({sum(1 for q in qs if not q['relevant'])} without answer) over {len(qa)} Q&As")
PY
)
record faq_p_at_1 "$(get faq_p_at_1)" "—"
record faq_p_at_5 "$(get faq_p_at_5)" "—"
record faq_hit_at_5 "$(get faq_hit_at_5)" "—"
record faq_mrr "$(get faq_mrr)" "—"
record faq_ndcg_at_5 "$(get faq_ndcg_at_5)" "—"
record faq_answered_at_1 "$(get faq_answered_at_1)" "—"
record faq_noanswer_precision "$(get faq_noanswer_precision)" "—"
record faq_noanswer_recall "$(get faq_noanswer_recall)" "—"
record faq_eval_set "$counts" "≥ 300 questions, ≥ 500 Q&As"
$PY machine-line "$BENCH_DIR/RESULTS.md" "faq/eval.sh"
log "recorded faq_* quality rows in bench/RESULTS.md"
