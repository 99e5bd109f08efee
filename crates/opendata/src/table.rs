//! Reading a CSV resource as a table: the preview on the resource page, the map of points, and the
//! datastore-like JSON query API (`datastore_search`: filters, full-text `q`, sort, paging).
//!
//! The file is decoded from UTF-8 or CP932 (Shift_JIS), so a preview never shows mojibake; semicolon and
//! tab separated files are recognised from the header line.

use crate::OdState;
use crate::ckan::CkanError;
use crate::index::{Catalog, Doc};
use crate::store::Resource;
use madoguchi_japanese::search::search_key;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A decoded CSV.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows (padded/truncated to the columns).
    pub rows: Vec<Vec<String>>,
    /// Detected encoding.
    pub encoding: &'static str,
}

/// Parses CSV bytes.
pub fn parse(bytes: &[u8]) -> Result<Table, String> {
    let (text, encoding) = madoguchi_japanese::encoding::decode_cp932_or_utf8(bytes);
    let first = text.lines().next().unwrap_or("");
    let delim = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("CSV を読めません: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("CSV を読めません: {e}"))?;
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
        row.resize(columns.len(), String::new());
        rows.push(row);
    }
    Ok(Table {
        columns,
        rows,
        encoding,
    })
}

/// Loads and parses an uploaded CSV resource.
pub async fn load(state: &OdState, r: &Resource) -> Result<Table, CkanError> {
    let key = r
        .storage_key
        .as_deref()
        .ok_or_else(|| CkanError::NotFound("Resource has no stored file".into()))?;
    let bytes = state
        .ctx
        .storage
        .get(key)
        .await
        .map_err(|e| CkanError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || parse(&bytes))
        .await
        .map_err(|e| CkanError::Internal(e.into()))?
        .map_err(|m| CkanError::Validation(BTreeMap::from([("resource_id".into(), vec![m])])))
}

/// Points of a table with 緯度/経度 columns: (lat, lon, label).
pub fn points(t: &Table) -> Vec<(f64, f64, String)> {
    let find = |names: &[&str]| t.columns.iter().position(|c| names.contains(&c.as_str()));
    let (Some(lat), Some(lon)) = (
        find(&["緯度", "latitude", "lat"]),
        find(&["経度", "longitude", "lon", "lng"]),
    ) else {
        return vec![];
    };
    let label = find(&["名称", "イベント名", "施設名", "name"]).unwrap_or(0);
    t.rows
        .iter()
        .filter_map(|r| {
            let la: f64 = r[lat].trim().parse().ok()?;
            let lo: f64 = r[lon].trim().parse().ok()?;
            ((20.0..=46.0).contains(&la) && (122.0..=154.0).contains(&lo))
                .then(|| (la, lo, r[label].clone()))
        })
        .collect()
}

/// `datastore_search`: `resource_id`, `filters` (JSON object column → value or list), `q` (text in any
/// column), `sort` (`列 asc, 列 desc`, or a JSON list of those, as ckanapi sends it), `limit` (default 100,
/// capped at 32000 as CKAN's `rows_max`), `offset`, `fields` (comma-separated or a JSON list). The answer
/// echoes `filters`, `q` and `sort`, and `_links.next` keeps them.
pub async fn datastore_search(
    state: &OdState,
    cat: &Catalog,
    p: &Map<String, Value>,
    viewer: Option<i64>,
) -> Result<Value, CkanError> {
    let get = |k: &str| {
        p.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        })
    };
    let rid = get("resource_id").or_else(|| get("id")).ok_or_else(|| {
        CkanError::Validation(BTreeMap::from([(
            "resource_id".into(),
            vec!["Missing value".into()],
        )]))
    })?;
    let (_, r): (&Doc, &Resource) = cat
        .resource(&rid)
        .filter(|(d, r)| r.state == "active" && (!d.ds.private || viewer == Some(d.ds.tenant_id)))
        .filter(|(_, r)| r.is_csv())
        .ok_or_else(|| CkanError::NotFound(format!("Resource \"{rid}\" was not found.")))?;
    let table = load(state, r).await?;
    let filters: Map<String, Value> = match p.get("filters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|_| bad("filters", "JSON のオブジェクトで指定してください"))?,
        Some(_) => return Err(bad("filters", "JSON のオブジェクトで指定してください")),
    };
    let col = |name: &str| table.columns.iter().position(|c| c == name);
    let mut conds: Vec<(usize, Vec<String>)> = Vec::new();
    for (k, v) in &filters {
        let i = col(k).ok_or_else(|| bad("filters", &format!("列「{k}」はありません")))?;
        let vals = match v {
            Value::Array(a) => a.iter().map(value_text).collect(),
            v => vec![value_text(v)],
        };
        conds.push((i, vals));
    }
    let q = get("q").map(|q| search_key(&q)).filter(|q| !q.is_empty());
    let q_text = get("q").unwrap_or_default();
    let sort_parts = names(p.get("sort"));
    let mut sort: Vec<(usize, bool)> = Vec::new();
    if sort_parts.len() > 20 {
        return Err(bad("sort", "並べ替えの列は20列までです"));
    }
    {
        for part in sort_parts
            .iter()
            .map(|x| x.trim())
            .filter(|x| !x.is_empty())
        {
            let (name, dir) = match part.rsplit_once(' ') {
                Some((n, d)) if d.eq_ignore_ascii_case("desc") || d.eq_ignore_ascii_case("asc") => {
                    (n.trim().trim_matches('"'), d)
                }
                _ => (part.trim_matches('"'), "asc"),
            };
            let i = col(name).ok_or_else(|| bad("sort", &format!("列「{name}」はありません")))?;
            sort.push((i, dir.eq_ignore_ascii_case("desc")));
        }
    }
    // Parsed as u64 then capped, so a billion-row `limit` is bounded before any work (CKAN's rows_max).
    let limit = get("limit")
        .map_or(Ok(100), |v| v.trim().parse::<u64>())
        .map_err(|_| bad("limit", "0以上の整数で指定してください"))?
        .min(MAX_LIMIT as u64) as usize;
    let offset = get("offset")
        .map_or(Ok(0), |v| v.trim().parse::<usize>())
        .map_err(|_| bad("offset", "0以上の整数で指定してください"))?;
    let field_names = names(p.get("fields"));
    let fields: Vec<usize> = match field_names.is_empty() {
        false => field_names
            .iter()
            .map(|n| {
                col(n.trim())
                    .ok_or_else(|| bad("fields", &format!("列「{}」はありません", n.trim())))
            })
            .collect::<Result<_, _>>()?,
        true => (0..table.columns.len()).collect(),
    };
    let mut hits: Vec<(usize, &Vec<String>)> = table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            conds
                .iter()
                .all(|(i, vals)| vals.iter().any(|v| r[*i] == *v))
        })
        .filter(|(_, r)| {
            q.as_ref()
                .is_none_or(|q| r.iter().any(|c| search_key(c).contains(q.as_str())))
        })
        .collect();
    if !sort.is_empty() {
        let numeric: Vec<bool> = (0..table.columns.len())
            .map(|i| {
                table
                    .rows
                    .iter()
                    .all(|r| r[i].trim().is_empty() || r[i].trim().parse::<f64>().is_ok())
            })
            .collect();
        hits.sort_by(|a, b| {
            for (i, desc) in &sort {
                let o = if numeric[*i] {
                    let x = a.1[*i].trim().parse::<f64>().unwrap_or(f64::NEG_INFINITY);
                    let y = b.1[*i].trim().parse::<f64>().unwrap_or(f64::NEG_INFINITY);
                    x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
                } else {
                    a.1[*i].cmp(&b.1[*i])
                };
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            a.0.cmp(&b.0)
        });
    }
    let total = hits.len();
    let records: Vec<Value> = hits
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(n, r)| {
            let mut m = Map::new();
            m.insert("_id".into(), json!(n + 1));
            for i in &fields {
                m.insert(table.columns[*i].clone(), json!(r[*i]));
            }
            Value::Object(m)
        })
        .collect();
    let mut fields_out = vec![json!({"id": "_id", "type": "int"})];
    fields_out.extend(
        fields
            .iter()
            .map(|i| json!({"id": table.columns[*i], "type": "text"})),
    );
    // The links repeat the query (filters, q, sort, fields) so that following `next` pages the same rows.
    let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    let mut query = format!("resource_id={}&limit={limit}", enc(&rid));
    if !filters.is_empty() {
        query.push_str(&format!(
            "&filters={}",
            enc(&Value::Object(filters.clone()).to_string())
        ));
    }
    if !q_text.is_empty() {
        query.push_str(&format!("&q={}", enc(&q_text)));
    }
    if !sort_parts.is_empty() {
        query.push_str(&format!("&sort={}", enc(&sort_parts.join(", "))));
    }
    if !field_names.is_empty() {
        query.push_str(&format!("&fields={}", enc(&field_names.join(","))));
    }
    let mut out = json!({
        "resource_id": rid,
        "fields": fields_out,
        "records": records,
        "total": total,
        "limit": limit,
        "offset": offset,
        "_links": {
            "start": format!("/api/3/action/datastore_search?{query}"),
            "next": format!("/api/3/action/datastore_search?{query}&offset={}", offset + limit),
        },
    });
    if !filters.is_empty() {
        out["filters"] = Value::Object(filters);
    }
    if !q_text.is_empty() {
        out["q"] = json!(q_text);
    }
    if !sort_parts.is_empty() {
        out["sort"] = json!(sort_parts.join(", "));
    }
    Ok(out)
}

/// The most rows one `datastore_search` answers (CKAN's `ckan.datastore.search.rows_max` default).
pub const MAX_LIMIT: usize = 32000;

/// Column names given as a JSON list (how ckanapi sends `fields` and `sort`), a JSON list in a string, or
/// a comma-separated string.
fn names(v: Option<&Value>) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    match v {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a.iter().map(text).collect(),
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            match serde_json::from_str::<Vec<Value>>(s) {
                Ok(a) => a.iter().map(text).collect(),
                Err(_) => vec![s.clone()],
            }
        }
        Some(Value::String(s)) => s
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        Some(v) => vec![text(v)],
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn bad(field: &str, m: &str) -> CkanError {
    CkanError::Validation(BTreeMap::from([(field.into(), vec![m.into()])]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_and_semicolons_are_read() {
        let text = "名称;緯度;経度\n高知城;33.5607;133.5314\n";
        let bytes = madoguchi_japanese::encoding::encode_cp932(text).unwrap();
        let t = parse(&bytes).unwrap();
        assert_eq!(t.encoding, "Shift_JIS");
        assert_eq!(t.columns, ["名称", "緯度", "経度"]);
        assert_eq!(points(&t), vec![(33.5607, 133.5314, "高知城".to_string())]);
    }
}
