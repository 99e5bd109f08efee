#!/usr/bin/env bash
# Submissions over HTTP (JSON API, 32 concurrent clients) against raw durable single-row insert transactions of
# the same database with the same durability, measured side by side: raw, HTTP, raw, HTTP, …
#
#   bench/submit.sh sqlite|postgres|postgres2
#
# postgres2: two server processes on the one PostgreSQL database (issue 16), half the clients on each, their
# rates summed, against the same raw insert baseline (submit_ratio_postgres_2instances).
#
# Env: BENCH_RUNS (3), SUBMIT_SECONDS (10), BENCH_WORK (/tmp/madoguchi-bench).
source "$(dirname "$0")/lib.sh"

MODE=${1:-sqlite}
[[ $MODE == sqlite || $MODE == postgres || $MODE == postgres2 ]] || { echo "usage: $0 sqlite|postgres|postgres2" >&2; exit 2; }
DB=${MODE%2}
PORT2=""
SERVER2_PID=""
PORT=${SUBMIT_PORT:-$(free_port)}
SECONDS_PER_RUN=${SUBMIT_SECONDS:-10}
CLIENTS=32
SLUG=subsidy-bench
BASE=http://127.0.0.1:$PORT

build
ensure_oha
W=$(workdir submit-$MODE)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
if [[ $DB == sqlite ]]; then
    URL=$(sqlite_url "$W/data")
else
    pg_reset
    URL=$PG_URL
fi
trap 'stop_server; [[ -n $SERVER2_PID ]] && kill -INT $SERVER2_PID 2>/dev/null; [[ $DB == postgres ]] && pg_drop; cleanup_workdir "$W"; true' EXIT

start_server "$PORT" "$W/data" "$URL"
if [[ $MODE == postgres2 ]]; then
    # The second instance: its own data directory, the first one's development seal key (one key per database).
    prepare_data_dir "$W/data2"
    mkdir -p "$W/data2/issuance"
    cp -r "$W/data/issuance/dev" "$W/data2/issuance/"
    PORT2=$(free_port)
    first_pid=$SERVER_PID
    SERVER_LOG=$W/server2.log start_server "$PORT2" "$W/data2" "$URL"
    SERVER2_PID=$SERVER_PID
    SERVER_PID=$first_pid
fi
$PY import-bench-form "$BASE" "$REPO/crates/server/demo/forms/subsidy.json" "$SLUG"
$PY submission-body "$W/body.json"
$PY api-submit "$BASE" "$SLUG" >/dev/null

# Pending mail jobs (2 per submission: receipt to the applicant, notice to the department).
pending_jobs() {
    if [[ $DB == sqlite ]]; then
        sqlite3 "file:$W/data/db.sqlite?mode=ro" "SELECT COUNT(*) FROM jobs WHERE failed_at IS NULL"
    else
        psql -X -A -t "$PG_URL" -c "SELECT COUNT(*) FROM jobs WHERE failed_at IS NULL"
    fi
}
# Waits until the worker has sent every queued mail; prints the seconds it took.
drain_jobs() {
    local n t0
    t0=$(date +%s.%N)
    while true; do
        n=$(pending_jobs)
        [[ $n == 0 ]] && break
        sleep 0.2
        if (($(date +%s) - ${t0%.*} > 600)); then log "jobs not drained after 600 s ($n left)"; break; fi
    done
    python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)"
}

raw_baseline() {
    if [[ $DB == sqlite ]]; then
        # Same filesystem as the server's database, WAL + synchronous=FULL, one row per transaction.
        $PY sqlite-raw "$W/raw.sqlite" "$SECONDS_PER_RUN"
    else
        local payload
        payload=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["answers"], ensure_ascii=False))' "$W/body.json")
        psql -q -X "$PG_URL" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_raw" \
            -c "CREATE TABLE bench_raw (id BIGSERIAL PRIMARY KEY, receipt TEXT NOT NULL UNIQUE, answers TEXT NOT NULL, at BIGINT NOT NULL)" >/dev/null
        printf "INSERT INTO bench_raw (receipt, answers, at) VALUES (md5(random()::text || clock_timestamp()::text), '%s', 0);\n" \
            "$payload" >"$W/raw.sql"
        pgbench -n -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -f "$W/raw.sql" "$PG_URL" 2>"$W/pgbench.err" |
            sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
    fi
}

http_run() {
    local out=$1 secs=$2
    if [[ -z $PORT2 ]]; then
        "$OHA" --no-tui --output-format json -z "${secs}s" -c "$CLIENTS" -m POST \
            -H 'Content-Type: application/json' -D "$W/body.json" \
            "$BASE/api/v1/t/$TENANT/forms/$SLUG/submissions" >"$out"
        return
    fi
    # Half the clients on each instance, at the same time.
    local base pids=()
    for base in "$BASE" "http://127.0.0.1:$PORT2"; do
        "$OHA" --no-tui --output-format json -z "${secs}s" -c $((CLIENTS / 2)) -m POST \
            -H 'Content-Type: application/json' -D "$W/body.json" \
            "$base/api/v1/t/$TENANT/forms/$SLUG/submissions" >"$out.${base##*:}" &
        pids+=($!)
    done
    # The load generators only: a bare `wait` would also wait for the servers.
    wait "${pids[@]}"
    $PY oha-merge "$out" "$out.$PORT" "$out.$PORT2"
}

log "warm-up: 3 s of submissions at $CLIENTS clients"
http_run "$W/warmup.json" 3
drain_jobs >/dev/null

raws=() https=() ratios=() p50s=() p99s=() sustained=() drains=()
for i in $(seq 1 "$RUNS"); do
    raw=$(raw_baseline)
    http_run "$W/http-$i.json" "$SECONDS_PER_RUN"
    read -r rate p50 p99 ok total errors <<<"$($PY oha "$W/http-$i.json" 201)"
    backlog=$(pending_jobs)
    drain=$(drain_jobs)
    # Sustained: the accepted submissions over the run plus the time the worker needed to send their mail.
    sus=$(python3 -c "import sys; ok,s,d=map(float,sys.argv[1:]); print(f'{ok/(s+d):.1f}')" "$ok" "$SECONDS_PER_RUN" "$drain")
    ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.3f}')" "$rate" "$raw")
    log "run $i: raw ${raw} tx/s | http ${rate} submissions/s (201: $ok of $total responses, $errors client errors) p50 ${p50} ms p99 ${p99} ms | ratio $ratio | mail backlog $backlog, drained in ${drain} s (sustained ${sus}/s)"
    raws+=("$raw") https+=("$rate") ratios+=("$ratio") p50s+=("$p50") p99s+=("$p99") sustained+=("$sus") drains+=("$drain")
done

stop_server
[[ -n $SERVER2_PID ]] && kill -INT "$SERVER2_PID" 2>/dev/null && wait "$SERVER2_PID" 2>/dev/null
raw_m=$(median "${raws[@]}")
http_m=$(median "${https[@]}")
ratio_m=$(median "${ratios[@]}")
p50_m=$(median "${p50s[@]}")
p99_m=$(median "${p99s[@]}")
sus_ratio=$(python3 -c "import sys,statistics as s; a=list(map(float,sys.argv[1].split())); b=list(map(float,sys.argv[2].split())); print(f'{s.median([x/y for x,y in zip(a,b)]):.3f}')" "${sustained[*]}" "${raws[*]}")

echo "== submit $MODE: raw $raw_m tx/s, http $http_m submissions/s, ratio $ratio_m (median of per-round ratios), p50 $p50_m ms, p99 $p99_m ms; sustained ratio incl. mail drain $sus_ratio"
server_log_summary "$SERVER_LOG"

if [[ $MODE == postgres2 ]]; then
    record submit_ratio_postgres_2instances "$ratio_m" "≥ 0.5"
    record submit_http_per_s_postgres_2instances "$http_m" "—"
    record submit_p99_ms_postgres_2instances "$p99_m" "—"
    $PY machine-line "$BENCH_DIR/RESULTS.md" "submit.sh postgres2"
    exit 0
fi
record "submit_ratio_$DB" "$ratio_m" "≥ 0.5"
record "submit_p50_ms_$DB" "$p50_m" "—"
record "submit_p99_ms_$DB" "$p99_m" "—"
record "submit_raw_tps_$DB" "$raw_m" "— (baseline)"
record "submit_http_per_s_$DB" "$http_m" "—"
record "submit_sustained_ratio_$DB" "$sus_ratio" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "submit.sh $DB"
