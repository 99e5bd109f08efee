#!/usr/bin/env python3
"""Merges the evaluation data written in parts into bench/faq/{qa,questions}.jsonl and validates it.

    bench/faq/merge.py [SOURCE_DIR]      (default /work/faq-data; parts are SOURCE_DIR/part-*/)

Each part holds qa.jsonl and questions.jsonl; a DONE file marks it complete. Lines of a part that is not DONE
yet that fail validation (half-written) are skipped with a warning; in a DONE part they are errors.
Checks: every line is JSON with the fields of its kind, ids are unique across parts, audience is public/staff,
phrasings are a list of strings, every `relevant` id exists with grade 1 or 2. Output is sorted by id.
"""

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QA_FIELDS = {"id": str, "category": str, "department": str, "audience": str, "question": str,
             "phrasings": list, "answer": str, "forms": list, "review_date": str}
Q_FIELDS = {"id": str, "query": str, "relevant": dict, "note": str}


def check_fields(obj, fields):
    for name, kind in fields.items():
        if name not in obj:
            return f"missing field {name}"
        if not isinstance(obj[name], kind):
            return f"field {name} is not {kind.__name__}"
    return None


def read_part(path, fields, done, errors, warnings):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(line)
                problem = check_fields(obj, fields) if isinstance(obj, dict) else "not an object"
            except json.JSONDecodeError as e:
                problem = f"bad JSON ({e})"
            if problem:
                (errors if done else warnings).append(f"{where}: {problem}")
                continue
            obj["_where"] = where
            out.append(obj)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/work/faq-data"
    errors, warnings = [], []
    qas, questions, done_parts, parts = [], [], [], sorted(glob.glob(os.path.join(src, "part-*")))
    for part in parts:
        done = os.path.exists(os.path.join(part, "DONE"))
        if done:
            done_parts.append(os.path.basename(part))
        qas += [(done, o) for o in read_part(os.path.join(part, "qa.jsonl"), QA_FIELDS, done, errors, warnings)]
        questions += [(done, o) for o in
                      read_part(os.path.join(part, "questions.jsonl"), Q_FIELDS, done, errors, warnings)]

    seen = {}
    for done, qa in qas:
        problem = None
        if qa["id"] in seen:
            problem = f"duplicate Q&A id {qa['id']} (first at {seen[qa['id']]})"
        elif qa["audience"] not in ("public", "staff"):
            problem = f"audience {qa['audience']!r}"
        elif not all(isinstance(p, str) for p in qa["phrasings"]):
            problem = "phrasings must be strings"
        elif not qa["question"].strip() or not qa["answer"].strip():
            problem = "empty question or answer"
        if problem:
            (errors if done else warnings).append(f"{qa['_where']}: {problem}")
            qa["_bad"] = True
        else:
            seen[qa["id"]] = qa["_where"]
    qa_ok = [qa for _, qa in qas if not qa.get("_bad")]
    qa_ids = {qa["id"] for qa in qa_ok}

    q_seen, q_ok = {}, []
    for done, q in questions:
        problem = None
        if q["id"] in q_seen:
            problem = f"duplicate question id {q['id']} (first at {q_seen[q['id']]})"
        elif not q["query"].strip() and q["note"] != "empty":
            problem = "empty query"
        else:
            for rid, grade in q["relevant"].items():
                if grade not in (1, 2):
                    problem = f"grade {grade!r} for {rid}"
                elif rid not in qa_ids:
                    problem = f"relevant Q&A {rid} does not exist"
                if problem:
                    break
        if problem:
            (errors if done else warnings).append(f"{q['_where']}: {problem}")
            continue
        q_seen[q["id"]] = q["_where"]
        q_ok.append(q)

    for w in warnings:
        print(f"warning (part not DONE): {w}", file=sys.stderr)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)

    def write(name, rows):
        rows = sorted(rows, key=lambda r: r["id"])
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            for r in rows:
                r = {k: v for k, v in r.items() if not k.startswith("_")}
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    write("qa.jsonl", qa_ok)
    write("questions.jsonl", q_ok)
    notes = {}
    for q in q_ok:
        notes[q["note"]] = notes.get(q["note"], 0) + 1
    staff = sum(1 for qa in qa_ok if qa["audience"] == "staff")
    no_answer = sum(1 for q in q_ok if not q["relevant"])
    print(f"parts: {', '.join(os.path.basename(p) for p in parts)}; DONE: {', '.join(done_parts) or 'none'}")
    print(f"Q&As: {len(qa_ok)} ({staff} staff-only); questions: {len(q_ok)} ({no_answer} without an answer)")
    print("notes: " + ", ".join(f"{k or '(none)'} {v}" for k, v in sorted(notes.items())))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
