#!/usr/bin/env bash
# Retrieval quality of madoguchi-search on the labelled set in this directory (see bench/README.md, "faq").
#   bench/faq/eval.sh             # report and record the faq_* quality rows in bench/RESULTS.md
#   bench/faq/eval.sh --misses    # print only (with the wrongly answered questions); nothing recorded
# Two configurations: character bigrams only (the default), and with kana readings from IPADIC (_ipadic rows).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$BENCH_DIR/faq/ipadic.sh"
cd "$REPO"
log "building the evaluation example (release)"
cargo build --release -q -p madoguchi-search --example faq_eval
EX=$CARGO_TARGET_DIR/release/examples/faq_eval
IPADIC=$(ipadic_dir || true)
if [[ $# -gt 0 ]]; then
    "$EX" "$@"
    exit 0
fi
"$EX"
# The ranking is deterministic: one run is the measurement.
get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
json=$("$EX" --json)
for m in p_at_1 p_at_5 hit_at_5 mrr ndcg_at_5 answered_at_1 noanswer_precision noanswer_recall; do
    record "faq_$m" "$(get "$json" "faq_$m")" "—"
done
if [[ -n $IPADIC ]]; then
    log "with kana readings from $IPADIC"
    "$EX" --ipadic "$IPADIC"
    json=$("$EX" --json --ipadic "$IPADIC" 2>/dev/null)
    for m in p_at_1 p_at_5 hit_at_5 mrr ndcg_at_5 answered_at_1 noanswer_precision noanswer_recall; do
        record "faq_${m}_ipadic" "$(get "$json" "faq_$m")" "—"
    done
else
    log "IPADIC not available: the _ipadic rows are left as they were"
fi
counts=$(python3 - <<'PY'
import json
qa = [json.loads(l) for l in open("bench/faq/qa.jsonl", encoding="utf-8") if l.strip()]
qs = [json.loads(l) for l in open("bench/faq/questions.jsonl", encoding="utf-8") if l.strip()]
print(f"{len(qs)} questions ({sum(1 for q in qs if not q['relevant'])} without answer) over {len(qa)} Q&As")
PY
)
record faq_eval_set "$counts" "≥ 300 questions, ≥ 500 Q&As"
$PY machine-line "$BENCH_DIR/RESULTS.md" "faq/eval.sh"
log "recorded the faq_* quality rows in bench/RESULTS.md"
