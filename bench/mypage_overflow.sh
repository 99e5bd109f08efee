#!/usr/bin/env bash
# mypage_360_no_overflow: every my-page screen at 360 px in Chromium for a resident with several applications
# (bench/mypage_overflow.mjs); 1 when no element overflows horizontally, else 0 with the offenders printed.
#
#   bench/mypage_overflow.sh
source "$(dirname "$0")/lib.sh"

build
E2E=$REPO/e2e
[[ -d $E2E/node_modules/playwright-core ]] || "$REPO/scripts/e2e-setup"
log "loading every my-page screen at 360 px"
value=$(cd "$E2E" && MADOGUCHI_BIN=$BIN node "$BENCH_DIR/mypage_overflow.mjs")
echo "== mypage_360_no_overflow $value"
record mypage_360_no_overflow "$value" "1"
$PY machine-line "$BENCH_DIR/RESULTS.md" "mypage_overflow.sh"
[[ $value == 1 ]]
