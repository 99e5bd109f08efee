"""Drives a madoguchi server with the real ckanapi client (PyPI), as data users and harvesters do.

Usage: python ckanapi_roundtrip.py SITE_URL API_TOKEN AED_CSV DUMP_FILE
Run by crates/server/tests/opendata.rs (ckanapi_client_round_trip) against a test server.
"""

import json
import os
import subprocess
import sys

import ckanapi

site, token, csv_path, dump_file = sys.argv[1:5]
# The `ckanapi` command installed beside this interpreter (the package has no __main__).
CLI = os.path.join(os.path.dirname(sys.executable), "ckanapi")
ck = ckanapi.RemoteCKAN(site, apikey=token, user_agent="madoguchi-ckanapi-test")
anon = ckanapi.RemoteCKAN(site, user_agent="madoguchi-ckanapi-test")

# Create an organisation's standard dataset and upload its CP932 file.
pkg = ck.action.package_create(
    name="ckanapi-aed",
    title="AED設置箇所一覧（ckanapi）",
    owner_org="392014",
    notes="ckanapi から登録したサンプルデータ",
    license_id="cc-by-4.0",
    tags=[{"name": "防災"}],
    extras=[{"key": "standard_dataset", "value": "aed"}, {"key": "更新頻度", "value": "随時"}],
)
assert pkg["organization"]["name"] == "392014", pkg
with open(csv_path, "rb") as f:
    res = ck.action.resource_create(package_id=pkg["id"], name="AED一覧", format="CSV", upload=f)
# One resource: the UTF-8 copy, with the Shift_JIS original linked.
assert res["character_encoding"] == "UTF-8" and res["original_character_encoding"] == "Shift_JIS", res

# Errors come back as ckanapi's exception classes.
try:
    anon.action.package_create(name="anon-try", owner_org="392014")
    raise SystemExit("anonymous create was accepted")
except ckanapi.NotAuthorized:
    pass
try:
    ck.action.package_show(id="no-such-dataset")
    raise SystemExit("missing dataset found")
except ckanapi.NotFound:
    pass
try:
    ck.action.package_create(name="X", owner_org="392014")
    raise SystemExit("bad name accepted")
except ckanapi.ValidationError as e:
    assert "name" in e.error_dict, e.error_dict

# Search with facets and fq.
r = anon.call_action(
    "package_search",
    {"q": "AED", "fq": "organization:392014 AND tags:防災", "facet.field": ["organization", "tags", "res_format"], "rows": 10},
)
names = [d["name"] for d in r["results"]]
assert names == ["ckanapi-aed"], names
assert r["facets"]["res_format"]["CSV"] == 1, r["facets"]
r = anon.call_action("package_search", {"fq": "-organization:392014", "rows": 100})
assert all(d["organization"]["name"] != "392014" for d in r["results"])
assert r["count"] == 3, r["count"]

# `ckanapi dump datasets --all` reads every dataset through package_list/package_show.
subprocess.run(
    [CLI, "dump", "datasets", "--all", "-O", dump_file, "-r", site, "-q"],
    check=True,
)
with open(dump_file, encoding="utf-8") as f:
    dumped = {d["name"]: d for d in map(json.loads, f)}
assert len(dumped) == 6, sorted(dumped)
back = dumped["ckanapi-aed"]
assert back["title"] == pkg["title"] and back["notes"] == pkg["notes"]
assert {t["name"] for t in back["tags"]} == {"防災", "自治体標準ODS", "AED設置箇所"}, back["tags"]
assert {"key": "更新頻度", "value": "随時"} in back["extras"]
assert [r["character_encoding"] for r in back["resources"]] == ["UTF-8"], back["resources"]
assert "/download/" in back["resources"][0]["original_url"], back["resources"]

# `ckanapi search datasets` pages package_search until an empty page.
out = subprocess.run(
    [CLI, "search", "datasets", "q=*:*", "-r", site],
    check=True,
    capture_output=True,
)
found = [json.loads(line)["name"] for line in out.stdout.decode("utf-8").splitlines() if line.strip()]
assert sorted(found) == sorted(dumped), found

print("ckanapi round trip ok")
