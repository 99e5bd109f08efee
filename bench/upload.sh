#!/usr/bin/env bash
# Uploads of 10 MB files by 8 residents at once (issue 16), side by side with their physical limits:
#   upload_10mb_peak_rss_mb  peak RSS of the server above idle while 8 residents each post the form with a 10 MB
#                            file (local files store): uploads stream to a spool file and on to the store, so
#                            memory must not grow with the files (goal < 100 MB above idle);
#   s3_upload_ratio          10 MB uploads through the server into an S3-compatible store (moto) ÷ direct PUTs
#                            of the same size and concurrency to the same store, alternating in the same run
#                            (goal ≥ 0.5).
#
#   bench/upload.sh
#
# Env: BENCH_RUNS (3), BENCH_WORK (/tmp/madoguchi-bench). Needs scripts/s3-setup (moto, boto3).
source "$(dirname "$0")/lib.sh"

CLIENTS=8
SIZE_MB=10
MOTO_VENV=${MADOGUCHI_MOTO_VENV:-$HOME/.cache/madoguchi-moto}
"$REPO/scripts/s3-setup" >/dev/null

build
W=$(workdir upload)
log "scratch directory $W"
MOTO_PID=""
trap 'stop_server; [[ -n $MOTO_PID ]] && kill $MOTO_PID 2>/dev/null; cleanup_workdir "$W"; true' EXIT

# ---- 1. peak memory on the local files store
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
SERVER_LOG=$W/server-files.log
prepare_data_dir "$W/data"
start_server "$PORT" "$W/data" "$(sqlite_url "$W/data")"
# Warm: a few pages and one small upload, so idle includes what any first request allocates.
$PY upload "$BASE" 2 0.1 >/dev/null
sleep 1
idle_kb=$($PY rss-now "$SERVER_PID")
peaks=()
for i in $(seq 1 "$RUNS"); do
    rm -f "$W/stop"
    $PY rss "$SERVER_PID" "$W/rss-$i" "$W/stop" &
    sampler=$!
    read -r ok wall rate <<<"$($PY upload "$BASE" "$CLIENTS" "$SIZE_MB")"
    touch "$W/stop"
    wait "$sampler"
    read -r peak_kb _ <"$W/rss-$i"
    above=$(python3 -c "import sys; print(f'{(int(sys.argv[1]) - int(sys.argv[2])) / 1024:.1f}')" "$peak_kb" "$idle_kb")
    log "files round $i: $ok/$CLIENTS uploads of ${SIZE_MB} MB in ${wall} s (${rate} MB/s); peak RSS $((peak_kb / 1024)) MB, idle $((idle_kb / 1024)) MB: ${above} MB above idle"
    [[ $ok == "$CLIENTS" ]] || { log "uploads failed; see $SERVER_LOG"; exit 1; }
    peaks+=("$above")
done
stop_server

# ---- 2. through the server into S3, against direct PUTs to the same S3 server
MOTO_PORT=$(free_port)
"$MOTO_VENV/bin/moto_server" -p "$MOTO_PORT" >"$W/moto.log" 2>&1 &
MOTO_PID=$!
ENDPOINT=http://127.0.0.1:$MOTO_PORT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$ENDPOINT" 2>/dev/null && break; sleep 0.1; done
"$MOTO_VENV/bin/python" -c '
import boto3, sys
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
             aws_secret_access_key="test").create_bucket(Bucket="bench")' "$ENDPOINT"
CONFIG=$W/s3.toml
cat >"$CONFIG" <<TOML
storage_url = "s3://bench/objects"

[s3]
endpoint = "$ENDPOINT"
region = "us-east-1"
path_style = true
allow_http = true
access_key_id = "test"
secret_access_key = "test"

TOML
write_config_without_rate_limits "$W/limits.toml"
cat "$W/limits.toml" >>"$CONFIG"
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
SERVER_LOG=$W/server-s3.log
prepare_data_dir "$W/data-s3"
SERVER_CONFIG=$CONFIG start_server "$PORT" "$W/data-s3" "$(sqlite_url "$W/data-s3")"
$PY upload "$BASE" 2 0.1 >/dev/null
"$MOTO_VENV/bin/python" "$BENCH_DIR/s3_put.py" "$ENDPOINT" bench 2 0.1 >/dev/null
ratios=() directs=() servers=()
for i in $(seq 1 "$RUNS"); do
    read -r dok dwall drate <<<"$("$MOTO_VENV/bin/python" "$BENCH_DIR/s3_put.py" "$ENDPOINT" bench "$CLIENTS" "$SIZE_MB")"
    read -r sok swall srate <<<"$($PY upload "$BASE" "$CLIENTS" "$SIZE_MB")"
    [[ $dok == "$CLIENTS" && $sok == "$CLIENTS" ]] || { log "uploads failed (direct $dok, server $sok); see $SERVER_LOG"; exit 1; }
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.3f}')" "$srate" "$drate")
    log "s3 round $i: direct ${drate} MB/s (${dwall} s), through the server ${srate} MB/s (${swall} s): ratio $ratio"
    ratios+=("$ratio") directs+=("$drate") servers+=("$srate")
done
stop_server
server_log_summary "$W/server-files.log"
server_log_summary "$W/server-s3.log"

peak_m=$(median "${peaks[@]}")
ratio_m=$(median "${ratios[@]}")
echo "== upload: peak RSS above idle $peak_m MB (8 × 10 MB, files); S3 through the server ÷ direct: $ratio_m"
record upload_10mb_peak_rss_mb "$peak_m" "< 100 above idle"
record s3_upload_ratio "$ratio_m" "≥ 0.5"
record s3_direct_put_mb_per_s "$(median "${directs[@]}")" "— (baseline)"
record s3_server_upload_mb_per_s "$(median "${servers[@]}")" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "upload.sh"
