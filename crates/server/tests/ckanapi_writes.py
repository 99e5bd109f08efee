"""Drives every CKAN write action of madoguchi with the real ckanapi client (PyPI), refusals included.

Usage: python ckanapi_writes.py SITE_URL CITY_TOKEN PREF_TOKEN READONLY_TOKEN AED_CP932_CSV
Run by crates/server/tests/opendata.rs (ckanapi_drives_every_write_action) against a test server seeded with
the demo catalog: CITY_TOKEN belongs to 高知市's administrator, PREF_TOKEN to 高知県's administrator and
READONLY_TOKEN to a 高知県 viewer.
"""

import json
import sys
import urllib.request

import ckanapi

site, city_token, pref_token, ro_token, csv_path = sys.argv[1:6]
UA = "madoguchi-ckanapi-test"
city = ckanapi.RemoteCKAN(site, apikey=city_token, user_agent=UA)
pref = ckanapi.RemoteCKAN(site, apikey=pref_token, user_agent=UA)
readonly = ckanapi.RemoteCKAN(site, apikey=ro_token, user_agent=UA)
anon = ckanapi.RemoteCKAN(site, user_agent=UA)


def refused(exc, call, *args, **kwargs):
    """Asserts that the call raises ckanapi's `exc`; returns the exception."""
    try:
        call(*args, **kwargs)
    except exc as e:
        return e
    raise SystemExit(f"{call} {kwargs} was accepted, expected {exc.__name__}")


def urls(pkg):
    return [r["url"] for r in pkg["resources"]]


# The test server's public URL is the configured default; its files are fetched from the server itself.
PUBLIC_URL = "http://127.0.0.1:8080"


def get(url):
    if url.startswith(PUBLIC_URL):
        url = site + url[len(PUBLIC_URL):]
    with urllib.request.urlopen(url) as r:
        return r.status, r.read()


# GET /api/3 answers the API version, as CKAN does.
status, body = get(site + "/api/3")
assert status == 200 and json.loads(body) == {"version": 3}, body

# --- package_update replaces the resource list; package_patch(resources=[]) empties it. ---
pkg = city.action.package_create(
    name="writes-test",
    title="書き込みテスト",
    owner_org="392014",
    resources=[
        {"url": "https://example.jp/a.csv", "name": "A", "format": "csv"},
        {"url": "https://example.jp/b.pdf", "name": "B", "format": "pdf"},
    ],
)
a, b = pkg["resources"]
assert [a["name"], b["name"]] == ["A", "B"], pkg["resources"]
pkg["resources"] = [dict(a, name="A2"), {"url": "https://example.jp/c.json", "name": "C"}]
pkg["notes"] = "更新しました"
upd = city.action.package_update(**pkg)
assert [r["name"] for r in upd["resources"]] == ["A2", "C"], upd["resources"]
assert upd["resources"][0]["id"] == a["id"], "a kept resource keeps its id"
assert upd["notes"] == "更新しました"
kept = city.action.package_patch(id=pkg["id"], notes="patch keeps resources")
assert [r["name"] for r in kept["resources"]] == ["A2", "C"], kept["resources"]
empty = city.action.package_patch(id=pkg["id"], resources=[])
assert empty["resources"] == [] and empty["num_resources"] == 0, empty
refused(ckanapi.NotFound, city.action.resource_show, id=a["id"])

# --- resource_update replaces, resource_patch merges, package_resource_reorder orders. ---
d = city.action.resource_create(package_id=pkg["id"], url="https://example.jp/d.csv", name="D", description="説明D", format="CSV")
e = city.action.resource_create(package_id=pkg["id"], url="https://example.jp/e.csv", name="E", format="CSV")
u = city.action.resource_update(id=d["id"], url="https://example.jp/d2.csv", name="D2")
assert (u["url"], u["name"], u["description"]) == ("https://example.jp/d2.csv", "D2", ""), u
pt = city.action.resource_patch(id=d["id"], description="説明D2")
assert (pt["name"], pt["description"], pt["url"]) == ("D2", "説明D2", "https://example.jp/d2.csv"), pt
ro = city.action.package_resource_reorder(id=pkg["id"], order=[e["id"]])
assert ro["order"] == [e["id"], d["id"]], ro
assert [r["id"] for r in city.action.package_show(id=pkg["id"])["resources"]] == [e["id"], d["id"]]
refused(ckanapi.ValidationError, city.action.package_resource_reorder, id=pkg["id"], order=["no-such-resource"])

# --- package_revise: match, filter, update (resources__extend, resources__N). ---
rv = city.action.package_revise(
    match={"name": "writes-test"},
    filter=["-version"],
    update={
        "notes": "revise で更新",
        "resources__extend": [{"url": "https://example.jp/f.csv", "name": "F"}],
        "resources__0": {"description": "先頭を更新"},
    },
)["package"]
assert rv["notes"] == "revise で更新", rv
assert [r["name"] for r in rv["resources"]] == ["E", "D2", "F"], rv["resources"]
assert rv["resources"][0]["description"] == "先頭を更新"
refused(ckanapi.ValidationError, city.action.package_revise, match={"name": "writes-test", "title": "違うタイトル"}, update={"notes": "x"})

# --- Refusals: anonymous, another organisation's token, a read-only token, javascript: links. ---
for who, exc in [(anon, ckanapi.NotAuthorized), (pref, ckanapi.NotAuthorized), (readonly, ckanapi.NotAuthorized)]:
    refused(exc, who.action.package_update, id=pkg["id"], title="乗っ取り", resources=[])
    refused(exc, who.action.package_patch, id=pkg["id"], resources=[])
    refused(exc, who.action.resource_update, id=d["id"], url="https://evil.example/")
    refused(exc, who.action.resource_patch, id=d["id"], name="x")
    refused(exc, who.action.package_resource_reorder, id=pkg["id"], order=[d["id"]])
    refused(exc, who.action.package_revise, match={"id": pkg["id"]}, update={"notes": "x"})
    refused(exc, who.action.package_delete, id=pkg["id"])
after = city.action.package_show(id=pkg["id"])
assert after["title"] == "書き込みテスト" and len(after["resources"]) == 3, "nothing changed by refused calls"
for bad in ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>"]:
    err = refused(ckanapi.ValidationError, city.action.package_patch, id=pkg["id"], resources=[{"url": bad, "name": "x"}])
    assert "url" in err.error_dict, err.error_dict
    refused(ckanapi.ValidationError, city.action.resource_create, package_id=pkg["id"], url=bad)
    refused(ckanapi.ValidationError, city.action.resource_patch, id=d["id"], url=bad)
    refused(ckanapi.ValidationError, city.action.package_revise, match={"id": pkg["id"]}, update={"resources__extend": [{"url": bad}]})
assert urls(city.action.package_show(id=pkg["id"])) == urls(after), "a refused link left the resources alone"
too_many = [{"url": f"https://example.jp/{i}.csv"} for i in range(501)]
refused(ckanapi.ValidationError, city.action.package_patch, id=pkg["id"], resources=too_many)

# --- Private datasets: 403 for anonymous and other organisations, as CKAN answers. ---
city.action.package_create(name="writes-private", title="非公開", owner_org="392014", private=True)
refused(ckanapi.NotAuthorized, anon.action.package_show, id="writes-private")
refused(ckanapi.NotAuthorized, pref.action.package_show, id="writes-private")
assert city.action.package_show(id="writes-private")["private"] is True

# --- package_delete: the owner still sees it, with state "deleted"; nobody else does. ---
city.action.package_delete(id="writes-private")
gone = city.action.package_show(id="writes-private")
assert gone["state"] == "deleted" and gone["name"] == "writes-private", gone
refused(ckanapi.NotFound, anon.action.package_show, id="writes-private")
refused(ckanapi.NotFound, pref.action.package_show, id="writes-private")
assert "writes-private" not in anon.action.package_list()

# --- A Shift_JIS upload is ONE resource: the UTF-8 copy as url, the original linked. ---
aed = city.action.package_create(
    name="writes-aed", title="AED設置箇所一覧（書き込み）", owner_org="392014",
    extras=[{"key": "standard_dataset", "value": "aed"}],
)
with open(csv_path, "rb") as f:
    original = f.read()
with open(csv_path, "rb") as f:
    res = city.action.resource_create(package_id=aed["id"], name="AED一覧", format="CSV", upload=f)
assert res["name"] == "AED一覧" and res["character_encoding"] == "UTF-8", res
assert res["original_character_encoding"] == "Shift_JIS" and res["original_url"], res
assert len(city.action.package_show(id=aed["id"])["resources"]) == 1
status, copy = get(res["url"])
assert copy.decode("utf-8").count("高知市役所") == 1, copy[:200]
status, orig = get(res["original_url"])
assert orig == original, "the original is served byte for byte"

# --- datastore_search with ckanapi's JSON lists, echoes, and links that keep the filters. ---
ds = anon.action.datastore_search(
    resource_id=res["id"], fields=["名称", "住所"], sort=["名称 desc"], filters={"市区町村名": "高知市"}, q="高知", limit=1,
)
assert [f["id"] for f in ds["fields"]] == ["_id", "名称", "住所"], ds["fields"]
assert ds["filters"] == {"市区町村名": "高知市"} and ds["q"] == "高知" and ds["sort"] == "名称 desc", ds
assert ds["total"] == 2 and ds["records"][0]["名称"] == "高知市役所", ds["records"]
nxt = ds["_links"]["next"]
assert "filters=" in nxt and "offset=1" in nxt and "q=" in nxt, nxt
status, page2 = get(site + nxt)
page2 = json.loads(page2)["result"]
assert [r["名称"] for r in page2["records"]] == ["はりまや橋"], page2
big = anon.action.datastore_search(resource_id=res["id"], limit=1_000_000_000)
assert big["limit"] == 32000 and len(big["records"]) == 2, big["limit"]
refused(ckanapi.ValidationError, anon.action.datastore_search, resource_id=res["id"], limit=10**30)
refused(ckanapi.ValidationError, anon.action.datastore_search, resource_id=res["id"], limit=-1)
refused(ckanapi.ValidationError, anon.action.datastore_search, resource_id=res["id"], fields=["no-such-column"])
big_search = anon.action.package_search(rows=1_000_000_000)
assert len(big_search["results"]) <= 1000

# --- group_create (prefecture administrator), member_create (the dataset's organisation). ---
for who in [anon, city, readonly]:
    refused(ckanapi.NotAuthorized, who.action.group_create, name="writes-group", title="テーマ")
grp = pref.action.group_create(name="writes-group", title="書き込みテーマ", description="テスト")
assert grp["name"] == "writes-group" and grp["title"] == "書き込みテーマ", grp
refused(ckanapi.ValidationError, pref.action.group_create, name="writes-group", title="二重")
refused(ckanapi.ValidationError, pref.action.group_create, name="Bad Name!", title="x")
m = city.action.member_create(id="writes-group", object="writes-test", object_type="package", capacity="public")
assert m["table_name"] == "package" and m["capacity"] == "public", m
assert [g["name"] for g in city.action.package_show(id="writes-test")["groups"]] == ["writes-group"]
refused(ckanapi.NotAuthorized, pref.action.member_create, id="writes-group", object="writes-test", object_type="package", capacity="public")
refused(ckanapi.NotAuthorized, anon.action.member_create, id="writes-group", object="writes-test", object_type="package", capacity="public")
refused(ckanapi.ValidationError, city.action.member_create, id="writes-group", object="writes-test", object_type="user", capacity="admin")
refused(ckanapi.NotFound, city.action.member_create, id="no-such-group", object="writes-test", object_type="package", capacity="public")

# --- organization_create/patch: the prefecture's administrator. ---
for who in [anon, city, readonly]:
    refused(ckanapi.NotAuthorized, who.action.organization_create, name="392022", title="室戸市")
org = pref.action.organization_create(name="392022", title="室戸市")
assert org["name"] == "392022" and org["title"] == "室戸市", org
refused(ckanapi.ValidationError, pref.action.organization_create, name="392022", title="二重")
refused(ckanapi.ValidationError, pref.action.organization_create, name="392023", title="検査数字違い")
refused(ckanapi.ValidationError, pref.action.organization_create, name="132012", title="他県の市")
assert pref.action.organization_patch(id="392022", title="室戸市（更新）")["title"] == "室戸市（更新）"
refused(ckanapi.NotAuthorized, city.action.organization_patch, id="392022", title="乗っ取り")
refused(ckanapi.NotAuthorized, city.action.organization_patch, id="390003", title="乗っ取り")
refused(ckanapi.NotAuthorized, readonly.action.organization_patch, id="390003", title="乗っ取り")
assert city.action.organization_patch(id="392014", title="高知市")["title"] == "高知市"
assert "392022" in anon.action.organization_list()

print("ckanapi writes ok")
