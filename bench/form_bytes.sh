#!/usr/bin/env bash
# Bytes on the wire for a resident's first load of the subsidy form (GET /t/390003/forms/jigyo-suishin-hojokin):
# the HTML and every stylesheet, script, font and image it references (and fonts/images the stylesheets
# reference), each fetched as Chromium asks (`Accept-Encoding: gzip, deflate, br`) with an empty cache.
#
#   bench/form_bytes.sh
#
# Prints one line per resource (encoding, compressed bytes, uncompressed bytes) and the total, and records
# `form_page_bytes_compressed` (goal < 20 KB = 20480 bytes) in RESULTS.md.
source "$(dirname "$0")/lib.sh"

PORT=${FORM_BYTES_PORT:-$(free_port)}
BASE=http://127.0.0.1:$PORT
PAGE=/t/$TENANT/forms/jigyo-suishin-hojokin
GOAL=20480

build
W=$(workdir form-bytes)
log "scratch directory $W"
SERVER_LOG=$W/server.log
prepare_data_dir "$W/data"
trap 'stop_server; cleanup_workdir "$W"; true' EXIT
start_server "$PORT" "$W/data" "$(sqlite_url "$W/data")"

total=$(python3 - "$BASE" "$PAGE" <<'PY'
import re, sys, urllib.parse, urllib.request

base, page = sys.argv[1], sys.argv[2]
ACCEPT = "gzip, deflate, br"

def fetch(path, accept):
    req = urllib.request.Request(base + path, headers={"Accept-Encoding": accept, "User-Agent": "Mozilla/5.0 Chrome"})
    with urllib.request.urlopen(req) as r:
        # urllib does not decode: these are the bytes on the wire.
        return r.read(), r.headers.get("Content-Encoding", "identity"), r.headers.get("Content-Type", "")

seen, queue, total = set(), [page], 0
while queue:
    path = queue.pop(0)
    if path in seen:
        continue
    seen.add(path)
    wire, enc, ctype = fetch(path, ACCEPT)
    # The same resource uncompressed, to read what it references.
    plain, _, _ = fetch(path, "identity")
    total += len(wire)
    print(f"  {path}  {enc}  {len(wire)} bytes ({len(plain)} uncompressed)", file=sys.stderr)
    text = plain.decode("utf-8", "replace")
    refs = []
    if "html" in ctype:
        refs += re.findall(r'<link[^>]+rel="(?:stylesheet|icon|preload|modulepreload)"[^>]*href="([^"]+)"', text)
        refs += re.findall(r'<link[^>]+href="([^"]+)"[^>]*rel="(?:stylesheet|icon|preload|modulepreload)"', text)
        refs += re.findall(r'<(?:script|img|source)[^>]+src="([^"]+)"', text)
    if "css" in ctype:
        refs += re.findall(r'url\(\s*["\']?([^"\')]+)', text)
    for ref in refs:
        if ref.startswith("data:"):
            continue
        url = urllib.parse.urljoin(base + path, ref)
        if url.startswith(base):
            queue.append(url[len(base):])
print(total)
PY
)
stop_server
echo "== form_page_bytes_compressed: $total bytes (goal < $GOAL)"
server_log_summary "$SERVER_LOG"
record form_page_bytes_compressed "$total" "< 20480 (20 KB)"
$PY machine-line "$BENCH_DIR/RESULTS.md" "form_bytes.sh"
