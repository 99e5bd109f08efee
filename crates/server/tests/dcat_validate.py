"""Validates DCAT documents against the DCAT-AP 3.0.1 SHACL shapes with PyPI pyshacl, checks the Japanese
fields, and fetches every publisher and conformsTo IRI.

Usage: python dcat_validate.py SHAPES_DIR PUBLIC_URL SERVER_URL FILE...
Run by crates/server/tests/opendata.rs (dcat_documents_conform_to_dcat_ap_3). PUBLIC_URL is the site URL the
documents use; it is replaced by SERVER_URL to fetch the IRIs from the test server.
"""

import os
import sys
import urllib.request

import pyshacl
import rdflib

shapes_dir, public_url, server_url, *files = sys.argv[1:]
shapes = rdflib.Graph()
for f in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
    shapes.parse(os.path.join(shapes_dir, f), format="turtle")
# ranges.ttl as published names 5 of its 297 property shapes without defining them (pyshacl refuses such a
# graph); those references are dropped, every defined shape is applied.
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
dangling = [(s, o) for s, o in shapes.subject_objects(SH.property) if (o, SH.path, None) not in shapes]
assert len(dangling) <= 5, f"{len(dangling)} undefined property shapes: the shapes files changed"
for s, o in dangling:
    shapes.remove((s, SH.property, o))

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
iris = set()
seen = {"code": False, "standard": False, "frequency": False}
for path in files:
    fmt = "json-ld" if path.endswith(".jsonld") else "turtle"
    g = rdflib.Graph().parse(path, format=fmt)
    assert len(g) > 0, f"{path} is empty"
    ok, _, text = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    if not ok:
        raise SystemExit(f"{path} does not conform to DCAT-AP 3.0.1:\n{text}")
    for ds in g.subjects(rdflib.RDF.type, DCAT.Dataset):
        for loc in g.objects(ds, DCT.spatial):
            code = g.value(loc, DCT.identifier)
            assert code is not None and len(str(code)) == 6, (path, code)
            seen["code"] = True
        for std in g.objects(ds, DCT.conformsTo):
            assert g.value(std, DCT.title) is not None, (path, std)
            seen["standard"] = True
            iris.add(str(std))
        for fr in g.objects(ds, DCT.accrualPeriodicity):
            assert str(fr).startswith("http://publications.europa.eu/resource/authority/frequency/"), fr
            assert g.value(fr, SKOS.prefLabel) is not None
            seen["frequency"] = True
        for p in g.objects(ds, DCT.publisher):
            iris.add(str(p))
    for cat in g.subjects(rdflib.RDF.type, DCAT.Catalog):
        p = g.value(cat, DCT.publisher)
        assert p is not None, f"{path}: the catalog has no publisher"
        iris.add(str(p))
assert all(seen.values()), seen

# The publisher and standard IRIs are pages of the site.
for iri in sorted(iris):
    assert iri.startswith(public_url), iri
    with urllib.request.urlopen(server_url + iri[len(public_url):]) as r:
        assert r.status == 200, (iri, r.status)
        assert "text/html" in r.headers.get("content-type", ""), iri
print(f"dcat-ap conformance ok: {len(files)} documents, {len(iris)} IRIs resolved")
