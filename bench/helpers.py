#!/usr/bin/env python3
"""Helpers for the benchmark scripts (standard library only).

Subcommands are called from the shell scripts in this directory; see bench/README.md.
"""

import datetime
import hashlib
import http.client
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

TENANT = "390003"
PASSWORD = "madoguchi-demo"

# Answers of the subsidy form without its file parts (the API refuses attachments).
ANSWERS = {
    "applicant": {
        "kind": "corporation",
        "corporate_name": "株式会社髙﨑商店",
        "representative": "代表取締役 髙﨑 太郎",
    },
    "postal_code": "780-0850",
    "address": "高知県高知市丸ノ内1-2-20",
    "phone": "088-823-1111",
    "email": "bench@example.jp",
    "kind": "new",
    "project_name": "県産品の販路拡大",
    "amount": 1500000,
    "consent": True,
}


# ---------------------------------------------------------------- small utilities


def cmd_median(args):
    vals = sorted(float(a) for a in args)
    print(f"{statistics.median(vals):.6g}")


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True).stdout.strip()


def commit_label(repo):
    c = git(repo, "rev-parse", "--short=7", "HEAD") or "unknown"
    # The code under test differs from the commit: say so.
    if git(repo, "status", "--porcelain", "--", "crates", "Cargo.toml", "Cargo.lock"):
        c += "+dirty"
    return c


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cmd_machine(args):
    repo = args[0]
    print(
        f"{datetime.date.today().isoformat()}, commit {commit_label(repo)}, "
        f"nproc {os.cpu_count()}, CPU {cpu_model()}, {platform.system()} {platform.release()}"
    )


ROW = re.compile(r"^\|\s*([A-Za-z0-9_]+)\s*\|")


def cmd_record(args):
    """record RESULTS.md METRIC VALUE GOAL: one row per metric, newest value only."""
    path, metric, value, goal = args
    repo = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    measured = f"{datetime.date.today().isoformat()} {commit_label(repo)}"
    row = f"| {metric} | {value} | {goal} | {measured} |"
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        lines = [
            "# Benchmark results",
            "",
            "| metric | value | goal | measured |",
            "|---|---|---|---|",
        ]
    for i, line in enumerate(lines):
        m = ROW.match(line)
        if m and m.group(1) == metric:
            lines[i] = row
            break
    else:
        # Append after the last table row.
        last = max((i for i, l in enumerate(lines) if l.startswith("|")), default=len(lines) - 1)
        lines.insert(last + 1, row)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def cmd_machine_line(args):
    """machine-line RESULTS.md SCRIPT: updates the 'Last run of SCRIPT' line under '## Machine'."""
    path, script = args
    repo = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    text = f"- `{script}`: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, commit {commit_label(repo)}, nproc {os.cpu_count()}, CPU {cpu_model()}"
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    prefix = f"- `{script}`:"
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            lines[i] = text
            break
    else:
        try:
            at = lines.index("## Runs") + 1
            while at < len(lines) and lines[at].startswith("- "):
                at += 1
            lines.insert(at, text)
        except ValueError:
            lines += ["", "## Runs", text]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- raw database baselines


def cmd_sqlite_raw(args):
    """sqlite-raw FILE SECONDS: single-row durable insert transactions/s (WAL, synchronous=FULL)."""
    path, seconds = args[0], float(args[1])
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY AUTOINCREMENT, receipt TEXT NOT NULL UNIQUE,"
        " answers TEXT NOT NULL, at BIGINT NOT NULL)"
    )
    payload = json.dumps(ANSWERS, ensure_ascii=False)
    n = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO raw (receipt, answers, at) VALUES (?, ?, ?)", (f"R{n:09d}", payload, n))
        db.execute("COMMIT")
        n += 1
    elapsed = time.perf_counter() - start
    db.close()
    print(f"{n / elapsed:.1f}")


# ---------------------------------------------------------------- oha output


def cmd_oha(args):
    """oha FILE STATUS: prints 'rate p50_ms p99_ms ok total_responses errors' for one oha JSON result.

    rate counts only responses with STATUS (e.g. 201) per second of the run."""
    path, status = args
    with open(path) as f:
        r = json.load(f)
    s = r["summary"]
    dist = r.get("statusCodeDistribution", {})
    ok = int(dist.get(status, 0))
    total = sum(int(v) for v in dist.values())
    errors = sum(int(v) for v in r.get("errorDistribution", {}).values())
    elapsed = float(s["total"])
    pct = r.get("latencyPercentiles", {})
    p50 = (pct.get("p50") or 0) * 1000
    p99 = (pct.get("p99") or 0) * 1000
    print(f"{ok / elapsed:.1f} {p50:.2f} {p99:.2f} {ok} {total} {errors}")


def cmd_oha_merge(args):
    """oha-merge OUT A B…: one oha JSON result from runs made at the same time against several instances:
    status and error counts summed, the longest run's duration, each latency percentile the worst of the runs."""
    out, paths = args[0], args[1:]
    runs = [json.load(open(p)) for p in paths]
    merged = {"summary": {"total": max(float(r["summary"]["total"]) for r in runs)},
              "statusCodeDistribution": {}, "errorDistribution": {}, "latencyPercentiles": {}}
    for r in runs:
        for key in ("statusCodeDistribution", "errorDistribution"):
            for k, v in r.get(key, {}).items():
                merged[key][k] = merged[key].get(k, 0) + int(v)
        for k, v in r.get("latencyPercentiles", {}).items():
            if v is not None:
                merged["latencyPercentiles"][k] = max(merged["latencyPercentiles"].get(k, 0), v)
    with open(out, "w") as f:
        json.dump(merged, f)


# ---------------------------------------------------------------- HTTP sessions


def _conn(base):
    u = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def _cookies(resp, jar):
    for k, v in resp.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(jar):
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def page_csrf(base, jar, path):
    """The `_csrf` value of a page fetched with the jar's cookies (the form value is derived from the cookies,
    ADR 0005; it is not the cookie's value)."""
    c = _conn(base)
    c.request("GET", path, headers={"Cookie": _cookie_header(jar)} if jar else {})
    r = c.getresponse()
    html = r.read().decode("utf-8")
    _cookies(r, jar)
    m = re.search(r'name="_csrf" value="([^"]+)"', html)
    if not m:
        sys.exit(f"no CSRF value on {path} (HTTP {r.status})")
    return m.group(1)


def login(base, user):
    jar = {}
    csrf = page_csrf(base, jar, "/staff/login")
    c = _conn(base)
    body = urllib.parse.urlencode({"_csrf": csrf, "login": user, "password": PASSWORD})
    c.request(
        "POST",
        "/staff/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)},
    )
    r = c.getresponse()
    r.read()
    _cookies(r, jar)
    if r.status != 303 or "madoguchi_session" not in jar:
        sys.exit(f"login as {user} failed: HTTP {r.status}")
    return jar


def cmd_login(args):
    print(_cookie_header(login(args[0], args[1])))


def cmd_import_bench_form(args):
    """import-bench-form BASE SUBSIDY_JSON SLUG: imports the subsidy form minus its file parts as pref-admin."""
    base, src, slug = args
    with open(src, encoding="utf-8") as f:
        d = json.load(f)
    d["parts"] = [p for p in d["parts"] if p.get("type") != "file"]
    d["title"] = d["title"] + "（ベンチマーク用・添付なし）"
    jar = login(base, "pref-admin")
    body = urllib.parse.urlencode(
        {"_csrf": jar["madoguchi_csrf"], "slug": slug, "definition": json.dumps(d, ensure_ascii=False)}
    )
    c = _conn(base)
    c.request(
        "POST",
        "/staff/forms/import",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)},
    )
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    if r.status != 303:
        sys.exit(f"import of {slug} failed: HTTP {r.status}\n{text[:2000]}")


def cmd_form_id(args):
    """form-id BASE LOGIN SLUG: the form's id as listed on /staff/forms for that staff member."""
    base, user, slug = args
    jar = login(base, user)
    c = _conn(base)
    c.request("GET", "/staff/forms", headers={"Cookie": _cookie_header(jar)})
    r = c.getresponse()
    html = r.read().decode("utf-8", "replace")
    # Each form row links to /staff/forms/{id}/... and shows its public URL /t/{code}/forms/{slug}.
    for row in re.split(r"<tr", html):
        if f'/forms/{slug}"' in row:
            m = re.search(r"/staff/forms/(\d+)/", row)
            if m:
                print(m.group(1))
                return
    sys.exit(f"form {slug} not found on /staff/forms")


def cmd_submission_body(args):
    with open(args[0], "w", encoding="utf-8") as f:
        json.dump({"answers": ANSWERS}, f, ensure_ascii=False)


def cmd_api_submit(args):
    """api-submit BASE SLUG: one submission through the API; prints the receipt number."""
    base, slug = args
    c = _conn(base)
    c.request(
        "POST",
        f"/api/v1/t/{TENANT}/forms/{slug}/submissions",
        body=json.dumps({"answers": ANSWERS}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )
    r = c.getresponse()
    text = r.read().decode()
    if r.status != 201:
        sys.exit(f"submission failed: HTTP {r.status} {text}")
    print(json.loads(text)["receipt_number"])


# ---------------------------------------------------------------- export


def cmd_fill_export(args):
    """fill-export DB RECEIPT N: copies one real submission row N-1 times with new receipt numbers and answers.

    The server must be stopped. Answers vary the name, project and amount so rows are not identical."""
    path, receipt, n = args[0], args[1], int(args[2])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    cols = [r[1] for r in db.execute("PRAGMA table_info(submissions)")]
    row = db.execute(f"SELECT {', '.join(cols)} FROM submissions WHERE receipt_number = ?", (receipt,)).fetchone()
    if row is None:
        sys.exit(f"no submission {receipt}")
    base = dict(zip(cols, row))
    answers = json.loads(base["answers"])
    date = receipt.split("-")[0]
    copy_cols = [c for c in cols if c != "id"]
    sql = f"INSERT INTO submissions ({', '.join(copy_cols)}) VALUES ({', '.join('?' for _ in copy_cols)})"
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    rng = random.Random(42)
    seen = {receipt}
    db.execute("BEGIN")
    batch = []
    for i in range(1, n):
        while True:
            r = f"{date}-" + "".join(rng.choice(alphabet) for _ in range(8))
            if r not in seen:
                seen.add(r)
                break
        a = json.loads(json.dumps(answers))
        if isinstance(a.get("applicant"), dict):
            a["applicant"]["corporate_name"] = f"株式会社髙﨑商店 第{i}支店"
        a["project_name"] = f"県産品の販路拡大（その{i}）"
        a["amount"] = 1000 + (i * 37) % 4_999_000
        v = dict(base)
        v["receipt_number"] = r
        v["answers"] = json.dumps(a, ensure_ascii=False, separators=(",", ":"))
        v["submitted_at"] = base["submitted_at"] + i
        v["updated_at"] = v["submitted_at"]
        batch.append(tuple(v[c] for c in copy_cols))
        if len(batch) >= 10000:
            db.executemany(sql, batch)
            batch = []
    if batch:
        db.executemany(sql, batch)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def cmd_csv_rows(args):
    """csv-rows FILE: number of CSV records (header included)."""
    import csv

    with open(args[0], encoding="utf-8-sig", newline="") as f:
        print(sum(1 for _ in csv.reader(f)))


def cmd_rss(args):
    """rss PID OUT STOPFILE: samples VmRSS (kB) every 50 ms until STOPFILE exists; writes 'max_kb samples'."""
    pid, out, stop = args
    peak = 0
    n = 0
    while not os.path.exists(stop):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
                        n += 1
                        break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    with open(out, "w") as f:
        f.write(f"{peak} {n}\n")


def cmd_rss_now(args):
    with open(f"/proc/{args[0]}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(line.split()[1])
                return


# ---------------------------------------------------------------- crash test


def tiny_pdf(tag):
    body = (
        "%PDF-1.4\n% madoguchi bench " + tag + "\n"
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        "trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return body.encode()


def multipart(fields, files):
    boundary = "----madoguchibench" + os.urandom(8).hex()
    out = []
    for k, v in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, name, ctype, data in files:
        out.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class Acks:
    def __init__(self):
        self.lock = threading.Lock()
        self.api = []  # (receipt, project_name)
        self.web = []  # (receipt, project_name, sha256)
        self.failures = {}  # reason -> count
        self.attempts = 0

    def fail(self, reason):
        with self.lock:
            self.failures[reason] = self.failures.get(reason, 0) + 1


def api_worker(base, slug, stop, acks, wid):
    n = 0
    c = None
    while not stop.is_set():
        n += 1
        project = f"crash-api-{wid}-{n}"
        a = dict(ANSWERS, project_name=project)
        with acks.lock:
            acks.attempts += 1
        try:
            if c is None:
                c = _conn(base)
            c.request(
                "POST",
                f"/api/v1/t/{TENANT}/forms/{slug}/submissions",
                body=json.dumps({"answers": a}, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
            )
            r = c.getresponse()
            text = r.read()
            if r.status == 201:
                rec = json.loads(text)["receipt_number"]
                with acks.lock:
                    acks.api.append((rec, project))
            else:
                acks.fail(f"api HTTP {r.status}")
        except (OSError, http.client.HTTPException) as e:
            acks.fail(f"api {type(e).__name__}")
            if c is not None:
                c.close()
            c = None
            time.sleep(0.05)


def web_worker(base, stop, acks, wid):
    """The resident's path: input page → multipart POST with a PDF → submit → receipt in the redirect."""
    form = f"/t/{TENANT}/forms/jigyo-suishin-hojokin"
    n = 0
    while not stop.is_set():
        n += 1
        project = f"crash-web-{wid}-{n}"
        pdf = tiny_pdf(f"{project} {os.urandom(8).hex()}")
        sha = hashlib.sha256(pdf).hexdigest()
        with acks.lock:
            acks.attempts += 1
        try:
            c = _conn(base)
            jar = {}
            c.request("GET", form)
            r = c.getresponse()
            r.read()
            _cookies(r, jar)
            fields = [
                ("_csrf", jar["madoguchi_csrf"]),
                ("_draft", ""),
                ("_action", "confirm"),
                ("applicant.kind", "corporation"),
                ("applicant.corporate_name", "株式会社髙﨑商店"),
                ("applicant.representative", "代表取締役 髙﨑 太郎"),
                ("postal_code", "780-0850"),
                ("address", "高知県高知市丸ノ内1-2-20"),
                ("phone", "088-823-1111"),
                ("email", "bench@example.jp"),
                ("kind", "new"),
                ("project_name", project),
                ("amount", "1500000"),
                ("consent", "yes"),
            ]
            body, ctype = multipart(fields, [("application_document", "申請書.pdf", "application/pdf", pdf)])
            c.request("POST", form, body=body, headers={"Content-Type": ctype, "Cookie": _cookie_header(jar)})
            r = c.getresponse()
            text = r.read()
            loc = r.getheader("Location") or ""
            m = re.search(r"[?&]d=([^&]+)", loc)
            if r.status != 303 or not m:
                acks.fail(f"web input HTTP {r.status}")
                if r.status == 422:
                    sys.stderr.write(text.decode("utf-8", "replace")[:3000])
                continue
            draft = urllib.parse.unquote(m.group(1))
            body = urllib.parse.urlencode({"_csrf": jar["madoguchi_csrf"], "_draft": draft})
            c.request(
                "POST",
                form + "/submit",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)},
            )
            r = c.getresponse()
            r.read()
            loc = r.getheader("Location") or ""
            m = re.search(r"/done/([0-9A-Z-]+)$", loc)
            if r.status == 303 and m:
                with acks.lock:
                    acks.web.append((m.group(1), project, sha))
            else:
                acks.fail(f"web submit HTTP {r.status}")
            c.close()
        except (OSError, http.client.HTTPException, KeyError) as e:
            acks.fail(f"web {type(e).__name__}")
            time.sleep(0.05)


def cmd_crash_client(args):
    """crash-client BASE SLUG API_THREADS WEB_THREADS STOPFILE OUT: submits until STOPFILE exists."""
    base, slug, api_threads, web_threads, stopfile, out = args
    stop = threading.Event()
    acks = Acks()
    threads = [
        threading.Thread(target=api_worker, args=(base, slug, stop, acks, i), daemon=True)
        for i in range(int(api_threads))
    ] + [threading.Thread(target=web_worker, args=(base, stop, acks, i), daemon=True) for i in range(int(web_threads))]
    for t in threads:
        t.start()
    while not os.path.exists(stopfile):
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    with acks.lock:
        data = {"api": acks.api, "web": acks.web, "failures": acks.failures, "attempts": acks.attempts}
    with open(out, "w") as f:
        json.dump(data, f, ensure_ascii=False)


def cmd_crash_verify(args):
    """crash-verify ACKS_JSON DATA_DIR DATABASE_URL: checks every acknowledged receipt; prints a JSON report."""
    path, data_dir, url = args
    with open(path) as f:
        acks = json.load(f)
    receipts = [r for r, _ in acks["api"]] + [r for r, _, _ in acks["web"]]
    if url.startswith("sqlite:"):
        dbfile = url[len("sqlite://") :].split("?")[0]
        db = sqlite3.connect(dbfile)
        rows = db.execute(
            "SELECT s.receipt_number, s.answers, a.id, a.sha256 FROM submissions s"
            " LEFT JOIN attachments a ON a.submission_id = s.id"
        ).fetchall()
    else:
        out = subprocess.run(
            [
                "psql",
                "-X",
                "-A",
                "-t",
                "-F",
                "\t",
                url,
                "-c",
                "SELECT s.receipt_number, s.answers, COALESCE(a.id, ''), COALESCE(a.sha256, '') FROM submissions s"
                " LEFT JOIN attachments a ON a.submission_id = s.id",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows = [tuple(l.split("\t")) for l in out.splitlines() if l]
    found = {}
    for rec, answers, att, sha in rows:
        found.setdefault(rec, {"answers": answers, "att": []})
        if att:
            found[rec]["att"].append((att, sha))
    lost, wrong_answers, att_missing, att_bad = [], [], [], []
    for rec, project in acks["api"]:
        s = found.get(rec)
        if s is None:
            lost.append(rec)
        elif json.loads(s["answers"]).get("project_name") != project:
            wrong_answers.append(rec)
    for rec, project, sha in acks["web"]:
        s = found.get(rec)
        if s is None:
            lost.append(rec)
            continue
        if json.loads(s["answers"]).get("project_name") != project:
            wrong_answers.append(rec)
        atts = [a for a in s["att"] if a[1] == sha]
        if not atts:
            att_missing.append(rec)
            continue
        for att_id, _ in atts:
            p = os.path.join(data_dir, "objects", "attachments", att_id)
            try:
                with open(p, "rb") as f:
                    if hashlib.sha256(f.read()).hexdigest() != sha:
                        att_bad.append(rec)
            except FileNotFoundError:
                att_bad.append(rec)
    print(
        json.dumps(
            {
                "acknowledged_api": len(acks["api"]),
                "acknowledged_web": len(acks["web"]),
                "attempts": acks["attempts"],
                "client_failures": acks["failures"],
                "rows_in_db": len(found),
                "lost": len(lost),
                "lost_receipts": lost[:20],
                "wrong_answers": len(wrong_answers),
                "attachment_row_missing": len(att_missing),
                "attachment_object_missing_or_bad": len(att_bad),
                "duplicates_acknowledged": len(receipts) - len(set(receipts)),
            },
            ensure_ascii=False,
        )
    )


# ---------------------------------------------------------------- another client during a burst


def cmd_page_latency(args):
    """page-latency URL THREADS READY STOP: THREADS keep-alive clients GET URL in a loop; READY is created once
    every client has had an answer, and they stop when the file STOP exists. Prints 'p50_ms p99_ms ok total'
    over the requests started after READY (the burst is started then)."""
    url, threads, ready, stop = args[0], int(args[1]), args[2], args[3]
    u = urllib.parse.urlsplit(url)
    path = u.path + (f"?{u.query}" if u.query else "")
    lock = threading.Lock()
    samples, warmed = [], threading.Barrier(threads + 1)

    def client():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request("GET", path)
        c.getresponse().read()
        warmed.wait()
        while not os.path.exists(stop):
            t = time.perf_counter()
            try:
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                status = 0
            with lock:
                samples.append(((time.perf_counter() - t) * 1000, status))

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    warmed.wait()
    open(ready, "w").close()
    for w in workers:
        w.join()
    times = sorted(ms for ms, _ in samples)
    ok = sum(1 for _, st in samples if st == 200)
    if not times:
        print("0 0 0 0")
        return
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{p50:.2f} {p99:.2f} {ok} {len(times)}")


# ---------------------------------------------------------------- uploads (issue 16)


def _upload_one(base, size, tag):
    """A resident's input page, then the form posted with one SIZE-byte PDF; returns (ok, seconds of the POST)."""
    form = f"/t/{TENANT}/forms/jigyo-suishin-hojokin"
    c = _conn(base)
    jar = {}
    c.request("GET", form)
    r = c.getresponse()
    page = r.read().decode("utf-8", "replace")
    _cookies(r, jar)
    m = re.search(r'name="_csrf" value="([^"]+)"', page)
    if not m:
        return False, 0.0
    pdf = b"%PDF-1.4\n% madoguchi upload bench " + tag.encode() + b"\n" + os.urandom(size - 48) + b"\n%%EOF\n"
    fields = [
        ("_csrf", m.group(1)),
        ("_draft", ""),
        ("_action", "confirm"),
        ("applicant.kind", "individual"),
        ("applicant.name", "髙﨑 花子"),
        ("applicant.furigana", "タカサキ ハナコ"),
        ("postal_code", "780-0850"),
        ("address", "高知県高知市丸ノ内1-2-20"),
        ("phone", "088-823-1111"),
        ("email", "bench@example.jp"),
        ("kind", "new"),
        ("project_name", "upload " + tag),
        ("amount", "1500000"),
        ("consent", "yes"),
    ]
    body, ctype = multipart(fields, [("application_document", "申請書.pdf", "application/pdf", pdf)])
    t0 = time.monotonic()
    c.request("POST", form, body=body, headers={"Content-Type": ctype, "Cookie": _cookie_header(jar)})
    r = c.getresponse()
    text = r.read()
    took = time.monotonic() - t0
    c.close()
    if r.status != 303:
        sys.stderr.write(f"upload HTTP {r.status}: {text.decode('utf-8', 'replace')[:500]}\n")
    return r.status == 303, took


def cmd_upload(args):
    """upload BASE CLIENTS SIZE_MB: CLIENTS residents upload SIZE_MB (10^6 bytes) at once; prints
    'ok total_seconds mb_per_s' (megabytes through the server per second of wall time)."""
    base, clients, size_mb = args[0], int(args[1]), float(args[2])
    size = int(size_mb * 1_000_000)
    results = []
    lock = threading.Lock()

    def one(i):
        ok, took = _upload_one(base, size, f"{i}-{os.urandom(4).hex()}")
        with lock:
            results.append((ok, took))

    t0 = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    ok = sum(1 for r in results if r[0])
    print(f"{ok} {wall:.3f} {ok * size / 1_000_000 / wall:.2f}")


COMMANDS = {
    "oha-merge": cmd_oha_merge,
    "upload": cmd_upload,
    "median": cmd_median,
    "machine": cmd_machine,
    "record": cmd_record,
    "machine-line": cmd_machine_line,
    "sqlite-raw": cmd_sqlite_raw,
    "oha": cmd_oha,
    "login": cmd_login,
    "import-bench-form": cmd_import_bench_form,
    "form-id": cmd_form_id,
    "submission-body": cmd_submission_body,
    "api-submit": cmd_api_submit,
    "fill-export": cmd_fill_export,
    "csv-rows": cmd_csv_rows,
    "rss": cmd_rss,
    "rss-now": cmd_rss_now,
    "crash-client": cmd_crash_client,
    "crash-verify": cmd_crash_verify,
    "page-latency": cmd_page_latency,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](sys.argv[2:])
