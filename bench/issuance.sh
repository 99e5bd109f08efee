#!/usr/bin/env bash
# Permits issued per second (render + PAdES signature with the SoftHSM P-256 key over PKCS#11 + timestamp from
# the built-in TSA, one after another in one process), as a ratio to raw ECDSA P-256 signatures per second of
# `openssl speed` on the same machine. Median of 3 runs of 50 permits each, after one warm-up permit.
# Appends/updates `issue_per_s` and `issue_ratio_to_sign` in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/madoguchi-target}"
./scripts/issuance-setup
cargo build -q --release -p madoguchi-issuance --example issue_bench
bin="$CARGO_TARGET_DIR/release/examples/issue_bench"
runs=()
for _ in 1 2 3; do runs+=("$("$bin" 50 | awk '/issue_per_s/ {print $2}')"); done
issue=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
signs=()
for _ in 1 2 3; do
  signs+=("$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}')")
done
sign=$(printf '%s\n' "${signs[@]}" | sort -n | sed -n 2p)
ratio=$(awk -v a="$issue" -v b="$sign" 'BEGIN { printf "%.5f", a / b }')
echo "issue_per_s=$issue (runs: ${runs[*]}) openssl_ecdsap256_sign_per_s=$sign issue_ratio_to_sign=$ratio"
when="$(date +%F) $(git rev-parse --short HEAD)"
note="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
update() {
  local metric=$1 value=$2 goal=$3
  if grep -q "^| $metric |" bench/RESULTS.md; then
    sed -i "s#^| $metric |.*#| $metric | $value | $goal | $when ($note) |#" bench/RESULTS.md
  else
    echo "| $metric | $value | $goal | $when ($note) |" >> bench/RESULTS.md
  fi
}
update issue_per_s "$issue" "—"
update issue_ratio_to_sign "$ratio" "—"
