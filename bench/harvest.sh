#!/usr/bin/env bash
# Harvesting (ADR 0034): a remote madoguchi with 10,000 datasets acts as the CKAN site; a second (local)
# instance harvests it through its staff page and job worker. Records the first, full run's datasets per
# second (created ÷ the run's started→finished time from the run log), and the time of a second run right
# after it (incremental: only the dataset at the high-water mark comes back).
#
#   bench/harvest.sh
#
# Env: HARVEST_DATASETS (10000). SQLite for both instances (the run log is read from the local database).
source "$(dirname "$0")/lib.sh"

N=${HARVEST_DATASETS:-10000}
REMOTE_PORT=$(free_port)
LOCAL_PORT=$(free_port)
REMOTE=http://127.0.0.1:$REMOTE_PORT
LOCAL=http://127.0.0.1:$LOCAL_PORT
ODPY="python3 $BENCH_DIR/opendata_helpers.py"

build
W=$(workdir harvest)
log "scratch directory $W"
mkdir -p "$W/remote" "$W/local"
prepare_data_dir "$W/remote/data"
prepare_data_dir "$W/local/data"
write_config_without_rate_limits "$W/remote.toml"
write_config_without_rate_limits "$W/local.toml"
# The remote is on the loopback address: private addresses are allowed for this benchmark only.
printf '\n[opendata]\nharvest_allow_private_addresses = true\n' >>"$W/local.toml"

REMOTE_PID="" LOCAL_PID=""
trap '[[ -n $LOCAL_PID ]] && kill "$LOCAL_PID" 2>/dev/null; [[ -n $REMOTE_PID ]] && kill "$REMOTE_PID" 2>/dev/null; cleanup_workdir "$W/remote"; cleanup_workdir "$W/local"; true' EXIT

SERVER_LOG=$W/remote.log SERVER_CONFIG=$W/remote.toml RUST_LOG=warn \
    start_server "$REMOTE_PORT" "$W/remote/data" "$(sqlite_url "$W/remote/data")"
REMOTE_PID=$SERVER_PID
CITY=$($ODPY token "$REMOTE" kochi-city-admin)
PREF=$($ODPY token "$REMOTE" pref-admin)
log "creating $N datasets on the remote through package_create"
$ODPY fill "$REMOTE" "$N" "$CITY@392014" "$PREF@390003" >&2
count=$(curl -fsS "$REMOTE/api/3/action/package_search?rows=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')
log "remote catalog holds $count datasets"

SERVER_PID=""
SERVER_LOG=$W/local.log SERVER_CONFIG=$W/local.toml RUST_LOG=info,sqlx=warn \
    start_server "$LOCAL_PORT" "$W/local/data" "$(sqlite_url "$W/local/data")"
LOCAL_PID=$SERVER_PID
CITY_ID=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT id FROM tenants WHERE code = ?", ("392014",)).fetchone()[0])' "$W/local/data/db.sqlite")
SOURCE=$($ODPY harvest-source "$LOCAL" "$REMOTE" "$CITY_ID")
log "harvest source $SOURCE on the local instance; first run"
load=$(cut -d' ' -f1-3 /proc/loadavg)
$ODPY harvest-run "$LOCAL" "$SOURCE"
read -r status found created updated deleted secs <<<"$($ODPY harvest-wait "$W/local/data/db.sqlite" "$SOURCE")"
rate=$(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$created" "$secs")
log "first run: $status, found $found, created $created in $secs s = $rate datasets/s (load $load)"
$ODPY harvest-run "$LOCAL" "$SOURCE"
read -r status2 found2 created2 updated2 deleted2 secs2 <<<"$($ODPY harvest-wait "$W/local/data/db.sqlite" "$SOURCE")"
log "second run: $status2, found $found2, created $created2, updated $updated2, deleted $deleted2 in $secs2 s"

echo "== harvest of $count datasets: $rate datasets/s (first run $secs s); second run found $found2 in $secs2 s; load before: $load"
record "harvest_datasets_per_s" "$rate" "≥ 50"
record "harvest_incremental_run_s" "$secs2" "—"
$PY machine-line "$BENCH_DIR/RESULTS.md" "harvest.sh"
