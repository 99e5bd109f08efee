//! The CKAN Action API subset (`/api/3/action/{name}` and `/api/action/{name}`), with CKAN's envelope and
//! error shapes, so that `ckanapi`, harvesters and other CKAN clients work unchanged.
//!
//! Reads come from the in-memory catalog; writes are authorised by API tokens that staff create on
//! `/staff/opendata/tokens`, sent raw in `Authorization` (also `Bearer <t>`) or in `X-CKAN-API-Key`.

use crate::OdState;
use crate::index::{Catalog, Doc, SearchQuery};
use crate::ingest::{self, Ingested, Upload};
use crate::store::{self, DatasetInput, Extra, OdError, TokenOwner};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A CKAN error, rendered in CKAN's shape.
#[derive(Debug)]
pub enum CkanError {
    /// 400 with a bare JSON string body (unknown action, GET to a write action, bad JSON).
    BadRequest(String),
    /// 403 Authorization Error.
    Auth(String),
    /// 404 Not Found Error.
    NotFound(String),
    /// 409 Validation Error: field → messages.
    Validation(BTreeMap<String, Vec<String>>),
    /// 400 Search Query Error.
    SearchQuery(String),
    /// 500.
    Internal(anyhow::Error),
}

impl From<OdError> for CkanError {
    fn from(e: OdError) -> Self {
        match e {
            OdError::NotFound(_) => CkanError::NotFound("Not found".into()),
            OdError::Forbidden(m) => CkanError::Auth(m),
            OdError::Harvested => CkanError::Auth(store::HARVESTED_MESSAGE.into()),
            OdError::Validation(m) => CkanError::Validation(m),
            OdError::Internal(e) => CkanError::Internal(e),
        }
    }
}

impl From<sqlx::Error> for CkanError {
    fn from(e: sqlx::Error) -> Self {
        CkanError::Internal(e.into())
    }
}

fn help(site: &str, action: &str) -> String {
    format!("{site}/api/3/action/help_show?name={action}")
}

fn finish(site: &str, action: &str, r: Result<Value, CkanError>) -> Response {
    let help = help(site, action);
    let (status, error) = match r {
        Ok(result) => {
            return json_response(
                StatusCode::OK,
                &json!({"help": help, "success": true, "result": result}),
            );
        }
        Err(CkanError::BadRequest(m)) => {
            return json_response(StatusCode::BAD_REQUEST, &Value::String(m));
        }
        Err(CkanError::Auth(m)) => (
            StatusCode::FORBIDDEN,
            json!({"__type": "Authorization Error", "message": format!("Access denied: {m}")}),
        ),
        Err(CkanError::NotFound(m)) => (
            StatusCode::NOT_FOUND,
            json!({"__type": "Not Found Error", "message": if m.starts_with("Not found") { m } else { format!("Not found: {m}") }}),
        ),
        Err(CkanError::Validation(fields)) => {
            let mut e = Map::new();
            for (k, v) in fields {
                e.insert(k, json!(v));
            }
            e.insert("__type".into(), json!("Validation Error"));
            (StatusCode::CONFLICT, Value::Object(e))
        }
        Err(CkanError::SearchQuery(m)) => (
            StatusCode::BAD_REQUEST,
            json!({"__type": "Search Query Error", "message": format!("Search Query is invalid: {m}")}),
        ),
        Err(CkanError::Internal(e)) => {
            tracing::error!(error = ?e, action, "CKAN action failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"__type": "Internal Server Error", "message": "Internal Server Error"}),
            )
        }
    };
    json_response(
        status,
        &json!({"help": help, "success": false, "error": error}),
    )
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        serde_json::to_string(v).unwrap_or_default(),
    )
        .into_response()
}

const READ_ACTIONS: [&str; 16] = [
    "package_search",
    "package_show",
    "package_list",
    "current_package_list_with_resources",
    "organization_list",
    "organization_show",
    "group_list",
    "group_show",
    "tag_list",
    "license_list",
    "resource_show",
    "status_show",
    "site_read",
    "datastore_search",
    "organization_list_for_user",
    "help_show",
];
const WRITE_ACTIONS: [&str; 14] = [
    "package_create",
    "package_update",
    "package_patch",
    "package_revise",
    "package_delete",
    "package_resource_reorder",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "group_create",
    "organization_create",
    "organization_patch",
    "member_create",
];

/// The raw API token of a request, from `Authorization` (raw or `Bearer`) or `X-CKAN-API-Key`.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    let get = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    get("authorization")
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_string())
        .or_else(|| get("x-ckan-api-key").map(str::to_string))
}

/// GET `/api/3`: the API version, as CKAN answers it (`{"version": 3}`).
pub async fn api_version() -> Response {
    json_response(StatusCode::OK, &json!({"version": 3}))
}

/// GET/POST `/api/3/action/{name}`.
pub async fn action(
    State(state): State<OdState>,
    Path(name): Path<String>,
    req: Request,
) -> Response {
    let site = state
        .ctx
        .config
        .public_url
        .trim_end_matches('/')
        .to_string();
    let is_read = READ_ACTIONS.contains(&name.as_str());
    if !is_read && !WRITE_ACTIONS.contains(&name.as_str()) {
        return finish(
            &site,
            &name,
            Err(CkanError::BadRequest(format!(
                "Bad request: Action name not known: {name}"
            ))),
        );
    }
    if req.method() == Method::GET && !is_read {
        return finish(
            &site,
            &name,
            Err(CkanError::BadRequest(format!(
                "Bad request: Action {name} is not side-effect free; use POST"
            ))),
        );
    }
    let token = request_token(req.headers());
    let owner = match &token {
        Some(t) => match store::token_owner(&state.ctx.db, t).await {
            Ok(o) => o,
            Err(e) => return finish(&site, &name, Err(e.into())),
        },
        None => None,
    };
    let (params, upload) = match read_params(&state, req).await {
        Ok(p) => p,
        Err(e) => return finish(&site, &name, Err(e)),
    };
    let result = run(&state, &site, &name, params, upload, owner).await;
    finish(&site, &name, result)
}

type Params = Map<String, Value>;

async fn read_params(state: &OdState, req: Request) -> Result<(Params, Option<Upload>), CkanError> {
    let mut params = Map::new();
    if let Some(q) = req.uri().query() {
        for (k, v) in url_pairs(q) {
            match params.get_mut(&k) {
                Some(Value::Array(a)) => a.push(Value::String(v)),
                Some(prev) => *prev = json!([prev.clone(), v]),
                None => {
                    params.insert(k, Value::String(v));
                }
            }
        }
    }
    if req.method() != Method::POST {
        return Ok((params, None));
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| CkanError::BadRequest(format!("Bad request - {e}")))?;
        let mut upload = None;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| CkanError::BadRequest(format!("Bad request - {e}")))?
        {
            let fname = field.name().unwrap_or("").to_string();
            if let Some(file_name) = field.file_name().map(str::to_string) {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| CkanError::BadRequest(format!("Bad request - {e}")))?;
                if fname == "upload" {
                    upload = Some(Upload {
                        file_name,
                        bytes,
                        name: String::new(),
                        description: String::new(),
                        format: String::new(),
                    });
                }
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| CkanError::BadRequest(format!("Bad request - {e}")))?;
                params.insert(fname, Value::String(text));
            }
        }
        return Ok((params, upload));
    }
    let body = axum::body::to_bytes(req.into_body(), ingest::MAX_UPLOAD)
        .await
        .map_err(|e| CkanError::BadRequest(format!("Bad request - {e}")))?;
    if body.is_empty() {
        return Ok((params, None));
    }
    if ctype.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url_pairs(&String::from_utf8_lossy(&body)) {
            params.insert(k, Value::String(v));
        }
        return Ok((params, None));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => {
            params.extend(m);
            Ok((params, None))
        }
        Ok(_) => Err(CkanError::BadRequest(
            "Bad request - JSON Error: Request data JSON decoded to '…' but it needs to be a dictionary.".into(),
        )),
        Err(e) => Err(CkanError::BadRequest(format!(
            "Bad request - JSON Error: Error decoding JSON data. Error: {e}"
        ))),
    }
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
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

fn s(p: &Params, k: &str) -> Option<String> {
    match p.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) => a.last().and_then(|v| v.as_str().map(str::to_string)),
        v => Some(v.to_string()),
    }
}

fn required(p: &Params, k: &str) -> Result<String, CkanError> {
    s(p, k).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        CkanError::Validation(BTreeMap::from([(k.into(), vec!["Missing value".into()])]))
    })
}

fn int(p: &Params, k: &str, default: i64) -> Result<i64, CkanError> {
    match p.get(k) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| invalid_int(k)),
        Some(_) => s(p, k)
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|_| invalid_int(k)),
    }
}

fn invalid_int(k: &str) -> CkanError {
    CkanError::Validation(BTreeMap::from([(k.into(), vec!["Invalid integer".into()])]))
}

fn boolean(p: &Params, k: &str) -> bool {
    match p.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
        }
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn list(p: &Params, k: &str) -> Vec<String> {
    match p.get(k) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => match serde_json::from_str::<Vec<String>>(s) {
            Ok(v) => v,
            Err(_) => vec![s.clone()],
        },
        _ => vec![],
    }
}

async fn run(
    state: &OdState,
    site: &str,
    name: &str,
    p: Params,
    upload: Option<Upload>,
    owner: Option<TokenOwner>,
) -> Result<Value, CkanError> {
    let cat = state.index.get(&state.ctx.db).await?;
    let viewer = owner.as_ref().map(|o| o.tenant_id);
    match name {
        "status_show" => Ok(json!({
            "site_title": "オープンデータカタログ（madoguchi）",
            "site_description": "都道府県と市区町村が一体的に登録・公開するオープンデータ",
            "site_url": site,
            "ckan_version": "2.10.0",
            "locale_default": "ja",
            "extensions": ["madoguchi", "dcat", "datastore"],
        })),
        "site_read" => Ok(json!(true)),
        "help_show" => Ok(json!(format!(
            "{} (CKAN Action API 互換)",
            s(&p, "name").unwrap_or_default()
        ))),
        "license_list" => Ok(json!(
            store::LICENSES
                .iter()
                .map(|(id, t)| json!({"id": id, "title": t}))
                .collect::<Vec<_>>()
        )),
        "package_search" => package_search(&cat, site, &p, viewer),
        "package_show" => {
            let id = required(&p, "id")?;
            if let Some(d) = cat.dataset(&id) {
                if d.ds.private && viewer != Some(d.ds.tenant_id) {
                    return Err(CkanError::Auth(format!(
                        "User not authorized to read package {id}"
                    )));
                }
                return Ok(package_dict(&cat, d, site, viewer));
            }
            // CKAN shows a deleted dataset to its organisation, with `state: "deleted"`; to anyone else it
            // stays gone.
            if let Some(tenant) = viewer
                && let Some(ds) = store::find_deleted(&state.ctx.db, tenant, &id).await?
            {
                let org = cat.org_of(ds.tenant_id);
                let doc = Doc::new(
                    ds,
                    org.map(|o| o.code.clone()).unwrap_or_default(),
                    org.map(|o| o.title.clone()).unwrap_or_default(),
                );
                return Ok(package_dict(&cat, &doc, site, viewer));
            }
            Err(CkanError::NotFound("Dataset not found".into()))
        }
        "package_list" => {
            let limit = int(&p, "limit", -1)?;
            let offset = int(&p, "offset", 0)?.max(0) as usize;
            let mut names: Vec<&str> = cat
                .iter()
                .filter(|d| !d.ds.private)
                .map(|d| d.ds.name.as_str())
                .collect();
            names.sort_unstable();
            let it = names.into_iter().skip(offset);
            Ok(json!(if limit >= 0 {
                it.take(limit as usize).collect::<Vec<_>>()
            } else {
                it.collect()
            }))
        }
        "current_package_list_with_resources" => {
            let limit = int(&p, "limit", 10)?.max(0) as usize;
            let offset = int(&p, "offset", 0)?.max(0) as usize;
            let mut docs: Vec<&Doc> = cat.iter().filter(|d| !d.ds.private).collect();
            docs.sort_by_key(|d| std::cmp::Reverse(d.ds.modified_at));
            Ok(json!(
                docs.into_iter()
                    .skip(offset)
                    .take(limit)
                    .map(|d| package_dict(&cat, d, site, viewer))
                    .collect::<Vec<_>>()
            ))
        }
        "organization_list" | "organization_list_for_user" => {
            let all = boolean(&p, "all_fields");
            let sort = s(&p, "sort").unwrap_or_else(|| "name asc".into());
            let mut orgs: Vec<&store::Org> = cat.orgs.iter().collect();
            let desc = sort.ends_with(" desc");
            if sort.starts_with("title") || sort.starts_with("display_name") {
                orgs.sort_by(|a, b| a.title.cmp(&b.title));
            } else if sort.starts_with("package_count") {
                orgs.sort_by_key(|o| package_count(&cat, o.tenant_id));
            } else {
                orgs.sort_by(|a, b| a.code.cmp(&b.code));
            }
            if desc {
                orgs.reverse();
            }
            let offset = int(&p, "offset", 0)?.max(0) as usize;
            let limit = int(&p, "limit", 1000)?.max(0) as usize;
            let orgs = orgs.into_iter().skip(offset).take(limit);
            Ok(if all {
                json!(orgs.map(|o| org_dict(&cat, o, site)).collect::<Vec<_>>())
            } else {
                json!(orgs.map(|o| o.code.clone()).collect::<Vec<_>>())
            })
        }
        "organization_show" => {
            let id = required(&p, "id")?;
            let org = cat
                .org(&id)
                .ok_or_else(|| CkanError::NotFound("Organization was not found".into()))?;
            let mut d = org_dict(&cat, org, site);
            if boolean(&p, "include_datasets") {
                let pk: Vec<Value> = cat
                    .iter()
                    .filter(|x| {
                        x.ds.tenant_id == org.tenant_id
                            && (!x.ds.private || viewer == Some(org.tenant_id))
                    })
                    .take(1000)
                    .map(|x| package_dict(&cat, x, site, viewer))
                    .collect();
                d["packages"] = json!(pk);
            }
            Ok(d)
        }
        "group_list" => {
            let all = boolean(&p, "all_fields");
            Ok(if all {
                json!(
                    cat.groups
                        .iter()
                        .map(|g| group_dict(&cat, g))
                        .collect::<Vec<_>>()
                )
            } else {
                json!(
                    cat.groups
                        .iter()
                        .map(|g| g.name.clone())
                        .collect::<Vec<_>>()
                )
            })
        }
        "group_show" => {
            let id = required(&p, "id")?;
            let g = cat
                .group(&id)
                .ok_or_else(|| CkanError::NotFound("Group was not found".into()))?;
            Ok(group_dict(&cat, g))
        }
        "tag_list" => {
            let query = s(&p, "query").map(|q| madoguchi_japanese::search::search_key(&q));
            let mut tags: Vec<&str> = cat
                .iter()
                .filter(|d| !d.ds.private)
                .flat_map(|d| d.ds.tags.iter().map(String::as_str))
                .filter(|t| {
                    query.as_ref().is_none_or(|q| {
                        madoguchi_japanese::search::search_key(t).contains(q.as_str())
                    })
                })
                .collect();
            tags.sort_unstable();
            tags.dedup();
            Ok(if boolean(&p, "all_fields") {
                json!(tags.iter().map(|t| json!({"id": t, "name": t, "display_name": t, "vocabulary_id": null})).collect::<Vec<_>>())
            } else {
                json!(tags)
            })
        }
        "resource_show" => {
            let id = required(&p, "id")?;
            let (d, r) = cat
                .resource(&id)
                .filter(|(d, r)| {
                    r.state == "active" && (!d.ds.private || viewer == Some(d.ds.tenant_id))
                })
                .ok_or_else(|| CkanError::NotFound("Resource was not found.".into()))?;
            Ok(resource_dict(d, r, site))
        }
        "datastore_search" => crate::table::datastore_search(state, &cat, &p, viewer).await,
        "package_create" => {
            let owner = writer(&owner, name)?;
            let org = required(&p, "owner_org")?;
            let org = cat.org(&org).ok_or_else(|| {
                CkanError::Validation(BTreeMap::from([(
                    "owner_org".into(),
                    vec!["Organization does not exist".into()],
                )]))
            })?;
            if org.tenant_id != owner.tenant_id {
                return Err(CkanError::Auth(
                    "User not authorized to add dataset to this organization".into(),
                ));
            }
            let input = dataset_input(&p, None)?;
            let links = link_resources(&p)?;
            // Checked before the dataset is created, so a refused link leaves nothing half made.
            store::check_resource_links(&links)?;
            let id =
                store::create_dataset(&state.ctx.db, owner.tenant_id, Some(owner.staff_id), input)
                    .await?;
            if !links.is_empty() {
                store::add_resources(&state.ctx.db, owner.tenant_id, &id, links).await?;
            }
            show_after_write(state, &id, site, viewer).await
        }
        "package_update" | "package_patch" => {
            let owner = writer(&owner, name)?;
            let id = required(&p, "id")?;
            let d = owned(&cat, &id, owner)?;
            let input = dataset_input(&p, (name == "package_patch").then_some(d))?;
            if let Some(org) = s(&p, "owner_org")
                && cat.org(&org).is_none_or(|o| o.tenant_id != owner.tenant_id)
            {
                return Err(CkanError::Auth(
                    "User not authorized to move the dataset".into(),
                ));
            }
            // CKAN replaces the resource list when `resources` is given (an empty list empties it), and
            // keeps it when the key is absent.
            let specs = resource_specs(&p, d)?;
            let ds_id = d.ds.id.clone();
            store::update_dataset(&state.ctx.db, owner.tenant_id, &ds_id, input, specs).await?;
            show_after_write(state, &ds_id, site, viewer).await
        }
        "package_revise" => {
            let owner = writer(&owner, name)?;
            let (d, revised) = revise(&cat, &p, owner, site)?;
            // The revised dict is complete: a key the filter removed is cleared.
            let input = dataset_input(&revised, None)?;
            let specs = resource_specs(&revised, d)?;
            let ds_id = d.ds.id.clone();
            store::update_dataset(&state.ctx.db, owner.tenant_id, &ds_id, input, specs).await?;
            Ok(json!({"package": show_after_write(state, &ds_id, site, viewer).await?}))
        }
        "package_resource_reorder" => {
            let owner = writer(&owner, name)?;
            let id = required(&p, "id")?;
            let d = owned(&cat, &id, owner)?;
            let order = list(&p, "order");
            if order.len() > store::MAX_RESOURCES {
                return Err(field_error("order", "Too many resources"));
            }
            let mut current = current_specs(d);
            let mut specs = Vec::with_capacity(current.len());
            for rid in &order {
                let at = current
                    .iter()
                    .position(|s| spec_id(s) == rid)
                    .ok_or_else(|| field_error("order", &format!("Invalid resource id: {rid}")))?;
                specs.push(current.remove(at));
            }
            specs.extend(current);
            let ds_id = d.ds.id.clone();
            store::set_resources(&state.ctx.db, owner.tenant_id, &ds_id, specs).await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let d = cat
                .dataset(&ds_id)
                .ok_or_else(|| CkanError::Internal(anyhow::anyhow!("written dataset not found")))?;
            Ok(
                json!({"id": ds_id, "order": d.ds.listed_resources(true).map(|r| r.id.clone()).collect::<Vec<_>>()}),
            )
        }
        "resource_update" | "resource_patch" => {
            let owner = writer(&owner, name)?;
            let id = required(&p, "id")?;
            let (d, r) = cat
                .resource(&id)
                .filter(|(d, r)| !r.copied && visible(&cat, &d.ds.id, viewer).is_ok())
                .ok_or_else(|| CkanError::NotFound("Resource was not found.".into()))?;
            if d.ds.tenant_id != owner.tenant_id {
                return Err(CkanError::Auth(format!(
                    "User not authorized to edit resource {id}"
                )));
            }
            if upload.is_some() {
                return Err(field_error(
                    "upload",
                    "ファイルの差し替えは resource_create で新しいリソースとして登録してください",
                ));
            }
            let patch = name == "resource_patch";
            let mut specs = current_specs(d);
            for spec in &mut specs {
                if let store::ResourceSpec::Keep {
                    id: sid,
                    name: n,
                    description,
                    format,
                    url,
                } = spec
                    && *sid == r.id
                {
                    let field = |k: &str, current: &str| match s(&p, k) {
                        Some(v) => v,
                        None if patch => current.to_string(),
                        None => String::new(),
                    };
                    *n = field("name", n);
                    *description = field("description", description);
                    *format = field("format", format);
                    if r.storage_key.is_none() {
                        *url = if patch {
                            field("url", url)
                        } else {
                            required(&p, "url")?
                        };
                    }
                    if n.trim().is_empty() {
                        n.clone_from(if r.storage_key.is_some() {
                            &r.file_name
                        } else {
                            url
                        });
                    }
                }
            }
            let (ds_id, rid) = (d.ds.id.clone(), r.id.clone());
            store::set_resources(&state.ctx.db, owner.tenant_id, &ds_id, specs).await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let (d, r) = cat.resource(&rid).ok_or_else(|| {
                CkanError::Internal(anyhow::anyhow!("updated resource not found"))
            })?;
            Ok(resource_dict(d, r, site))
        }
        "group_create" => {
            let owner = writer(&owner, name)?;
            prefecture_admin(&cat, owner, name)?;
            let gname = required(&p, "name")?;
            let title = s(&p, "title")
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| gname.clone());
            store::create_group(
                &state.ctx.db,
                &gname,
                &title,
                &s(&p, "description").unwrap_or_default(),
            )
            .await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let g = cat
                .group(&gname)
                .ok_or_else(|| CkanError::Internal(anyhow::anyhow!("created group not found")))?;
            Ok(group_dict(&cat, g))
        }
        "organization_create" => {
            let owner = writer(&owner, name)?;
            let by = org_manager(&cat, owner, name)?;
            let pref = cat
                .org_of(owner.tenant_id)
                .map(|o| o.code.clone())
                .unwrap_or_default();
            let code = required(&p, "name")?;
            let title = required(&p, "title")?;
            store::create_organization(&state.ctx.db, by, &pref, &code, &title).await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let o = cat.org(code.trim()).ok_or_else(|| {
                CkanError::Internal(anyhow::anyhow!("created organization not found"))
            })?;
            Ok(org_dict(&cat, o, site))
        }
        "organization_patch" => {
            let owner = writer(&owner, name)?;
            let by = org_manager(&cat, owner, name)?;
            let id = required(&p, "id")?;
            let org = cat
                .org(&id)
                .ok_or_else(|| CkanError::NotFound("Organization was not found".into()))?;
            let title = s(&p, "title").unwrap_or_else(|| org.title.clone());
            let code = org.code.clone();
            store::rename_organization(&state.ctx.db, by, org, &title).await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let o = cat
                .org(&code)
                .ok_or_else(|| CkanError::Internal(anyhow::anyhow!("organization not found")))?;
            Ok(org_dict(&cat, o, site))
        }
        "member_create" => {
            let owner = writer(&owner, name)?;
            let group = required(&p, "id")?;
            let object = required(&p, "object")?;
            let object_type = required(&p, "object_type")?;
            if object_type != "package" {
                return Err(field_error(
                    "object_type",
                    "object_type は package のみ指定できます（利用者の管理は職員画面で行います）",
                ));
            }
            let d = owned(&cat, &object, owner)?;
            let ds_id = d.ds.id.clone();
            store::add_to_group(&state.ctx.db, owner.tenant_id, &group, &ds_id).await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let g = cat
                .group(&group)
                .ok_or_else(|| CkanError::Internal(anyhow::anyhow!("group not found")))?;
            Ok(json!({
                "table_name": "package",
                "table_id": ds_id,
                "group_id": g.id,
                "capacity": s(&p, "capacity").unwrap_or_else(|| "public".into()),
                "state": "active",
            }))
        }
        "package_delete" => {
            let owner = writer(&owner, name)?;
            let id = required(&p, "id")?;
            let d = owned(&cat, &id, owner)?;
            store::delete_dataset(&state.ctx.db, owner.tenant_id, &d.ds.id).await?;
            Ok(Value::Null)
        }
        "resource_create" => {
            let owner = writer(&owner, name)?;
            let pid = required(&p, "package_id")?;
            let d = owned(&cat, &pid, owner)?;
            let ds_id = d.ds.id.clone();
            match upload {
                Some(mut up) => {
                    up.name = s(&p, "name").unwrap_or_default();
                    up.description = s(&p, "description").unwrap_or_default();
                    up.format = s(&p, "format").unwrap_or_default();
                    match ingest::ingest(&state.ctx, owner.tenant_id, d, up, true).await? {
                        Ingested::Refused(report) => {
                            let msgs = report
                                .problems
                                .iter()
                                .filter(|p| p.severity == crate::validate::Severity::Error)
                                .map(|p| format!("{}: {}", p.location(), p.message))
                                .collect();
                            Err(CkanError::Validation(BTreeMap::from([(
                                "upload".into(),
                                msgs,
                            )])))
                        }
                        Ingested::Stored { id, copy_id, .. } => {
                            // A Shift_JIS file is one resource: its UTF-8 copy, linking the original.
                            let id = copy_id.unwrap_or(id);
                            let cat = state.index.get(&state.ctx.db).await?;
                            let (d, r) = cat.resource(&id).ok_or_else(|| {
                                CkanError::Internal(anyhow::anyhow!("stored resource not found"))
                            })?;
                            Ok(resource_dict(d, r, site))
                        }
                    }
                }
                None => {
                    let url = required(&p, "url")?;
                    let id = store::new_uuid();
                    let format = s(&p, "format").unwrap_or_default();
                    store::add_resources(
                        &state.ctx.db,
                        owner.tenant_id,
                        &ds_id,
                        vec![(
                            id.clone(),
                            store::ResourceInput {
                                name: s(&p, "name").unwrap_or_else(|| url.clone()),
                                description: s(&p, "description").unwrap_or_default(),
                                format: format.to_uppercase(),
                                url,
                                state: "active".into(),
                                ..Default::default()
                            },
                        )],
                    )
                    .await?;
                    let cat = state.index.get(&state.ctx.db).await?;
                    let (d, r) = cat.resource(&id).ok_or_else(|| {
                        CkanError::Internal(anyhow::anyhow!("stored resource not found"))
                    })?;
                    Ok(resource_dict(d, r, site))
                }
            }
        }
        "resource_delete" => {
            let owner = writer(&owner, name)?;
            let id = required(&p, "id")?;
            let (d, _) = cat
                .resource(&id)
                .ok_or_else(|| CkanError::NotFound("Resource was not found.".into()))?;
            if d.ds.tenant_id != owner.tenant_id {
                return Err(CkanError::Auth(format!(
                    "User not authorized to delete resource {id}"
                )));
            }
            store::delete_resource(&state.ctx.db, owner.tenant_id, &id).await?;
            Ok(Value::Null)
        }
        _ => Err(CkanError::BadRequest(format!(
            "Bad request: Action name not known: {name}"
        ))),
    }
}

fn writer<'a>(owner: &'a Option<TokenOwner>, action: &str) -> Result<&'a TokenOwner, CkanError> {
    match owner {
        None => Err(CkanError::Auth(format!(
            "Action {action} requires an authenticated user"
        ))),
        Some(o) if !o.can_write => Err(CkanError::Auth(format!(
            "User not authorized to call {action}"
        ))),
        Some(o) => Ok(o),
    }
}

fn field_error(field: &str, message: &str) -> CkanError {
    CkanError::Validation(BTreeMap::from([(field.into(), vec![message.into()])]))
}

/// The prefecture's administrator, whom CKAN's sysadmin-only actions (`group_create`) are open to.
fn prefecture_admin(cat: &Catalog, owner: &TokenOwner, action: &str) -> Result<(), CkanError> {
    let by = org_manager(cat, owner, action)?;
    if by.is_prefecture {
        Ok(())
    } else {
        Err(CkanError::Auth(format!(
            "User not authorized to call {action}"
        )))
    }
}

/// An administrator's organisation rights (other roles are refused).
fn org_manager(
    cat: &Catalog,
    owner: &TokenOwner,
    action: &str,
) -> Result<store::OrgManager, CkanError> {
    if !owner.is_admin {
        return Err(CkanError::Auth(format!(
            "User not authorized to call {action}"
        )));
    }
    Ok(store::OrgManager {
        tenant_id: owner.tenant_id,
        is_prefecture: cat
            .org_of(owner.tenant_id)
            .is_some_and(|o| o.parent_id.is_none()),
    })
}

fn spec_id(s: &store::ResourceSpec) -> &str {
    match s {
        store::ResourceSpec::Keep { id, .. } | store::ResourceSpec::New(id, _) => id,
    }
}

/// A dataset's listed resources (drafts included: only its organisation writes) as they stand.
fn current_specs(d: &Doc) -> Vec<store::ResourceSpec> {
    d.ds.listed_resources(true)
        .map(|r| store::ResourceSpec::Keep {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            format: r.format.clone(),
            url: r.url.clone(),
        })
        .collect()
}

/// The new resource list of a `package_update`/`package_patch`/`package_revise`: `None` when `resources`
/// is absent. An entry with the id of one of the dataset's resources keeps it (fields it omits keep their
/// value); any other entry is a new link.
fn resource_specs(p: &Params, d: &Doc) -> Result<Option<Vec<store::ResourceSpec>>, CkanError> {
    let Some(v) = p.get("resources") else {
        return Ok(None);
    };
    let items: Vec<Map<String, Value>> = parse_json_field(v, "resources")?;
    if items.len() > store::MAX_RESOURCES {
        return Err(field_error("resources", "Too many resources"));
    }
    let current = current_specs(d);
    let mut specs = Vec::with_capacity(items.len());
    for item in &items {
        let text = |k: &str| s(item, k);
        let existing = text("id").and_then(|id| current.iter().find(|c| spec_id(c) == id));
        match existing {
            Some(store::ResourceSpec::Keep {
                id,
                name,
                description,
                format,
                url,
            }) => specs.push(store::ResourceSpec::Keep {
                id: id.clone(),
                name: text("name").unwrap_or_else(|| name.clone()),
                description: text("description").unwrap_or_else(|| description.clone()),
                format: text("format").unwrap_or_else(|| format.clone()),
                url: text("url").unwrap_or_else(|| url.clone()),
            }),
            _ => {
                let url = text("url").unwrap_or_default();
                specs.push(store::ResourceSpec::New(
                    store::new_uuid(),
                    Box::new(store::ResourceInput {
                        name: text("name")
                            .filter(|n| !n.is_empty())
                            .unwrap_or_else(|| url.clone()),
                        description: text("description").unwrap_or_default(),
                        format: text("format").unwrap_or_default().to_uppercase(),
                        url,
                        state: "active".into(),
                        ..Default::default()
                    }),
                ));
            }
        }
    }
    Ok(Some(specs))
}

/// `package_revise`: finds the dataset by `match` (every other key of `match` must equal the current
/// value), removes the `filter` paths (`-notes`, `-resources__1__description`), then merges `update` (objects
/// merge, other values replace; `resources__extend` appends, `resources__N` or `resources__<id prefix>`
/// merges into one resource). Returns the dataset and its revised dict.
fn revise<'a>(
    cat: &'a Catalog,
    p: &Params,
    owner: &TokenOwner,
    site: &str,
) -> Result<(&'a Doc, Params), CkanError> {
    let obj = |k: &str| -> Result<Map<String, Value>, CkanError> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(v) => parse_json_field(v, k),
        }
    };
    let matching = obj("match")?;
    let update = obj("update")?;
    let filters = list(p, "filter");
    if update.len() > 200 || filters.len() > 200 {
        return Err(field_error("update", "Too many changes"));
    }
    let key = s(&matching, "id")
        .or_else(|| s(&matching, "name"))
        .ok_or_else(|| field_error("match", "id または name を指定してください"))?;
    let d = owned(cat, &key, owner)?;
    let Value::Object(mut dict) = package_dict(cat, d, site, Some(owner.tenant_id)) else {
        return Err(CkanError::Internal(anyhow::anyhow!(
            "dataset dict is an object"
        )));
    };
    for (k, v) in &matching {
        if dict.get(k) != Some(v) {
            return Err(field_error(
                "message",
                &format!("There is no package matching {k}"),
            ));
        }
    }
    for f in filters {
        if let Some(path) = f.strip_prefix('-') {
            remove_path(&mut dict, path);
        }
    }
    for (k, v) in update {
        if let Some(rest) = k.strip_prefix("resources__") {
            let Some(Value::Array(res)) = dict.get_mut("resources") else {
                continue;
            };
            if rest == "extend" {
                match v {
                    Value::Array(more) => res.extend(more),
                    _ => {
                        return Err(field_error(
                            "update",
                            "resources__extend はリストで指定してください",
                        ));
                    }
                }
                continue;
            }
            let at = match rest.parse::<i64>() {
                Ok(i) if i < 0 => usize::try_from(res.len() as i64 + i).ok(),
                Ok(i) => usize::try_from(i).ok(),
                Err(_) => res.iter().position(|r| {
                    r.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.starts_with(rest))
                }),
            }
            .filter(|i| *i < res.len())
            .ok_or_else(|| field_error("update", &format!("リソース {rest} がありません")))?;
            merge(&mut res[at], v);
        } else {
            merge(dict.entry(k).or_insert(Value::Null), v);
        }
    }
    Ok((d, dict))
}

fn merge(target: &mut Value, v: Value) {
    match (target, v) {
        (Value::Object(t), Value::Object(v)) => {
            for (k, x) in v {
                merge(t.entry(k).or_insert(Value::Null), x);
            }
        }
        (t, v) => *t = v,
    }
}

fn remove_path(dict: &mut Map<String, Value>, path: &str) {
    let parts: Vec<&str> = path.split("__").collect();
    let mut cur: Option<&mut Value> = None;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let next: Option<&mut Value> = match cur.take() {
            None => {
                if last {
                    dict.remove(*part);
                    return;
                }
                dict.get_mut(*part)
            }
            Some(Value::Object(m)) => {
                if last {
                    m.remove(*part);
                    return;
                }
                m.get_mut(*part)
            }
            Some(Value::Array(a)) => match part.parse::<usize>() {
                Ok(n) if n < a.len() => {
                    if last {
                        a.remove(n);
                        return;
                    }
                    a.get_mut(n)
                }
                _ => return,
            },
            Some(_) => return,
        };
        match next {
            Some(v) => cur = Some(v),
            None => return,
        }
    }
}

fn visible<'a>(cat: &'a Catalog, id: &str, viewer: Option<i64>) -> Result<&'a Doc, CkanError> {
    cat.dataset(id)
        .filter(|d| !d.ds.private || viewer == Some(d.ds.tenant_id))
        .ok_or_else(|| CkanError::NotFound("Dataset not found".into()))
}

fn owned<'a>(cat: &'a Catalog, id: &str, owner: &TokenOwner) -> Result<&'a Doc, CkanError> {
    let d = visible(cat, id, Some(owner.tenant_id))?;
    if d.ds.tenant_id != owner.tenant_id {
        return Err(CkanError::Auth(format!(
            "User not authorized to edit package {id}"
        )));
    }
    Ok(d)
}

async fn show_after_write(
    state: &OdState,
    id: &str,
    site: &str,
    viewer: Option<i64>,
) -> Result<Value, CkanError> {
    let cat = state.index.get(&state.ctx.db).await?;
    let d = cat
        .dataset(id)
        .ok_or_else(|| CkanError::Internal(anyhow::anyhow!("written dataset not found")))?;
    Ok(package_dict(&cat, d, site, viewer))
}

/// Builds the input of a create/update (or a patch over `base`) from CKAN parameters.
fn dataset_input(p: &Params, base: Option<&Doc>) -> Result<DatasetInput, CkanError> {
    let mut input = match base {
        Some(d) => DatasetInput {
            name: d.ds.name.clone(),
            title: d.ds.title.clone(),
            notes: d.ds.notes.clone(),
            url: d.ds.url.clone(),
            version: d.ds.version.clone(),
            author: d.ds.author.clone(),
            maintainer: d.ds.maintainer.clone(),
            license_id: d.ds.license_id.clone(),
            standard_type: d.ds.standard_type.clone(),
            private: d.ds.private,
            extras: d
                .ds
                .extras
                .iter()
                .map(|(k, v)| Extra {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            tags: d.ds.tags.clone(),
            groups: d.ds.groups.clone(),
        },
        None => DatasetInput::default(),
    };
    let text = |k: &str, target: &mut String| {
        if let Some(v) = s(p, k) {
            *target = v;
        }
    };
    text("name", &mut input.name);
    text("title", &mut input.title);
    text("notes", &mut input.notes);
    text("url", &mut input.url);
    text("version", &mut input.version);
    text("author", &mut input.author);
    text("maintainer", &mut input.maintainer);
    text("license_id", &mut input.license_id);
    if base.is_none() && input.title.trim().is_empty() {
        input.title = input.name.clone();
    }
    if p.contains_key("private") {
        input.private = boolean(p, "private");
    }
    if let Some(v) = p.get("extras") {
        let extras: Vec<Extra> = parse_json_field(v, "extras")?;
        input.standard_type = extras
            .iter()
            .find(|e| e.key == "standard_dataset")
            .map(|e| e.value.clone())
            .or(input.standard_type.take());
        input.extras = extras;
    }
    if let Some(t) = s(p, "standard_dataset") {
        input.standard_type = Some(t);
    }
    if let Some(v) = p.get("tags") {
        #[derive(serde::Deserialize)]
        struct Tag {
            name: String,
        }
        let tags: Vec<Tag> = parse_json_field(v, "tags")?;
        input.tags = tags.into_iter().map(|t| t.name).collect();
    } else if let Some(ts) = s(p, "tag_string") {
        input.tags = ts.split(',').map(|t| t.trim().to_string()).collect();
    }
    if let Some(v) = p.get("groups") {
        #[derive(serde::Deserialize)]
        struct G {
            #[serde(default)]
            name: Option<String>,
            #[serde(default)]
            id: Option<String>,
        }
        let groups: Vec<G> = parse_json_field(v, "groups")?;
        input.groups = groups.into_iter().filter_map(|g| g.name.or(g.id)).collect();
    }
    Ok(input)
}

fn parse_json_field<T: serde::de::DeserializeOwned>(
    v: &Value,
    field: &str,
) -> Result<T, CkanError> {
    let v = match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        v => v.clone(),
    };
    serde_json::from_value(v).map_err(|e| {
        CkanError::Validation(BTreeMap::from([(
            field.into(),
            vec![format!("形式が正しくありません: {e}")],
        )]))
    })
}

fn link_resources(p: &Params) -> Result<Vec<(String, store::ResourceInput)>, CkanError> {
    let Some(v) = p.get("resources") else {
        return Ok(vec![]);
    };
    #[derive(serde::Deserialize)]
    struct R {
        #[serde(default)]
        url: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        format: String,
    }
    let rs: Vec<R> = parse_json_field(v, "resources")?;
    Ok(rs
        .into_iter()
        .filter(|r| !r.url.is_empty())
        .map(|r| {
            (
                store::new_uuid(),
                store::ResourceInput {
                    name: if r.name.is_empty() {
                        r.url.clone()
                    } else {
                        r.name
                    },
                    description: r.description,
                    format: r.format.to_uppercase(),
                    url: r.url,
                    state: "active".into(),
                    ..Default::default()
                },
            )
        })
        .collect())
}

fn package_search(
    cat: &Catalog,
    site: &str,
    p: &Params,
    viewer: Option<i64>,
) -> Result<Value, CkanError> {
    let rows = int(p, "rows", 10)?.clamp(0, 1000) as usize;
    let start = int(p, "start", 0)?;
    if start < 0 {
        return Err(CkanError::Validation(BTreeMap::from([(
            "start".into(),
            vec!["Must be a natural number".into()],
        )])));
    }
    let mut fq = s(p, "fq").unwrap_or_default();
    if let Some(list) = p.get("fq_list").map(|_| list(p, "fq_list")) {
        for f in list {
            fq = if fq.is_empty() {
                f
            } else {
                format!("{fq} AND {f}")
            };
        }
    }
    let query = SearchQuery {
        q: s(p, "q").unwrap_or_default(),
        fq,
        rows,
        start: start as usize,
        sort: s(p, "sort").unwrap_or_else(|| crate::index::DEFAULT_SORT.into()),
        facet_fields: list(p, "facet.field"),
        facet_limit: int(p, "facet.limit", 50)?,
        facet_mincount: int(p, "facet.mincount", 1)?.max(0) as usize,
        include_private: boolean(p, "include_private"),
        viewer_tenant: viewer,
        words_only: false,
    };
    let r = cat
        .search(&query)
        .map_err(|e| CkanError::SearchQuery(e.0))?;
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for (field, items) in &r.facets {
        facets.insert(
            field.clone(),
            Value::Object(items.iter().map(|(v, n)| (v.clone(), json!(n))).collect()),
        );
        search_facets.insert(
            field.clone(),
            json!({
                "title": field,
                "items": items.iter().map(|(v, n)| json!({"name": v, "display_name": facet_display(cat, field, v), "count": n})).collect::<Vec<_>>(),
            }),
        );
    }
    Ok(json!({
        "count": r.count,
        "sort": query.sort,
        "facets": facets,
        "search_facets": search_facets,
        "results": r.results.iter().map(|d| package_dict(cat, d, site, viewer)).collect::<Vec<_>>(),
    }))
}

/// A readable name for a facet value (the organisation's or group's title, the licence's, the layout's).
pub fn facet_display(cat: &Catalog, field: &str, v: &str) -> String {
    match field {
        "organization" => cat.org(v).map_or(v.to_string(), |o| o.title.clone()),
        "groups" => cat.group(v).map_or(v.to_string(), |g| g.title.clone()),
        "license_id" => store::license_title(v),
        "standard_dataset" | "extras_standard_dataset" => {
            crate::layout::find(v).map_or(v.to_string(), |l| l.title)
        }
        _ => v.to_string(),
    }
}

/// CKAN's timestamp form: ISO 8601 in UTC without a zone, microseconds.
pub fn ckan_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

fn package_count(cat: &Catalog, tenant_id: i64) -> usize {
    cat.org_package_count(tenant_id)
}

/// An organisation dict.
pub fn org_dict(cat: &Catalog, o: &store::Org, _site: &str) -> Value {
    json!({
        "id": o.code,
        "name": o.code,
        "title": o.title,
        "display_name": o.title,
        "description": format!("{}（全国地方公共団体コード {}）", o.title, o.code),
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": "2026-01-01T00:00:00.000000",
        "package_count": package_count(cat, o.tenant_id),
        "extras": [{"key": "全国地方公共団体コード", "value": o.code}],
    })
}

fn group_dict(cat: &Catalog, g: &store::Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "title": g.title,
        "display_name": g.title,
        "description": g.description,
        "type": "group",
        "is_organization": false,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(g.created_at),
        "package_count": cat.group_package_count(&g.name),
    })
}

/// The public URL of a resource: the download of an upload, or its external link (a path of this site made
/// absolute with `site`). An external link that is not http(s) or a path of this site — stored before links
/// were checked — is never given out: the URL is empty, and pages, `package_show` and DCAT show no link.
pub fn resource_url(d: &Doc, r: &store::Resource, site: &str) -> String {
    if r.storage_key.is_some() {
        format!(
            "{site}/opendata/dataset/{}/resource/{}/download/{}",
            d.ds.name,
            r.id,
            percent_encoding::utf8_percent_encode(&r.file_name, percent_encoding::NON_ALPHANUMERIC)
        )
    } else {
        match madoguchi_kernel::safe_url::safe_link(&r.url) {
            Some(path) if path.starts_with('/') => format!("{site}{path}"),
            Some(url) => url.to_string(),
            None => String::new(),
        }
    }
}

/// A resource dict.
pub fn resource_dict(d: &Doc, r: &store::Resource, site: &str) -> Value {
    let original = d.ds.original_of(r);
    json!({
        "id": r.id,
        "package_id": d.ds.id,
        "url": resource_url(d, r, site),
        "url_type": if r.storage_key.is_some() { json!("upload") } else { Value::Null },
        "name": r.name,
        "description": r.description,
        "format": r.format,
        "mimetype": if r.mimetype.is_empty() { Value::Null } else { json!(r.mimetype) },
        "size": r.size,
        "hash": r.hash,
        "created": ckan_time(r.created_at),
        "last_modified": ckan_time(r.modified_at),
        "metadata_modified": ckan_time(r.modified_at),
        "position": r.position,
        "state": r.state,
        "datastore_active": r.is_csv(),
        "character_encoding": r.encoding,
        // The Shift_JIS original of a UTF-8 copy, linked as CKAN clients expect one resource per file.
        "original_resource_id": r.original_id,
        "original_url": original.map(|o| resource_url(d, o, site)),
        "original_character_encoding": original.map(|o| o.encoding.clone()),
        "original_size": original.and_then(|o| o.size),
        "validation_errors": r.errors,
        "validation_warnings": r.warnings,
    })
}

/// A dataset dict as `package_show` returns it.
pub fn package_dict(cat: &Catalog, d: &Doc, site: &str, viewer: Option<i64>) -> Value {
    let ds = &d.ds;
    let org = cat.org_of(ds.tenant_id);
    let resources: Vec<Value> = ds
        .listed_resources(viewer == Some(ds.tenant_id))
        .map(|r| resource_dict(d, r, site))
        .collect();
    json!({
        "id": ds.id,
        "name": ds.name,
        "title": ds.title,
        "type": "dataset",
        "state": ds.state,
        "private": ds.private,
        "owner_org": d.org_code,
        "organization": org.map(|o| org_dict(cat, o, site)),
        "license_id": ds.license_id,
        "license_title": store::license_title(&ds.license_id),
        "isopen": true,
        "notes": ds.notes,
        // A page link stored before links were checked is not given out.
        "url": madoguchi_kernel::safe_url::safe_link(&ds.url).unwrap_or_default(),
        "version": ds.version,
        "author": ds.author,
        "author_email": "",
        "maintainer": ds.maintainer,
        "maintainer_email": "",
        "metadata_created": ckan_time(ds.created_at),
        "metadata_modified": ckan_time(ds.modified_at),
        "tags": ds.tags.iter().map(|t| json!({"name": t, "display_name": t, "state": "active", "vocabulary_id": null})).collect::<Vec<_>>(),
        "groups": ds.groups.iter().filter_map(|g| cat.group(g)).map(|g| json!({"id": g.id, "name": g.name, "title": g.title, "display_name": g.title, "description": g.description, "image_display_url": ""})).collect::<Vec<_>>(),
        "extras": ds.extras.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "num_resources": resources.len(),
        "num_tags": ds.tags.len(),
        "resources": resources,
        "relationships_as_object": [],
        "relationships_as_subject": [],
    })
}
