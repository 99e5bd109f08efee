"""Helpers for the open data benchmarks (standard library only).

  opendata_helpers.py token BASE LOGIN            → prints a new CKAN API token of that staff account
  opendata_helpers.py fill BASE N TOKEN@ORG...    → creates N datasets through package_create (in turn)
  opendata_helpers.py aed-csv ROWS OUT [cp932]    → writes a valid AED file (old layout) with ROWS rows
  opendata_helpers.py csv-baseline FILE           → rows/s of Python's csv module reading the same file
"""

import csv
import http.client
import io
import json
import os
import random
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpers  # noqa: E402  (login with CSRF, shared with the other benchmarks)


def cmd_token(base, login):
    jar = helpers.login(base, login)
    csrf = helpers.page_csrf(base, jar, "/staff/opendata/tokens")
    c = helpers._conn(base)
    body = urllib.parse.urlencode({"_csrf": csrf, "name": "benchmark"})
    c.request(
        "POST",
        "/staff/opendata/tokens",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": helpers._cookie_header(jar)},
    )
    r = c.getresponse()
    html = r.read().decode("utf-8")
    marker = 'id="new-token" readonly value="'
    i = html.index(marker) + len(marker)
    print(html[i : html.index('"', i)])


TOPICS = ["人口", "避難場所", "観光", "子育て", "介護", "医療機関", "文化財", "公衆トイレ", "イベント", "AED", "予算", "選挙", "ごみ収集", "道路", "公園"]
TAGS = ["防災", "観光", "福祉", "統計", "子育て", "環境", "交通", "健康"]
LAYOUTS = ["aed", "evacuation", "public_facility", "tourism", "event", "public_toilet", ""]


def cmd_fill(base, n, *tokens):
    n = int(n)
    # Each argument is TOKEN@ORG: datasets go round-robin to the organisations.
    lock = threading.Lock()
    counter = {"next": 0, "done": 0}
    failures = []

    def worker(wid):
        rnd = random.Random(wid)
        c = helpers._conn(base)
        while True:
            with lock:
                i = counter["next"]
                counter["next"] += 1
            if i >= n:
                return
            token, org = tokens[i % len(tokens)].split("@")
            topic = rnd.choice(TOPICS)
            layout = rnd.choice(LAYOUTS)
            body = {
                "name": f"bench-{i:06d}",
                "title": f"{topic}データ 第{i}号",
                "owner_org": org,
                "notes": f"{topic}に関する統計データです。年度ごとに更新します。番号 {i}",
                "tags": [{"name": t} for t in rnd.sample(TAGS, 2)],
                "resources": [{"url": f"https://example.jp/data/{i}.csv", "name": f"{topic}.csv", "format": "CSV"}],
            }
            if layout:
                body["extras"] = [{"key": "standard_dataset", "value": layout}]
            c.request("POST", "/api/3/action/package_create", body=json.dumps(body), headers={"Content-Type": "application/json", "Authorization": token})
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                failures.append((i, r.status, data[:200]))
                return

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit(f"package_create failed: {failures[:3]}")
    print(f"{n} datasets in {time.perf_counter() - t0:.1f} s")


def cmd_aed_csv(rows, out, enc="utf-8"):
    rows = int(rows)
    header = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称", "名称_カナ", "住所", "方書", "緯度", "経度", "設置位置", "電話番号", "内線番号", "法人番号", "団体名", "利用可能曜日", "開始時間", "終了時間", "利用可能日時特記事項", "小児対応設備の有無", "URL", "備考"]
    rnd = random.Random(42)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for i in range(1, rows + 1):
        w.writerow([
            "392014", str(i), "高知県", "高知市", f"高知市施設{i}", "コウチシシセツ", f"高知県高知市本町{i % 9 + 1}丁目{i % 50 + 1}番", "",
            f"{33.50 + rnd.random() * 0.1:.5f}", f"{133.45 + rnd.random() * 0.15:.5f}", "1階 玄関", "088-822-8111", "", "", "",
            "月火水木金", "08:30", "17:15", "", "有" if i % 2 else "無", "https://www.example.jp/", "サンプルデータ",
        ])
    data = buf.getvalue().encode("cp932" if enc == "cp932" else "utf-8")
    with open(out, "wb") as f:
        f.write(data)
    print(len(data))


def cmd_csv_baseline(path):
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        with open(path, encoding="utf-8", newline="") as f:
            n = sum(1 for _ in csv.reader(f)) - 1
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print(f"{n / best:.0f}")


def _staff_post(base, jar, path, fields):
    csrf = helpers.page_csrf(base, jar, "/staff/opendata/harvest")
    c = helpers._conn(base)
    body = urllib.parse.urlencode({"_csrf": csrf, **fields})
    c.request(
        "POST",
        path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": helpers._cookie_header(jar)},
    )
    r = c.getresponse()
    return r.status, r.getheader("Location") or "", r.read().decode("utf-8")


def cmd_harvest_source(base, url, org_tenant_id):
    """Adds a CKAN harvest source as the prefecture's administrator; prints its id."""
    jar = helpers.login(base, "pref-admin")
    status, location, body = _staff_post(
        base,
        jar,
        "/staff/opendata/harvest",
        {"name": "ベンチマーク元", "kind": "ckan", "url": url, "org": org_tenant_id, "every_hours": "0", "enabled": "1"},
    )
    if status != 303:
        sys.exit(f"adding the source failed: HTTP {status} {body[:300]}")
    print(location.rsplit("/", 1)[1])


def cmd_harvest_run(base, source):
    """Queues a run of the source with the page's button."""
    jar = helpers.login(base, "pref-admin")
    status, _, body = _staff_post(base, jar, f"/staff/opendata/harvest/{source}/run", {})
    if status != 200 or "実行待ちにしました" not in body:
        sys.exit(f"queueing the run failed: HTTP {status} {body[:300]}")


def cmd_harvest_wait(db_path, source, timeout="3600"):
    """Waits for the source's latest run to finish (SQLite); prints status found created updated deleted seconds."""
    import sqlite3

    deadline = time.time() + float(timeout)
    while time.time() < deadline:
        con = sqlite3.connect(db_path, timeout=30)
        row = con.execute(
            "SELECT status, found, created, updated, deleted, started_at, finished_at, message FROM od_harvest_runs"
            " WHERE source_id = ? ORDER BY id DESC LIMIT 1",
            (int(source),),
        ).fetchone()
        con.close()
        if row and row[0] in ("succeeded", "failed"):
            status, found, created, updated, deleted, started, finished, message = row
            if status == "failed":
                sys.exit(f"harvest run failed: {message}")
            print(status, found, created, updated, deleted, f"{(finished - started) / 1000:.3f}")
            return
        time.sleep(0.5)
    sys.exit("harvest run did not finish in time")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {
        "token": cmd_token,
        "fill": cmd_fill,
        "aed-csv": cmd_aed_csv,
        "csv-baseline": cmd_csv_baseline,
        "harvest-source": cmd_harvest_source,
        "harvest-run": cmd_harvest_run,
        "harvest-wait": cmd_harvest_wait,
    }[cmd](*args)
