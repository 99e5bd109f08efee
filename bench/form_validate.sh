#!/usr/bin/env bash
# Validation and rendering of a 200-part form (issue 3): the example `form_200_parts` times 2,000 rounds of each
# after a warm-up and prints the medians; this script runs it 3 times and records the median of the medians.
#
#   bench/form_validate.sh
#
# Env: BENCH_RUNS (3), FORM_ROUNDS (2000).
source "$(dirname "$0")/lib.sh"

ROUNDS=${FORM_ROUNDS:-2000}
log "building the example (release)"
(cd "$REPO" && cargo build --release -q -p madoguchi-applications --example form_200_parts)
EXAMPLE=$CARGO_TARGET_DIR/release/examples/form_200_parts

vals=() renders=()
for i in $(seq 1 "$RUNS"); do
    out=$("$EXAMPLE" "$ROUNDS")
    read -r v r vp rp <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["validate_us_median"], d["render_us_median"], d["validate_us_p99"], d["render_us_p99"])' "$out")"
    log "run $i: validate median ${v} µs (p99 ${vp}), render median ${r} µs (p99 ${rp})"
    vals+=("$v") renders+=("$r")
done
v_m=$(median "${vals[@]}")
r_m=$(median "${renders[@]}")
echo "== 200-part form: validation ${v_m} µs, rendering ${r_m} µs (medians of $RUNS runs of $ROUNDS rounds)"
record "form_validate_us_200_parts" "$v_m" "< 1000"
record "form_render_us_200_parts" "$r_m" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "form_validate.sh"
