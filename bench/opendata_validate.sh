#!/usr/bin/env bash
# Standard dataset validation of a 100,000-row AED file (old layout, UTF-8 and CP932) with
# `madoguchi opendata validate`: rows/s and peak memory (max RSS of the process, /usr/bin/time), beside the rows/s
# of Python's csv module merely reading the same file (baseline).
#
#   bench/opendata_validate.sh
#
# Env: BENCH_RUNS (3), OPENDATA_ROWS (100000).
source "$(dirname "$0")/lib.sh"

ROWS=${OPENDATA_ROWS:-100000}
ODPY="python3 $BENCH_DIR/opendata_helpers.py"

build
W=$(workdir opendata-validate)
trap 'cleanup_workdir "$W"; true' EXIT
bytes=$($ODPY aed-csv "$ROWS" "$W/aed.csv")
$ODPY aed-csv "$ROWS" "$W/aed-cp932.csv" cp932 >/dev/null
log "AED file: $ROWS rows, $bytes bytes"
"$BIN" opendata validate "$W/aed.csv" --layout aed >/dev/null # warm-up (page cache); must pass

measure() { # FILE → "seconds max_rss_kb"
    /usr/bin/time -f '%e %M' -o "$W/time" "$BIN" opendata validate "$1" --layout aed >"$W/report.txt"
    cat "$W/time"
}
rates=() rss=() crates=() crss=() ratios=()
baseline=$($ODPY csv-baseline "$W/aed.csv")
for i in $(seq 1 "$RUNS"); do
    read -r s k <<<"$(measure "$W/aed.csv")"
    read -r cs ck <<<"$(measure "$W/aed-cp932.csv")"
    r=$(python3 -c "import sys; print(f'{int(sys.argv[1])/max(float(sys.argv[2]),0.01):.0f}')" "$ROWS" "$s")
    cr=$(python3 -c "import sys; print(f'{int(sys.argv[1])/max(float(sys.argv[2]),0.01):.0f}')" "$ROWS" "$cs")
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$r" "$baseline")
    log "run $i: UTF-8 $s s ($r rows/s, peak RSS $((k / 1024)) MB) | CP932 $cs s ($cr rows/s, peak RSS $((ck / 1024)) MB) | ÷ python csv read $baseline rows/s = $ratio"
    rates+=("$r") rss+=("$((k / 1024))") crates+=("$cr") crss+=("$((ck / 1024))") ratios+=("$ratio")
done
echo "== validation of $ROWS rows: UTF-8 $(median "${rates[@]}") rows/s (peak $(median "${rss[@]}") MB), CP932 $(median "${crates[@]}") rows/s (peak $(median "${crss[@]}") MB); python csv read $baseline rows/s"
head -n 6 "$W/report.txt"

record "opendata_validate_rows_per_s_100k" "$(median "${rates[@]}")" "—"
record "opendata_validate_peak_rss_mb_100k" "$(median "${rss[@]}")" "—"
record "opendata_validate_cp932_rows_per_s_100k" "$(median "${crates[@]}")" "—"
record "opendata_validate_cp932_peak_rss_mb_100k" "$(median "${crss[@]}")" "—"
record "opendata_validate_ratio_100k" "$(median "${ratios[@]}")" "— (÷ Python csv read rows/s)"
record "csv_validate_rows_per_s" "$(median "${rates[@]}")" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "opendata_validate.sh"
