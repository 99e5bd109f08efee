//! The shared Q&A base (共同利用). Procedures rest on national law, so one government's Q&A often fits all:
//! a tenant publishes public entries to a pool; other tenants subscribe to categories and adopt entries as
//! their own copies (filed under their own department, so their own contact is shown), and see when the
//! source changed since they adopted it. The pool holds only Q&A text, never residents' questions.

use crate::FaqState;
use crate::staff::{is_editor, render_page};
use crate::store::{self, Audience, EntryInput, Origin};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::time::short_datetime;
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{AppError, AppResult, Db, StaffScope, audit, now_ms};
use serde::Deserialize;
use sqlx::Row;

/// The ids of the tenant's entries published to the pool (not withdrawn): its index of pooled entries, which a
/// municipality's chat falls back to when this tenant is its prefecture (`ask::rank_public`).
pub async fn pooled_entry_ids(
    db: &Db,
    tenant_id: i64,
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT source_entry_id FROM faq_shared WHERE source_tenant_id = $1 AND withdrawn = 0",
    )
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await?;
    Ok(ids.into_iter().collect())
}

/// The pool id of an entry the caller's tenant publishes (not withdrawn).
pub async fn shared_id_of(
    db: &Db,
    scope: &StaffScope,
    entry_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM faq_shared WHERE source_entry_id = $1 AND source_tenant_id = $2 AND withdrawn = 0",
    )
    .bind(entry_id)
    .bind(scope.tenant_id)
    .fetch_optional(&db.read)
    .await
}

/// The publish form.
#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    withdraw: String,
}

/// POST `/staff/faq/entries/{id}/publish`: publish a public entry to the pool, or withdraw it.
pub async fn publish(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PublishForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let e = store::find_entry(&state.ctx.db, &scope, id).await?;
    if !store::can_edit(&scope, e.department_id) {
        return Err(AppError::Forbidden);
    }
    let db = &state.ctx.db;
    let now = now_ms();
    // Publishing changes what the tenant's municipalities fall back to: the generation moves with it.
    let notice = if f.withdraw == "1" {
        let mut tx = db.write.begin().await?;
        sqlx::query("UPDATE faq_shared SET withdrawn = 1, updated_at = $1 WHERE source_entry_id = $2 AND source_tenant_id = $3")
            .bind(now)
            .bind(id)
            .bind(scope.tenant_id)
            .execute(&mut *tx)
            .await?;
        store::bump_generation(&mut tx, scope.tenant_id).await?;
        tx.commit().await?;
        "共有プールから取り下げました"
    } else {
        if e.audience != Audience::Public {
            return Err(AppError::Conflict(
                "職員向けのQ&Aは共有プールに公開できません。".into(),
            ));
        }
        let phrasings = serde_json::to_string(&e.phrasings).map_err(anyhow::Error::from)?;
        let forms = serde_json::to_string(&e.forms).map_err(anyhow::Error::from)?;
        let mut tx = db.write.begin().await?;
        let n = sqlx::query(
            "UPDATE faq_shared SET withdrawn = 0, category = $1, question = $2, phrasings = $3, answer = $4, forms = $5,
               version = version + 1, updated_at = $6 WHERE source_entry_id = $7 AND source_tenant_id = $8",
        )
        .bind(&e.category)
        .bind(&e.question)
        .bind(&phrasings)
        .bind(&e.answer)
        .bind(&forms)
        .bind(now)
        .bind(id)
        .bind(scope.tenant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            sqlx::query(
                "INSERT INTO faq_shared (source_tenant_id, source_entry_id, category, question, phrasings, answer, forms,
                   version, published_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
            )
            .bind(scope.tenant_id)
            .bind(id)
            .bind(&e.category)
            .bind(&e.question)
            .bind(&phrasings)
            .bind(&e.answer)
            .bind(&forms)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        store::bump_generation(&mut tx, scope.tenant_id).await?;
        tx.commit().await?;
        "共有プールに公開しました"
    };
    state.indexes.invalidate(scope.tenant_id);
    audit::record(
        db,
        &scope,
        audit::Action::FaqPublish,
        &format!("faq:{id}"),
        notice,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/staff/faq/entries/{id}?notice={}",
        crate::public::enc(notice)
    ))
    .into_response())
}

/// An entry of the pool as another tenant sees it.
pub struct PoolEntry {
    /// Pool id.
    pub id: i64,
    /// Publishing tenant.
    pub source: String,
    /// Category.
    pub category: String,
    /// Question.
    pub question: String,
    /// Answer.
    pub answer: String,
    /// Current version.
    pub version: i64,
    /// Last change.
    pub updated: String,
    /// The caller's copy: (entry id, version adopted).
    pub adopted: Option<(i64, i64)>,
}

impl PoolEntry {
    /// Whether the source changed since the caller adopted it.
    pub fn changed(&self) -> bool {
        self.adopted.is_some_and(|(_, v)| v < self.version)
    }
}

#[derive(Template)]
#[template(path = "staff_shared.html")]
struct PoolPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    categories: Vec<(String, bool)>,
    entries: Vec<PoolEntry>,
    published: Vec<(i64, String, i64)>,
    departments: Vec<(i64, String, String)>,
    editor: bool,
}

async fn subscriptions(db: &Db, tenant_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT category FROM faq_subscriptions WHERE tenant_id = $1 ORDER BY category",
    )
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await
}

/// GET `/staff/faq/shared`.
pub async fn pool(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    let db = &state.ctx.db;
    let subscribed = subscriptions(db, scope.tenant_id).await?;
    let mut all: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT category FROM faq_shared WHERE withdrawn = 0 AND source_tenant_id <> $1",
    )
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?;
    all.extend(subscribed.iter().cloned());
    all.sort();
    all.dedup();
    let categories = all
        .into_iter()
        .map(|c| {
            let on = subscribed.contains(&c);
            (c, on)
        })
        .collect();
    let rows = sqlx::query(
        "SELECT s.id, t.name AS source, s.category, s.question, s.answer, s.version, s.updated_at,
                e.id AS entry_id, e.shared_version
         FROM faq_shared s JOIN tenants t ON t.id = s.source_tenant_id
         JOIN faq_subscriptions sub ON sub.category = s.category AND sub.tenant_id = $1
         LEFT JOIN faq_entries e ON e.shared_id = s.id AND e.tenant_id = $1
         WHERE s.withdrawn = 0 AND s.source_tenant_id <> $1
         ORDER BY s.category, s.id",
    )
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?;
    let mut entries = Vec::new();
    for r in rows {
        let entry_id: Option<i64> = r.try_get("entry_id")?;
        let adopted_version: Option<i64> = r.try_get("shared_version")?;
        entries.push(PoolEntry {
            id: r.try_get("id")?,
            source: r.try_get("source")?,
            category: r.try_get("category")?,
            question: r.try_get("question")?,
            answer: r.try_get("answer")?,
            version: r.try_get("version")?,
            updated: short_datetime(r.try_get("updated_at")?),
            adopted: entry_id.map(|id| (id, adopted_version.unwrap_or(0))),
        });
    }
    let published = sqlx::query(
        "SELECT s.source_entry_id, s.question, s.version FROM faq_shared s
         WHERE s.source_tenant_id = $1 AND s.withdrawn = 0 ORDER BY s.id",
    )
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("source_entry_id")?,
            r.try_get("question")?,
            r.try_get("version")?,
        ))
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let departments: Vec<(i64, String, String)> = store::departments(db, scope.tenant_id)
        .await?
        .into_iter()
        .filter(|(id, _, _)| store::can_edit(&scope, *id))
        .collect();
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(PoolPage {
            editor: is_editor(&scope),
            scope: &scope,
            csrf,
            categories,
            entries,
            published,
            departments,
        }
        .render()?)
    })
}

/// POST `/staff/faq/shared/subscriptions`: `category` repeated for each subscribed category.
pub async fn subscribe(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let csrf = f
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    verify_csrf(&headers, csrf)?;
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    let mut chosen: Vec<String> = f
        .iter()
        .filter(|(k, v)| k == "category" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().chars().take(50).collect())
        .collect();
    chosen.sort();
    chosen.dedup();
    let mut tx = state.ctx.db.write.begin().await?;
    sqlx::query("DELETE FROM faq_subscriptions WHERE tenant_id = $1")
        .bind(scope.tenant_id)
        .execute(&mut *tx)
        .await?;
    for c in &chosen {
        sqlx::query("INSERT INTO faq_subscriptions (tenant_id, category) VALUES ($1, $2)")
            .bind(scope.tenant_id)
            .bind(c)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to("/staff/faq/shared").into_response())
}

/// The adopt form.
#[derive(Deserialize)]
pub struct AdoptForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    department: String,
}

/// POST `/staff/faq/shared/{id}/adopt`: copy a pooled entry into the caller's tenant under one of their
/// departments, or bring an adopted copy up to the source's current version.
pub async fn adopt(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<AdoptForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    let db = &state.ctx.db;
    let row = sqlx::query(
        "SELECT category, question, phrasings, answer, forms, version FROM faq_shared
         WHERE id = $1 AND withdrawn = 0 AND source_tenant_id <> $2",
    )
    .bind(id)
    .bind(scope.tenant_id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let version: i64 = row.try_get("version")?;
    let existing: Option<(i64, i64)> = sqlx::query(
        "SELECT id, department_id FROM faq_entries WHERE shared_id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(scope.tenant_id)
    .fetch_optional(&db.read)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("department_id")?)))
    .transpose()?;
    let department_id = match existing {
        Some((_, d)) => d,
        None => store::departments(db, scope.tenant_id)
            .await?
            .into_iter()
            .find(|(_, code, _)| *code == f.department)
            .map(|(id, _, _)| id)
            .ok_or_else(|| AppError::BadRequest("採用先の所属を選んでください。".into()))?,
    };
    let input = EntryInput {
        department_id,
        category: row.try_get("category")?,
        question: row.try_get("question")?,
        phrasings: serde_json::from_str(&row.try_get::<String, _>("phrasings")?)
            .unwrap_or_default(),
        answer: row.try_get("answer")?,
        forms: serde_json::from_str(&row.try_get::<String, _>("forms")?).unwrap_or_default(),
        audience: Audience::Public,
        review_date: String::new(),
    };
    let note = if existing.is_some() {
        "共同利用の更新を取り込み"
    } else {
        "共同利用から採用"
    };
    let (entry_id, _) = store::save_entry(
        db,
        &scope,
        existing.map(|e| e.0),
        &input,
        note,
        Origin {
            shared: Some((id, version)),
        },
    )
    .await?;
    sqlx::query("UPDATE faq_entries SET shared_id = $1, shared_version = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(id)
        .bind(version)
        .bind(entry_id)
        .bind(scope.tenant_id)
        .execute(&db.write)
        .await?;
    state.indexes.invalidate(scope.tenant_id);
    Ok(Redirect::to(&format!(
        "/staff/faq/entries/{entry_id}?notice={}",
        crate::public::enc(&format!("{note}しました（共有 第{version}版）"))
    ))
    .into_response())
}
