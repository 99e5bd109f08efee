//! Public catalog pages: search with facets, the dataset page, the resource page with a CSV preview and a
//! map of points, and downloads. No JavaScript and no external map tiles: the map is an inline SVG.

use crate::OdState;
use crate::ckan::{facet_display, resource_url};
use crate::index::{Catalog, Doc, SearchQuery};
use crate::store::{self, Resource};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use madoguchi_kernel::{AppError, AppResult};

/// Facets shown on the search page: (field, Japanese label).
pub const FACETS: [(&str, &str); 5] = [
    ("organization", "組織"),
    ("standard_dataset", "標準データセット"),
    ("tags", "タグ"),
    ("res_format", "形式"),
    ("license_id", "ライセンス"),
];

const PAGE_SIZE: usize = 20;

/// One facet value with the link that toggles it.
pub struct FacetItem {
    /// Display name.
    pub label: String,
    /// Count.
    pub count: usize,
    /// Link.
    pub href: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// A facet block.
pub struct FacetBlock {
    /// Field.
    pub field: String,
    /// Japanese label.
    pub label: &'static str,
    /// Items.
    pub items: Vec<FacetItem>,
}

/// A dataset in the results.
pub struct Hit {
    /// URL name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Organisation name.
    pub org: String,
    /// First lines of the description.
    pub notes: String,
    /// Formats.
    pub formats: Vec<String>,
    /// Standard dataset title.
    pub standard: String,
    /// Modified (JST display).
    pub modified: String,
}

#[derive(Template)]
#[template(path = "od_search.html")]
struct SearchPage {
    q: String,
    filters: Vec<(String, String)>,
    count: usize,
    hits: Vec<Hit>,
    facets: Vec<FacetBlock>,
    selected: Vec<(String, String, String)>,
    prev: Option<String>,
    next: Option<String>,
    page: usize,
    pages: usize,
    error: String,
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn query_string(pairs: &[(String, String)]) -> String {
    let s: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    if s.is_empty() {
        "/opendata".into()
    } else {
        format!("/opendata?{}", s.join("&"))
    }
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Parses a query string into pairs.
pub fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// GET `/opendata`: search (Japanese full text) with facets.
pub async fn search(
    State(state): State<OdState>,
    RawQuery(raw): RawQuery,
) -> AppResult<(axum::http::StatusCode, Html<String>)> {
    let cat = state.index.get(&state.ctx.db).await?;
    let params = pairs(raw.as_deref());
    let q = params
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let page: usize = params
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let filters: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| FACETS.iter().any(|(f, _)| f == k) && !v.is_empty())
        .cloned()
        .collect();
    let fq = filters
        .iter()
        .map(|(k, v)| format!("{k}:{}", quote(v)))
        .collect::<Vec<_>>()
        .join(" AND ");
    // A query longer than the bound is refused before any work, and not echoed back whole.
    let too_long =
        q.len() > crate::index::MAX_Q_CHARS * 4 || q.chars().count() > crate::index::MAX_Q_CHARS;
    let q = if too_long {
        q.chars().take(crate::index::MAX_Q_CHARS).collect()
    } else {
        q
    };
    let query = SearchQuery {
        // Words only: the page offers no query syntax, so a stray colon must not turn into a field filter.
        q: if too_long { String::new() } else { q.clone() },
        words_only: true,
        fq,
        rows: PAGE_SIZE,
        start: (page - 1) * PAGE_SIZE,
        sort: if q.trim().is_empty() {
            "metadata_modified desc".into()
        } else {
            crate::index::DEFAULT_SORT.into()
        },
        facet_fields: FACETS.iter().map(|(f, _)| f.to_string()).collect(),
        facet_limit: 20,
        ..SearchQuery::default()
    };
    let base: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    let searched = if too_long {
        Err(format!(
            "検索語が長すぎます。{}文字以内で入力してください。",
            crate::index::MAX_Q_CHARS
        ))
    } else {
        cat.search(&query)
            .map_err(|e| format!("検索条件を読み取れませんでした（{e}）"))
    };
    let (count, hits, facets, error) = match searched {
        Ok(r) => {
            let hits = r.results.iter().map(|d| hit(&cat, d)).collect();
            let facets = r
                .facets
                .iter()
                .map(|(field, items)| FacetBlock {
                    field: field.clone(),
                    label: FACETS
                        .iter()
                        .find(|(f, _)| f == field)
                        .map_or("", |(_, l)| l),
                    items: items
                        .iter()
                        .map(|(v, n)| {
                            let selected = filters.iter().any(|(k, x)| k == field && x == v);
                            let mut p: Vec<(String, String)> = base
                                .iter()
                                .filter(|(k, x)| !(k == field && x == v))
                                .cloned()
                                .collect();
                            if !selected {
                                p.push((field.clone(), v.clone()));
                            }
                            FacetItem {
                                label: facet_display(&cat, field, v),
                                count: *n,
                                href: query_string(&p),
                                selected,
                            }
                        })
                        .collect(),
                })
                .collect();
            (r.count, hits, facets, String::new())
        }
        Err(e) => (0, vec![], vec![], e),
    };
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    let link = |n: usize| {
        let mut p = base.clone();
        p.push(("page".into(), n.to_string()));
        query_string(&p)
    };
    let selected = filters
        .iter()
        .map(|(k, v)| {
            let rest: Vec<(String, String)> = base
                .iter()
                .filter(|(a, b)| !(a == k && b == v))
                .cloned()
                .collect();
            let label = FACETS.iter().find(|(f, _)| f == k).map_or("", |(_, l)| l);
            (
                label.to_string(),
                facet_display(&cat, k, v),
                query_string(&rest),
            )
        })
        .collect();
    let status = if too_long {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        Html(
            SearchPage {
                q,
                filters: filters.clone(),
                count,
                hits,
                facets,
                selected,
                prev: (page > 1).then(|| link(page - 1)),
                next: (page < pages).then(|| link(page + 1)),
                page,
                pages,
                error,
            }
            .render()?,
        ),
    ))
}

fn hit(cat: &Catalog, d: &Doc) -> Hit {
    let mut formats: Vec<String> =
        d.ds.public_resources()
            .map(|r| r.format.clone())
            .filter(|f| !f.is_empty())
            .collect();
    formats.sort();
    formats.dedup();
    let _ = cat;
    Hit {
        name: d.ds.name.clone(),
        title: d.ds.title.clone(),
        org: d.org_title.clone(),
        notes: d.ds.notes.chars().take(120).collect(),
        formats,
        standard: d
            .ds
            .standard_type
            .as_deref()
            .and_then(crate::layout::find)
            .map(|l| l.title)
            .unwrap_or_default(),
        modified: madoguchi_kernel::time::display_datetime(d.ds.modified_at),
    }
}

/// A resource row on the dataset page.
pub struct ResourceRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Format.
    pub format: String,
    /// Size for display.
    pub size: String,
    /// Download or external link.
    pub url: String,
    /// Description.
    pub description: String,
    /// Whether a preview page is useful.
    pub previewable: bool,
    /// Validation summary.
    pub validation: String,
    /// The Shift_JIS original's download link, for a UTF-8 copy.
    pub original_url: String,
}

#[derive(Template)]
#[template(path = "od_dataset.html")]
struct DatasetPage {
    name: String,
    title: String,
    org: String,
    org_code: String,
    notes: String,
    tags: Vec<String>,
    license: String,
    standard: String,
    modified: String,
    created: String,
    resources: Vec<ResourceRow>,
    extras: Vec<(String, String)>,
    /// The harvest source's name, for a harvested dataset.
    harvest_source: String,
    /// Its page at the source (a checked link, or empty).
    harvest_url: String,
}

/// Human-readable size.
pub fn size_label(n: Option<i64>) -> String {
    match n {
        None => String::new(),
        Some(n) if n < 1024 => format!("{n} バイト"),
        Some(n) if n < 1024 * 1024 => format!("{:.1} KB", n as f64 / 1024.0),
        Some(n) => format!("{:.1} MB", n as f64 / 1024.0 / 1024.0),
    }
}

/// A validation summary line for a resource.
pub fn validation_label(r: &Resource) -> String {
    if r.report.is_none() {
        return String::new();
    }
    if r.warnings == 0 {
        "標準データセットの様式に適合".into()
    } else {
        format!("標準データセットの様式に適合（警告 {} 件）", r.warnings)
    }
}

fn public_doc<'a>(cat: &'a Catalog, name: &str) -> AppResult<&'a Doc> {
    cat.dataset(name)
        .filter(|d| !d.ds.private)
        .ok_or(AppError::NotFound)
}

/// GET `/opendata/dataset/{name}` (also `{name}.jsonld` and `{name}.ttl`: the DCAT documents).
pub async fn dataset(
    State(state): State<OdState>,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let cat = state.index.get(&state.ctx.db).await?;
    let site = state
        .ctx
        .config
        .public_url
        .trim_end_matches('/')
        .to_string();
    if let Some(n) = name.strip_suffix(".jsonld") {
        let d = public_doc(&cat, n)?;
        return Ok(crate::dcat::dataset_response(
            &cat,
            d,
            &site,
            crate::dcat::Format::JsonLd,
        ));
    }
    if let Some(n) = name.strip_suffix(".ttl") {
        let d = public_doc(&cat, n)?;
        return Ok(crate::dcat::dataset_response(
            &cat,
            d,
            &site,
            crate::dcat::Format::Turtle,
        ));
    }
    let d = public_doc(&cat, &name)?;
    let resources =
        d.ds.public_resources()
            .map(|r| ResourceRow {
                id: r.id.clone(),
                name: r.name.clone(),
                format: r.format.clone(),
                size: size_label(r.size),
                url: resource_url(d, r, ""),
                description: r.description.clone(),
                previewable: r.is_csv(),
                validation: validation_label(r),
                original_url: d
                    .ds
                    .original_of(r)
                    .filter(|o| o.state == "active")
                    .map(|o| resource_url(d, o, ""))
                    .unwrap_or_default(),
            })
            .collect();
    let extra = |key: &str| {
        d.ds.extras
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = DatasetPage {
        name: d.ds.name.clone(),
        title: d.ds.title.clone(),
        org: d.org_title.clone(),
        org_code: d.org_code.clone(),
        notes: d.ds.notes.clone(),
        tags: d.ds.tags.clone(),
        license: store::license_title(&d.ds.license_id),
        standard: d
            .ds
            .standard_type
            .as_deref()
            .and_then(crate::layout::find)
            .map(|l| l.title)
            .unwrap_or_default(),
        modified: madoguchi_kernel::time::display_datetime(d.ds.modified_at),
        created: madoguchi_kernel::time::display_datetime(d.ds.created_at),
        resources,
        harvest_source: if d.ds.harvest_source_id.is_some() {
            extra("harvest_source_title")
        } else {
            String::new()
        },
        harvest_url: madoguchi_kernel::safe_url::safe_link(&extra("harvest_url"))
            .unwrap_or_default()
            .to_string(),
        // The standard dataset is already shown by its name above; the harvest source in its own line.
        extras: d
            .ds
            .extras
            .iter()
            .filter(|(k, _)| k != "standard_dataset" && !k.starts_with("harvest_"))
            .cloned()
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

/// A point drawn on the map.
pub struct MapPoint {
    /// x in the SVG.
    pub x: String,
    /// y in the SVG.
    pub y: String,
    /// Label.
    pub label: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The inline map: points projected into a 600×400 box, with axis ticks in degrees.
pub struct Map {
    /// Points.
    pub points: Vec<MapPoint>,
    /// Ticks along x: (x, label).
    pub xticks: Vec<(String, String)>,
    /// Ticks along y: (y, label).
    pub yticks: Vec<(String, String)>,
}

/// Projects points (equirectangular, scaled by the cosine of the mean latitude).
pub fn map_of(points: &[(f64, f64, String)]) -> Option<Map> {
    if points.is_empty() {
        return None;
    }
    let (w, h, pad) = (600.0, 400.0, 40.0);
    let min_lat = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let max_lat = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let min_lon = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max_lon = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
    let span_x = ((max_lon - min_lon) * k).max(0.005);
    let span_y = (max_lat - min_lat).max(0.005);
    let scale = ((w - 2.0 * pad) / span_x).min((h - 2.0 * pad) / span_y);
    let cx = (min_lon + max_lon) / 2.0;
    let cy = (min_lat + max_lat) / 2.0;
    let x = |lon: f64| w / 2.0 + (lon - cx) * k * scale;
    let y = |lat: f64| h / 2.0 - (lat - cy) * scale;
    let ticks = |lo: f64, hi: f64| -> Vec<f64> {
        let span = (hi - lo).max(0.005);
        let step = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
            .into_iter()
            .find(|s| span / s <= 6.0)
            .unwrap_or(1.0);
        let start = (lo / step).floor() as i64;
        let end = (hi / step).ceil() as i64;
        (start..=end).map(|i| i as f64 * step).collect()
    };
    let lon_lo = cx - (w / 2.0 - pad) / (k * scale);
    let lon_hi = cx + (w / 2.0 - pad) / (k * scale);
    let lat_lo = cy - (h / 2.0 - pad) / scale;
    let lat_hi = cy + (h / 2.0 - pad) / scale;
    Some(Map {
        points: points
            .iter()
            .map(|(la, lo, label)| MapPoint {
                x: format!("{:.1}", x(*lo)),
                y: format!("{:.1}", y(*la)),
                label: label.clone(),
                lat: *la,
                lon: *lo,
            })
            .collect(),
        xticks: ticks(lon_lo, lon_hi)
            .into_iter()
            .filter(|v| (lon_lo..=lon_hi).contains(v))
            .map(|v| (format!("{:.1}", x(v)), format!("{v:.3}")))
            .collect(),
        yticks: ticks(lat_lo, lat_hi)
            .into_iter()
            .filter(|v| (lat_lo..=lat_hi).contains(v))
            .map(|v| (format!("{:.1}", y(v)), format!("{v:.3}")))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "od_resource.html")]
struct ResourcePage {
    ds_name: String,
    ds_title: String,
    org: String,
    r: ResourceRow,
    rid: String,
    encoding: String,
    original: Option<(String, String)>,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    total_rows: usize,
    map: Option<Map>,
    error: String,
}

const PREVIEW_ROWS: usize = 100;

/// GET `/opendata/dataset/{name}/resource/{rid}`: metadata, download, CSV preview, map.
pub async fn resource(
    State(state): State<OdState>,
    Path((name, rid)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let cat = state.index.get(&state.ctx.db).await?;
    let d = public_doc(&cat, &name)?;
    // A Shift_JIS original is not listed, but stays reachable from its UTF-8 copy.
    let r =
        d.ds.resources
            .iter()
            .find(|r| r.id == rid && r.state == "active")
            .ok_or(AppError::NotFound)?;
    let (mut columns, mut rows, mut total_rows, mut map, mut error, mut encoding) =
        (vec![], vec![], 0, None, String::new(), r.encoding.clone());
    if r.is_csv() {
        match crate::table::load(&state, r).await {
            Ok(t) => {
                total_rows = t.rows.len();
                map = map_of(&crate::table::points(&t));
                encoding = t.encoding.to_string();
                columns = t.columns;
                rows = t.rows.into_iter().take(PREVIEW_ROWS).collect();
            }
            Err(_) => {
                error =
                    "このファイルは表として読み取れませんでした。ダウンロードしてご利用ください。"
                        .into()
            }
        }
    }
    let original =
        d.ds.original_of(r)
            .filter(|o| o.state == "active")
            .map(|o| (o.file_name.clone(), resource_url(d, o, "")));
    let row = ResourceRow {
        id: r.id.clone(),
        name: r.name.clone(),
        format: r.format.clone(),
        size: size_label(r.size),
        url: resource_url(d, r, ""),
        description: r.description.clone(),
        previewable: r.is_csv(),
        validation: validation_label(r),
        original_url: String::new(),
    };
    Ok(Html(
        ResourcePage {
            ds_name: d.ds.name.clone(),
            ds_title: d.ds.title.clone(),
            org: d.org_title.clone(),
            rid: r.id.clone(),
            r: row,
            encoding,
            original,
            columns,
            rows,
            total_rows,
            map,
            error,
        }
        .render()?,
    ))
}

/// GET `/opendata/dataset/{name}/resource/{rid}/download/{file}`.
pub async fn download(
    State(state): State<OdState>,
    Path((name, rid, _file)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let cat = state.index.get(&state.ctx.db).await?;
    let d = public_doc(&cat, &name)?;
    // A Shift_JIS original is not listed, but stays reachable from its UTF-8 copy.
    let r =
        d.ds.resources
            .iter()
            .find(|r| r.id == rid && r.state == "active")
            .ok_or(AppError::NotFound)?;
    let key = r.storage_key.as_deref().ok_or(AppError::NotFound)?;
    let (_, stream) = state.ctx.storage.get_stream(key).await?;
    let ctype = if r.format.eq_ignore_ascii_case("csv") {
        if r.encoding == "Shift_JIS" {
            "text/csv; charset=Shift_JIS".to_string()
        } else {
            "text/csv; charset=utf-8".to_string()
        }
    } else if r.mimetype.is_empty() {
        "application/octet-stream".to_string()
    } else {
        r.mimetype.clone()
    };
    // RFC 5987 attr-chars stay as they are; everything else is percent-encoded.
    const ATTR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(&r.file_name, ATTR)
    );
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, ctype),
            (header::CONTENT_DISPOSITION, disposition),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "od_organization.html")]
struct OrganizationPage {
    code: String,
    title: String,
    parent: String,
    count: usize,
}

/// GET `/opendata/organization/{code}`: the organisation (the DCAT publisher IRI resolves here).
pub async fn organization(
    State(state): State<OdState>,
    Path(code): Path<String>,
) -> AppResult<Html<String>> {
    let cat = state.index.get(&state.ctx.db).await?;
    let org = cat.org(&code).ok_or(AppError::NotFound)?;
    let parent = org
        .parent_id
        .and_then(|p| cat.org_of(p))
        .map(|p| p.title.clone())
        .unwrap_or_default();
    Ok(Html(
        OrganizationPage {
            code: org.code.clone(),
            title: org.title.clone(),
            parent,
            count: cat.org_package_count(org.tenant_id),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "od_standard.html")]
struct StandardPage {
    id: String,
    title: String,
    type_tag: String,
    columns: Vec<(String, bool, &'static str)>,
}

/// GET `/opendata/standards/{slug}`: a standard dataset layout's columns (the DCAT `dct:conformsTo` IRI
/// resolves here).
pub async fn standard(Path(id): Path<String>) -> AppResult<Html<String>> {
    let layout = crate::layout::find(&id).ok_or(AppError::NotFound)?;
    let columns = layout
        .columns(crate::layout::Variant::Old)
        .into_iter()
        .map(|c| (c.name, c.required, c.kind.label()))
        .collect();
    Ok(Html(
        StandardPage {
            id: layout.id.clone(),
            title: layout.title.clone(),
            type_tag: layout.type_tag.clone(),
            columns,
        }
        .render()?,
    ))
}
