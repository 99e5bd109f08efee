//! DCAT documents (as ckanext-dcat publishes them): the catalog, paged with Hydra, and each dataset, as
//! JSON-LD and Turtle. The municipality is `dct:spatial` (its 全国地方公共団体コード) and a standard dataset
//! is `dct:conformsTo`.

use crate::OdState;
use crate::ckan::{ckan_time, resource_url};
use crate::index::{Catalog, Doc, SearchQuery};
use crate::public::pairs;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use madoguchi_kernel::AppResult;
use serde_json::{Map, Value, json};

/// Output syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON-LD.
    JsonLd,
    /// Turtle.
    Turtle,
}

/// Datasets per catalog page (ckanext-dcat's default).
pub const PAGE_SIZE: usize = 100;

const PREFIXES: [(&str, &str); 8] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
];

/// An RDF object.
#[derive(Debug, Clone)]
enum Obj {
    Iri(String),
    Ja(String),
    Lit(String),
    Typed(String, &'static str),
}

/// A subject with its types and properties.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    types: Vec<&'static str>,
    props: Vec<(&'static str, Obj)>,
}

impl Node {
    fn new(id: String, types: &[&'static str]) -> Node {
        Node {
            id,
            types: types.to_vec(),
            props: vec![],
        }
    }
    fn add(&mut self, p: &'static str, o: Obj) -> &mut Self {
        let empty =
            matches!(&o, Obj::Ja(s) | Obj::Lit(s) | Obj::Iri(s) | Obj::Typed(s, _) if s.is_empty());
        if !empty {
            self.props.push((p, o));
        }
        self
    }
}

fn datetime(ms: i64) -> Obj {
    Obj::Typed(ckan_time(ms), "xsd:dateTime")
}

fn dataset_iri(site: &str, d: &Doc) -> String {
    format!("{site}/opendata/dataset/{}", d.ds.id)
}

/// The nodes describing one dataset.
fn dataset_nodes(cat: &Catalog, d: &Doc, site: &str) -> Vec<Node> {
    let ds = &d.ds;
    let mut nodes = Vec::new();
    let mut n = Node::new(dataset_iri(site, d), &["dcat:Dataset"]);
    n.add("dct:identifier", Obj::Lit(ds.id.clone()))
        .add("dct:title", Obj::Ja(ds.title.clone()))
        .add("dct:description", Obj::Ja(ds.notes.clone()))
        .add("dct:issued", datetime(ds.created_at))
        .add("dct:modified", datetime(ds.modified_at))
        .add(
            "dcat:landingPage",
            Obj::Iri(format!("{site}/opendata/dataset/{}", ds.name)),
        )
        .add("dct:license", Obj::Iri(license_iri(&ds.license_id)));
    for t in &ds.tags {
        n.add("dcat:keyword", Obj::Ja(t.clone()));
    }
    if let Some(org) = cat.org_of(ds.tenant_id) {
        let pub_iri = format!("{site}/opendata/organization/{}", org.code);
        n.add("dct:publisher", Obj::Iri(pub_iri.clone()));
        let mut p = Node::new(pub_iri, &["foaf:Organization"]);
        p.add("foaf:name", Obj::Ja(org.title.clone()))
            .add("dct:identifier", Obj::Lit(org.code.clone()));
        nodes.push(p);
        let loc_iri = format!("{site}/opendata/organization/{}#location", org.code);
        n.add("dct:spatial", Obj::Iri(loc_iri.clone()));
        let mut l = Node::new(loc_iri, &["dct:Location"]);
        l.add("dct:identifier", Obj::Lit(org.code.clone()))
            .add("skos:prefLabel", Obj::Ja(org.title.clone()));
        nodes.push(l);
    }
    if let Some(layout) = ds.standard_type.as_deref().and_then(crate::layout::find) {
        let std_iri = format!("{site}/opendata/standards/{}", layout.id);
        n.add("dct:conformsTo", Obj::Iri(std_iri.clone()));
        let mut s = Node::new(std_iri, &["dct:Standard"]);
        s.add("dct:identifier", Obj::Lit(layout.id.clone()))
            .add("dct:title", Obj::Ja(layout.title.clone()));
        nodes.push(s);
    }
    if !ds.maintainer.is_empty() {
        let c_iri = format!("{}#contact", dataset_iri(site, d));
        n.add("dcat:contactPoint", Obj::Iri(c_iri.clone()));
        let mut c = Node::new(c_iri, &["vcard:Organization"]);
        c.add("vcard:fn", Obj::Ja(ds.maintainer.clone()));
        nodes.push(c);
    }
    for r in ds.public_resources() {
        let r_iri = format!("{site}/opendata/dataset/{}/resource/{}", ds.id, r.id);
        n.add("dcat:distribution", Obj::Iri(r_iri.clone()));
        let url = resource_url(d, r, site);
        // A link refused by `resource_url` (stored before links were checked) is replaced by the resource's
        // page here, so the required accessURL never carries it.
        let access = if url.is_empty() {
            r_iri.clone()
        } else {
            url.clone()
        };
        let mut dist = Node::new(r_iri, &["dcat:Distribution"]);
        dist.add("dct:title", Obj::Ja(r.name.clone()))
            .add("dct:description", Obj::Ja(r.description.clone()))
            .add("dcat:accessURL", Obj::Iri(access))
            .add("dct:format", Obj::Lit(r.format.clone()))
            .add("dcat:mediaType", Obj::Lit(r.mimetype.clone()))
            .add("dct:issued", datetime(r.created_at))
            .add("dct:modified", datetime(r.modified_at))
            .add("dct:license", Obj::Iri(license_iri(&ds.license_id)));
        if r.storage_key.is_some() {
            dist.add("dcat:downloadURL", Obj::Iri(url));
        }
        if let Some(size) = r.size {
            dist.add("dcat:byteSize", Obj::Typed(size.to_string(), "xsd:decimal"));
        }
        nodes.push(dist);
    }
    nodes.insert(0, n);
    nodes
}

fn license_iri(id: &str) -> String {
    match id {
        "cc-by-4.0" => "https://creativecommons.org/licenses/by/4.0/".into(),
        "cc-by-sa-4.0" => "https://creativecommons.org/licenses/by-sa/4.0/".into(),
        "cc-zero" => "https://creativecommons.org/publicdomain/zero/1.0/".into(),
        "cc-by" => "https://creativecommons.org/licenses/by/4.0/".into(),
        other => format!("urn:license:{other}"),
    }
}

#[cfg(test)]
fn expand(curie: &str) -> String {
    match curie.split_once(':') {
        Some((p, local)) => PREFIXES
            .iter()
            .find(|(x, _)| *x == p)
            .map_or(curie.to_string(), |(_, ns)| format!("{ns}{local}")),
        None => curie.into(),
    }
}

fn to_jsonld(nodes: &[Node]) -> Value {
    let mut ctx = Map::new();
    for (p, ns) in PREFIXES {
        ctx.insert(p.into(), json!(ns));
    }
    let graph: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let mut m = Map::new();
            m.insert("@id".into(), json!(n.id));
            m.insert("@type".into(), json!(n.types));
            for (p, o) in &n.props {
                let v = match o {
                    Obj::Iri(s) => json!({"@id": s}),
                    Obj::Ja(s) => json!({"@value": s, "@language": "ja"}),
                    Obj::Lit(s) => json!(s),
                    Obj::Typed(s, t) => json!({"@value": s, "@type": t}),
                };
                match m.get_mut(*p) {
                    Some(Value::Array(a)) => a.push(v),
                    Some(prev) => *prev = json!([prev.clone(), v]),
                    None => {
                        m.insert((*p).into(), v);
                    }
                }
            }
            Value::Object(m)
        })
        .collect();
    json!({"@context": ctx, "@graph": graph})
}

fn ttl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn ttl_iri(s: &str) -> String {
    let escaped: String = s
        .chars()
        .map(|c| match c {
            '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\' | ' ' => {
                format!("%{:02X}", c as u32)
            }
            c => c.to_string(),
        })
        .collect();
    format!("<{escaped}>")
}

fn to_turtle(nodes: &[Node]) -> String {
    let mut out = String::new();
    for (p, ns) in PREFIXES {
        out.push_str(&format!("@prefix {p}: <{ns}> .\n"));
    }
    for n in nodes {
        out.push('\n');
        out.push_str(&ttl_iri(&n.id));
        out.push_str(&format!(" a {}", n.types.join(", ")));
        for (p, o) in &n.props {
            let v = match o {
                Obj::Iri(s) => ttl_iri(s),
                Obj::Ja(s) => format!("{}@ja", ttl_string(s)),
                Obj::Lit(s) => ttl_string(s),
                Obj::Typed(s, t) => format!("{}^^{t}", ttl_string(s)),
            };
            out.push_str(&format!(" ;\n    {p} {v}"));
        }
        out.push_str(" .\n");
    }
    out
}

fn respond(nodes: &[Node], format: Format) -> Response {
    match format {
        Format::JsonLd => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")],
            serde_json::to_string_pretty(&to_jsonld(nodes)).unwrap_or_default(),
        )
            .into_response(),
        Format::Turtle => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/turtle; charset=utf-8")],
            to_turtle(nodes),
        )
            .into_response(),
    }
}

/// The DCAT document of one dataset.
pub fn dataset_response(cat: &Catalog, d: &Doc, site: &str, format: Format) -> Response {
    respond(&dataset_nodes(cat, d, site), format)
}

async fn catalog(state: OdState, raw: Option<String>, format: Format) -> AppResult<Response> {
    let cat = state.index.get(&state.ctx.db).await?;
    let site = state
        .ctx
        .config
        .public_url
        .trim_end_matches('/')
        .to_string();
    let params = pairs(raw.as_deref());
    let get = |k: &str| params.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    let page: usize = get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let mut fq = get("fq").unwrap_or_default();
    if let Some(since) = get("modified_since") {
        let clause = format!("metadata_modified:[{since} TO *]");
        fq = if fq.is_empty() {
            clause
        } else {
            format!("({fq}) AND {clause}")
        };
    }
    let query = SearchQuery {
        q: get("q").unwrap_or_default(),
        fq,
        rows: PAGE_SIZE,
        start: (page - 1) * PAGE_SIZE,
        sort: "metadata_modified desc".into(),
        ..SearchQuery::default()
    };
    let r = match cat.search(&query) {
        Ok(r) => r,
        Err(e) => {
            return Ok((
                StatusCode::BAD_REQUEST,
                format!("検索条件が正しくありません: {e}"),
            )
                .into_response());
        }
    };
    let ext = if format == Format::JsonLd {
        "jsonld"
    } else {
        "ttl"
    };
    let base = format!("{site}/catalog.{ext}");
    let mut catalog = Node::new(format!("{site}/"), &["dcat:Catalog"]);
    catalog
        .add(
            "dct:title",
            Obj::Ja("オープンデータカタログ（madoguchi）".into()),
        )
        .add(
            "dct:description",
            Obj::Ja("都道府県と市区町村が一体的に登録・公開するオープンデータ".into()),
        )
        .add("dct:language", Obj::Lit("ja".into()))
        .add("foaf:homepage", Obj::Iri(format!("{site}/opendata")));
    let mut nodes = Vec::new();
    for d in &r.results {
        catalog.add("dcat:dataset", Obj::Iri(dataset_iri(&site, d)));
        nodes.extend(dataset_nodes(&cat, d, &site));
    }
    let last = r.count.div_ceil(PAGE_SIZE).max(1);
    let link = |p: usize| {
        let mut qs: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        qs.push(format!("page={p}"));
        format!("{base}?{}", qs.join("&"))
    };
    let mut paging = Node::new(link(page), &["hydra:PagedCollection"]);
    paging
        .add(
            "hydra:totalItems",
            Obj::Typed(r.count.to_string(), "xsd:integer"),
        )
        .add(
            "hydra:itemsPerPage",
            Obj::Typed(PAGE_SIZE.to_string(), "xsd:integer"),
        )
        .add("hydra:firstPage", Obj::Lit(link(1)))
        .add("hydra:lastPage", Obj::Lit(link(last)));
    if page > 1 {
        paging.add("hydra:previousPage", Obj::Lit(link(page - 1)));
    }
    if page < last {
        paging.add("hydra:nextPage", Obj::Lit(link(page + 1)));
    }
    nodes.insert(0, catalog);
    nodes.insert(1, paging);
    Ok(respond(&nodes, format))
}

/// GET `/catalog.jsonld` (`page`, `modified_since`, `q`, `fq`).
pub async fn catalog_jsonld(
    State(state): State<OdState>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    catalog(state, raw, Format::JsonLd).await
}

/// GET `/catalog.ttl`.
pub async fn catalog_ttl(
    State(state): State<OdState>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    catalog(state, raw, Format::Turtle).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_escapes_and_prefixes() {
        let mut n = Node::new("http://x/d".into(), &["dcat:Dataset"]);
        n.add("dct:title", Obj::Ja("改行\n\"引用\"".into()));
        let t = to_turtle(&[n]);
        assert!(t.contains("@prefix dcat: <http://www.w3.org/ns/dcat#> ."));
        assert!(
            t.contains("<http://x/d> a dcat:Dataset ;\n    dct:title \"改行\\n\\\"引用\\\"\"@ja ."),
            "{t}"
        );
        assert_eq!(expand("dct:title"), "http://purl.org/dc/terms/title");
    }
}
