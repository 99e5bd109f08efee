//! One question in, one answer out: the best entry with 2–4 related questions and links to online forms, or
//! — when the index is not confident — an honest "no sure answer" with up to 5 candidates and the contact of
//! the department the first candidate belongs to. A municipality whose own Q&As give no sure answer falls back
//! to the Q&As its prefecture shares (共同利用) when those give one, and says so. Every question is logged
//! with personal data masked (`madoguchi_search::mask_personal_data`) before it reaches the database.
//!
//! [`rank`] is the one ranking: the chat page, the embed page and the JSON API (`GET …/faq/ask?q=&limit=`)
//! all go through it, so the list, its scores and the confidence flag are the same everywhere.

use crate::FaqState;
use crate::index::TenantIndex;
use crate::questions;
use crate::store::{self, Audience, Contact, Entry};
use crate::text::render_answer;
use madoguchi_kernel::AppError;
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::ratelimit::{self, Rule};
use madoguchi_kernel::tenants::Tenant;
use serde::Serialize;
use std::sync::Arc;

/// Longest question accepted, in characters.
pub const MAX_QUERY: usize = 400;

/// Most entries a ranking returns (`limit` of the JSON API).
pub const MAX_LIMIT: usize = 20;

/// Entries a ranking returns by default, and what the chat shows: the answer and 4 related questions, or
/// 5 candidates when no answer is sure.
pub const DEFAULT_LIMIT: usize = 5;

/// Parses the `limit` of the JSON API (1–[`MAX_LIMIT`], default [`DEFAULT_LIMIT`]); the error names it.
pub fn parse_limit(raw: Option<&str>) -> Result<usize, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(format!(
                "limit（件数）は 1 から {MAX_LIMIT} までの整数で指定してください。"
            )),
        },
    }
}

/// Checks a question as typed; the error names the field in Japanese.
pub fn check_query(raw: &str) -> Result<String, String> {
    check_query_in(raw, crate::words::words(madoguchi_kernel::Lang::Ja))
}

/// [`check_query`] with the problem said in the words of the resident's language.
pub fn check_query_in(raw: &str, w: &crate::words::FaqWords) -> Result<String, String> {
    let q = raw.trim();
    let n = q.chars().count();
    if n == 0 {
        Err(w.empty.into())
    } else if n > MAX_QUERY {
        let [a, b, c] = w.too_long;
        Err(format!("{a}{MAX_QUERY}{b}{n}{c}"))
    } else {
        Ok(q.to_string())
    }
}

/// Whether a conversation id sent back by a browser is one we could have made.
pub fn valid_conversation(c: &str) -> bool {
    (16..=64).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A conversation id: the one given if valid, else a new one.
pub fn conversation_or_new(c: Option<&str>) -> String {
    match c {
        Some(c) if valid_conversation(c) => c.to_string(),
        _ => madoguchi_kernel::ids::new_token(),
    }
}

/// A link to an online form.
#[derive(Debug, Clone, Serialize)]
pub struct FormLink {
    /// Form title.
    pub title: String,
    /// Its URL.
    pub url: String,
}

/// An entry as shown to the person who asked.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// Entry id.
    pub id: i64,
    /// The question it answers.
    pub question: String,
    /// Category.
    pub category: String,
    /// The answer as safe HTML.
    pub answer_html: String,
    /// The answer as typed by staff.
    pub answer_text: String,
    /// Online forms for this procedure.
    pub forms: Vec<FormLink>,
    /// The owning department's contact.
    pub contact: Contact,
}

/// One entry of a ranking, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// Entry id.
    pub id: i64,
    /// Its question.
    pub question: String,
    /// Its category.
    pub category: String,
    /// Relevance score (higher is better; comparable within one ranking only).
    pub score: f32,
}

/// The tenant whose Q&As answered, when it is not the one asked (the prefecture's shared Q&As).
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// 地方公共団体コード.
    pub code: String,
    /// Name (高知県).
    pub name: String,
}

/// The ranked entries for a question.
pub struct Ranking {
    /// Best first, with their entries.
    pub hits: Vec<(Candidate, Arc<Entry>)>,
    /// Whether the first is a sure answer.
    pub confident: bool,
    /// Whether the semantic ranking took part (the embedding model is loaded and every entry has its vector).
    pub semantic: bool,
    /// The prefecture whose shared Q&As answered, when the tenant's own gave no sure answer and they did.
    pub from: Option<Tenant>,
}

/// The question's embedding when the index is semantic (≈20 ms of CPU, off the async runtime); `None` on any
/// failure, which leaves the ranking lexical.
async fn query_vector(index: &TenantIndex, query: &str) -> Option<Vec<f32>> {
    let embedder = index.embedder.clone()?;
    let q = query.to_string();
    match tokio::task::spawn_blocking(move || embedder.query(&q)).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "question not embedded: lexical ranking");
            None
        }
        Err(_) => None,
    }
}

fn hits_of(
    index: &TenantIndex,
    found: &madoguchi_search::Answer,
    audience: Audience,
) -> Vec<(Candidate, Arc<Entry>)> {
    found
        .hits
        .iter()
        .filter_map(|h| {
            let e = index
                .entries
                .get(&h.id)
                .filter(|e| e.audience == audience)?;
            Some((
                Candidate {
                    id: e.id,
                    question: e.question.clone(),
                    category: e.category.clone(),
                    score: h.score,
                },
                e.clone(),
            ))
        })
        .collect()
}

/// The one ranking of a question for an audience: the tenant's entries, lexical and — when the embedding model
/// is there — semantic, fused; `limit` entries at most (callers bound it, [`MAX_LIMIT`]). For residents of a
/// municipality whose own entries give no sure answer, the Q&As its prefecture shares are searched the same
/// way, and their ranking is taken when it is sure (`from` then names the prefecture). Staff-only entries are
/// in another index than residents' and never come out of a public ranking.
pub async fn rank(
    state: &FaqState,
    tenant: &Tenant,
    audience: Audience,
    query: &str,
    limit: usize,
) -> Result<Ranking, AppError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let index = state.indexes.get(&state.ctx.db, tenant.id).await?;
    let vector = query_vector(&index, query).await;
    let found = index.search(audience, query, vector.as_deref(), limit);
    let own = Ranking {
        hits: hits_of(&index, &found, audience),
        confident: found.confident,
        semantic: vector.is_some(),
        from: None,
    };
    let Some(parent_id) = tenant.parent_id.filter(|_| audience == Audience::Public) else {
        return Ok(own);
    };
    if own.confident && !own.hits.is_empty() {
        return Ok(own);
    }
    let parent = state.indexes.get(&state.ctx.db, parent_id).await?;
    if parent.pooled.is_empty() {
        return Ok(own);
    }
    // The same model embeds both tenants' entries: the question's vector serves again.
    let parent_vector = match (&parent.embedder, &index.embedder, &vector) {
        (Some(p), Some(o), Some(v)) if p.model_id() == o.model_id() => Some(v.clone()),
        (Some(_), _, _) => query_vector(&parent, query).await,
        _ => None,
    };
    let shared = parent.search_pooled(query, parent_vector.as_deref(), limit);
    if !shared.confident || shared.hits.is_empty() {
        return Ok(own);
    }
    let prefecture = madoguchi_kernel::tenants::find_tenant(&state.ctx.db, parent_id).await?;
    Ok(Ranking {
        hits: hits_of(&parent, &shared, Audience::Public),
        confident: true,
        semantic: parent_vector.is_some(),
        from: Some(prefecture),
    })
}

/// A related question.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// Entry id.
    pub id: i64,
    /// Its question.
    pub question: String,
}

/// The outcome of asking.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    /// Id of the logged question (for feedback).
    pub question_id: i64,
    /// The conversation it belongs to.
    pub conversation: String,
    /// The question as asked.
    pub query: String,
    /// Whether a sure answer was found.
    pub confident: bool,
    /// Whether the semantic ranking took part.
    pub semantic: bool,
    /// The ranking: up to `limit` entries, best first, with their scores.
    pub results: Vec<Candidate>,
    /// The prefecture whose shared Q&As gave the answer, when the tenant's own gave none.
    pub source: Option<Source>,
    /// The answer, when sure.
    pub answer: Option<EntryView>,
    /// Related questions (when answered, up to 4) or the candidates (when not, up to 5).
    pub related: Vec<Related>,
    /// Whom to contact: without a sure answer, the department of the first candidate (else the tenant's
    /// general contact).
    pub contact: Contact,
}

/// Shows an entry: its answer, form links and contact.
pub async fn entry_view(
    state: &FaqState,
    tenant: &Tenant,
    e: &Entry,
) -> Result<EntryView, AppError> {
    let db = &state.ctx.db;
    let fallback = store::tenant_contact(db, tenant.id, &tenant.name).await?;
    let mut forms = Vec::new();
    for slug in &e.forms {
        if let Some((title, url)) = store::form_link(db, tenant.id, slug).await? {
            forms.push(FormLink { title, url });
        }
    }
    Ok(EntryView {
        id: e.id,
        question: e.question.clone(),
        category: e.category.clone(),
        answer_html: render_answer(&e.answer),
        answer_text: e.answer.clone(),
        forms,
        contact: store::department_contact(db, tenant.id, e.department_id, &fallback).await?,
    })
}

/// A resident's question from any public channel (chat page, embed, JSON): counted against the client's
/// `[rate_limits] faq_questions_per_client` first, so past it nothing is searched or logged and analytics
/// stay clean; then [`ask`] for the public audience.
pub async fn ask_public(
    state: &FaqState,
    tenant: &Tenant,
    client: &ClientAddr,
    query: &str,
    conversation: &str,
    limit: usize,
) -> Result<Reply, AppError> {
    ratelimit::enforce(&state.ctx, Rule::FaqQuestionPerClient, &client.rate_key()).await?;
    ask(state, tenant, Audience::Public, query, conversation, limit).await
}

/// Ranks ([`rank`]), logs (masked) and builds the reply.
pub async fn ask(
    state: &FaqState,
    tenant: &Tenant,
    audience: Audience,
    query: &str,
    conversation: &str,
    limit: usize,
) -> Result<Reply, AppError> {
    let ranking = rank(state, tenant, audience, query, limit).await?;
    let best = if ranking.confident {
        ranking.hits.first().map(|(_, e)| e.clone())
    } else {
        None
    };
    let related: Vec<Related> = ranking
        .hits
        .iter()
        .filter(|(_, e)| best.as_ref().is_none_or(|b| b.id != e.id))
        .take(if best.is_some() { 4 } else { 5 })
        .map(|(_, e)| Related {
            id: e.id,
            question: e.question.clone(),
        })
        .collect();
    let masked = madoguchi_search::mask_personal_data(query);
    // The log is the tenant's: an answer from the prefecture's pool is not one of its entries, and the
    // question stays on its unanswered list, where staff can adopt the shared Q&A.
    let own_best = best.as_ref().filter(|_| ranking.from.is_none());
    let question_id = questions::record(
        &state.ctx.db,
        tenant.id,
        audience,
        conversation,
        &masked,
        own_best.map(|e| (e.id, e.category.as_str())),
    )
    .await?;
    let general = store::tenant_contact(&state.ctx.db, tenant.id, &tenant.name).await?;
    let answering = ranking.from.as_ref().unwrap_or(tenant);
    let (answer, contact) = match &best {
        Some(e) => (Some(entry_view(state, answering, e).await?), general),
        None => {
            let contact = match ranking.hits.first() {
                Some((_, e)) => {
                    store::department_contact(&state.ctx.db, tenant.id, e.department_id, &general)
                        .await?
                }
                None => general,
            };
            (None, contact)
        }
    };
    Ok(Reply {
        question_id,
        conversation: conversation.to_string(),
        query: query.to_string(),
        confident: answer.is_some(),
        semantic: ranking.semantic,
        results: ranking.hits.into_iter().map(|(c, _)| c).collect(),
        source: ranking.from.map(|t| Source {
            code: t.code,
            name: t.name,
        }),
        answer,
        related,
        contact,
    })
}
