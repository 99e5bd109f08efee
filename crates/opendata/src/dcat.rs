//! DCAT documents (as ckanext-dcat publishes them): the catalog, paged with Hydra, and each dataset, as
//! JSON-LD and Turtle, conforming to DCAT-AP 3.0.1 (checked with the SEMIC shapes and pyshacl in the test
//! suite; ADR 0029). Controlled values are IRIs of the vocabularies DCAT-AP names: IANA media types, the EU
//! file-type, language and frequency authority tables. The Japanese fields the government's catalog expects
//! are carried as: 地方公共団体コード → `dct:spatial` (a `dct:Location` with that `dct:identifier`) and the
//! publisher's `dct:identifier`; 推奨データセット名 → `dct:conformsTo` (a `dct:Standard`, its title);
//! 更新頻度 → `dct:accrualPeriodicity` (a `dct:Frequency` with the Japanese label). The publisher and
//! standard IRIs are pages of this site.

use crate::OdState;
use crate::ckan::resource_url;
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

const PREFIXES: [(&str, &str); 9] = [
    ("adms", "http://www.w3.org/ns/adms#"),
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
#[derive(Debug, Clone, PartialEq)]
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

/// `xsd:dateTime` in UTC with its zone (DCAT-AP wants a time zone; CKAN's dicts have none).
fn datetime(ms: i64) -> Obj {
    Obj::Typed(
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        "xsd:dateTime",
    )
}

const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const LANGUAGE_JA: &str = "http://publications.europa.eu/resource/authority/language/JPN";

/// The EU file-type authority code of a CKAN format (`dct:format`).
fn file_type(format: &str) -> Option<&'static str> {
    Some(match format.to_ascii_uppercase().as_str() {
        "CSV" => "CSV",
        "XLSX" => "XLSX",
        "XLS" => "XLS",
        "JSON" => "JSON",
        "GEOJSON" => "GEOJSON",
        "PDF" => "PDF",
        "ZIP" => "ZIP",
        "TXT" => "TXT",
        "XML" => "XML",
        "HTML" => "HTML",
        "RDF" => "RDF",
        "TTL" | "TURTLE" => "RDF_TURTLE",
        "JSONLD" | "JSON-LD" => "JSON_LD",
        "KML" => "KML",
        "SHP" => "SHP",
        "ODS" => "ODS",
        "DOCX" => "DOCX",
        "DOC" => "DOC",
        "PNG" => "PNG",
        "JPEG" | "JPG" => "JPEG",
        _ => return None,
    })
}

/// The IANA media type of a resource: its own, or the one its format implies.
fn media_type(mimetype: &str, format: &str) -> Option<String> {
    let m = mimetype.trim();
    if !m.is_empty() && m != "application/octet-stream" && m.contains('/') {
        return Some(m.split(';').next().unwrap_or(m).trim().to_string());
    }
    Some(
        match format.to_ascii_uppercase().as_str() {
            "CSV" => "text/csv",
            "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "XLS" => "application/vnd.ms-excel",
            "JSON" => "application/json",
            "GEOJSON" => "application/geo+json",
            "PDF" => "application/pdf",
            "ZIP" => "application/zip",
            "XML" => "application/xml",
            "HTML" => "text/html",
            "TXT" => "text/plain",
            _ => return None,
        }
        .to_string(),
    )
}

/// 更新頻度 (a dataset extra) → the EU frequency authority code.
pub fn frequency(label: &str) -> Option<&'static str> {
    let l = label.trim();
    Some(match l {
        "随時" | "不定期" => "IRREG",
        "毎日" | "日次" => "DAILY",
        "毎週" | "週次" => "WEEKLY",
        "毎月" | "月次" | "月1回" => "MONTHLY",
        "四半期" | "四半期ごと" => "QUARTERLY",
        "半年" | "半年ごと" | "年2回" => "ANNUAL_2",
        "毎年" | "年次" | "年1回" => "ANNUAL",
        "更新なし" | "更新しない" => "NEVER",
        "リアルタイム" => "UPDATE_CONT",
        _ => return None,
    })
}

/// A typed node for an IRI-valued object (licence, landing page, media type …).
fn typed(iri: &str, types: &[&'static str]) -> Node {
    Node::new(iri.to_string(), types)
}

/// The publisher node of an organisation: a `foaf:Agent` (DCAT-AP's range) and `foaf:Organization`,
/// whose IRI is the organisation's page here.
fn publisher_node(site: &str, org: &crate::store::Org) -> Node {
    let mut p = Node::new(
        organization_iri(site, &org.code),
        &["foaf:Agent", "foaf:Organization"],
    );
    p.add("foaf:name", Obj::Ja(org.title.clone()))
        .add("dct:identifier", Obj::Lit(org.code.clone()));
    p
}

/// The page of an organisation (publisher IRI).
pub fn organization_iri(site: &str, code: &str) -> String {
    format!("{site}/opendata/organization/{code}")
}

/// The page of a standard dataset layout (`dct:conformsTo` IRI).
pub fn standard_iri(site: &str, id: &str) -> String {
    format!("{site}/opendata/standards/{id}")
}

fn dataset_iri(site: &str, d: &Doc) -> String {
    format!("{site}/opendata/dataset/{}", d.ds.id)
}

/// The nodes describing one dataset.
fn dataset_nodes(cat: &Catalog, d: &Doc, site: &str) -> Vec<Node> {
    let ds = &d.ds;
    let mut nodes = Vec::new();
    let mut n = Node::new(dataset_iri(site, d), &["dcat:Dataset"]);
    let landing = format!("{site}/opendata/dataset/{}", ds.name);
    let license = license_iri(&ds.license_id);
    n.add("dct:identifier", Obj::Lit(ds.id.clone()))
        .add("dct:title", Obj::Ja(ds.title.clone()))
        .add(
            "dct:description",
            Obj::Ja(if ds.notes.trim().is_empty() {
                ds.title.clone()
            } else {
                ds.notes.clone()
            }),
        )
        .add("dct:issued", datetime(ds.created_at))
        .add("dct:modified", datetime(ds.modified_at))
        .add("dct:language", Obj::Iri(LANGUAGE_JA.into()))
        .add("dcat:landingPage", Obj::Iri(landing.clone()));
    nodes.push(typed(&landing, &["foaf:Document"]));
    nodes.push(typed(LANGUAGE_JA, &["dct:LinguisticSystem"]));
    for t in &ds.tags {
        n.add("dcat:keyword", Obj::Ja(t.clone()));
    }
    if let Some(org) = cat.org_of(ds.tenant_id) {
        n.add("dct:publisher", Obj::Iri(organization_iri(site, &org.code)));
        nodes.push(publisher_node(site, org));
        // 地方公共団体コード: the area the data covers.
        let loc_iri = format!("{}#location", organization_iri(site, &org.code));
        n.add("dct:spatial", Obj::Iri(loc_iri.clone()));
        let mut l = Node::new(loc_iri, &["dct:Location"]);
        l.add("dct:identifier", Obj::Lit(org.code.clone()))
            .add("skos:prefLabel", Obj::Ja(org.title.clone()));
        nodes.push(l);
    }
    // 推奨データセット名: the standard layout the data follows.
    if let Some(layout) = ds.standard_type.as_deref().and_then(crate::layout::find) {
        let std_iri = standard_iri(site, &layout.id);
        n.add("dct:conformsTo", Obj::Iri(std_iri.clone()));
        let mut s = Node::new(std_iri, &["dct:Standard"]);
        s.add("dct:identifier", Obj::Lit(layout.id.clone()))
            .add("dct:title", Obj::Ja(layout.title.clone()));
        nodes.push(s);
    }
    // 更新頻度.
    if let Some((_, label)) = ds.extras.iter().find(|(k, _)| k == "更新頻度")
        && let Some(code) = frequency(label)
    {
        let f_iri = format!("{FREQUENCY}{code}");
        n.add("dct:accrualPeriodicity", Obj::Iri(f_iri.clone()));
        let mut f = typed(&f_iri, &["dct:Frequency"]);
        f.add("skos:prefLabel", Obj::Ja(label.trim().to_string()));
        nodes.push(f);
    }
    if !ds.maintainer.is_empty() {
        let c_iri = format!("{}#contact", dataset_iri(site, d));
        n.add("dcat:contactPoint", Obj::Iri(c_iri.clone()));
        let mut c = Node::new(c_iri, &["vcard:Kind", "vcard:Organization"]);
        c.add("vcard:fn", Obj::Ja(ds.maintainer.clone()));
        nodes.push(c);
    }
    let mut license_used = false;
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
        let title = if r.name.trim().is_empty() {
            if url.is_empty() {
                r.id.clone()
            } else {
                url.clone()
            }
        } else {
            r.name.clone()
        };
        let mut dist = Node::new(r_iri, &["dcat:Distribution"]);
        dist.add("dct:title", Obj::Ja(title))
            .add("dct:description", Obj::Ja(r.description.clone()))
            .add("dcat:accessURL", Obj::Iri(access))
            .add("dct:issued", datetime(r.created_at))
            .add("dct:modified", datetime(r.modified_at))
            .add("dct:license", Obj::Iri(license.clone()));
        license_used = true;
        if let Some(ft) = file_type(&r.format) {
            let iri = format!("{FILE_TYPE}{ft}");
            dist.add("dct:format", Obj::Iri(iri.clone()));
            nodes.push(typed(&iri, &["dct:MediaTypeOrExtent"]));
        }
        if let Some(mt) = media_type(&r.mimetype, &r.format) {
            let iri = format!("https://www.iana.org/assignments/media-types/{mt}");
            dist.add("dcat:mediaType", Obj::Iri(iri.clone()));
            nodes.push(typed(&iri, &["dct:MediaType"]));
        }
        if r.storage_key.is_some() {
            dist.add("dcat:downloadURL", Obj::Iri(url));
        }
        if let Some(size) = r.size.filter(|s| *s >= 0) {
            dist.add(
                "dcat:byteSize",
                Obj::Typed(size.to_string(), "xsd:nonNegativeInteger"),
            );
        }
        nodes.push(dist);
    }
    if license_used {
        nodes.push(typed(&license, &["dct:LicenseDocument"]));
    }
    nodes.insert(0, n);
    dedup(nodes)
}

/// Merges nodes with the same IRI (a media type or publisher described by several datasets) so that each
/// subject is written once, with its types and properties united.
fn dedup(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for n in nodes {
        match at.get(&n.id) {
            Some(&i) => {
                let o = &mut out[i];
                for t in n.types {
                    if !o.types.contains(&t) {
                        o.types.push(t);
                    }
                }
                for p in n.props {
                    if !o.props.iter().any(|x| x.0 == p.0 && x.1 == p.1) {
                        o.props.push(p);
                    }
                }
            }
            None => {
                at.insert(n.id.clone(), out.len());
                out.push(n);
            }
        }
    }
    out
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
        .add("dct:language", Obj::Iri(LANGUAGE_JA.into()))
        .add("foaf:homepage", Obj::Iri(format!("{site}/opendata")));
    let mut nodes = vec![
        typed(LANGUAGE_JA, &["dct:LinguisticSystem"]),
        typed(&format!("{site}/opendata"), &["foaf:Document"]),
    ];
    // The catalog's publisher: the prefecture that runs it.
    if let Some(pref) = cat.orgs.iter().find(|o| o.parent_id.is_none()) {
        catalog.add(
            "dct:publisher",
            Obj::Iri(organization_iri(&site, &pref.code)),
        );
        nodes.push(publisher_node(&site, pref));
    }
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
    Ok(respond(&dedup(nodes), format))
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
