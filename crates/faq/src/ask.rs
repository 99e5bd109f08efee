//! One question in, one answer out: the best entry with 2–4 related questions and links to online forms, or
//! — when the index is not confident — an honest "no answer" with the contact. Every question is logged
//! with personal data masked (`madoguchi_search::mask_personal_data`) before it reaches the database.

use crate::FaqState;
use crate::questions;
use crate::store::{self, Audience, Contact, Entry};
use crate::text::render_answer;
use madoguchi_kernel::AppError;
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::ratelimit::{self, Rule};
use madoguchi_kernel::tenants::Tenant;
use serde::Serialize;

/// Longest question accepted, in characters.
pub const MAX_QUERY: usize = 400;

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
    /// Whether an answer was found.
    pub confident: bool,
    /// The answer, when found.
    pub answer: Option<EntryView>,
    /// Related questions (when answered) or near questions (when not).
    pub related: Vec<Related>,
    /// Whom to contact.
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
) -> Result<Reply, AppError> {
    ratelimit::enforce(&state.ctx, Rule::FaqQuestionPerClient, &client.rate_key()).await?;
    ask(state, tenant, Audience::Public, query, conversation).await
}

/// Searches, logs (masked) and builds the reply.
pub async fn ask(
    state: &FaqState,
    tenant: &Tenant,
    audience: Audience,
    query: &str,
    conversation: &str,
) -> Result<Reply, AppError> {
    let index = state.indexes.get(&state.ctx.db, tenant.id).await?;
    let found = index.search(audience, query, 6);
    let live = |id: i64| {
        index
            .entries
            .get(&id)
            .filter(|e| e.audience == audience)
            .cloned()
    };
    let best = if found.confident {
        found.hits.first().and_then(|h| live(h.id))
    } else {
        None
    };
    let related: Vec<Related> = found
        .hits
        .iter()
        .filter(|h| best.as_ref().is_none_or(|b| b.id != h.id))
        .filter_map(|h| live(h.id))
        .take(if best.is_some() { 4 } else { 3 })
        .map(|e| Related {
            id: e.id,
            question: e.question.clone(),
        })
        .collect();
    let masked = madoguchi_search::mask_personal_data(query);
    let question_id = questions::record(
        &state.ctx.db,
        tenant.id,
        audience,
        conversation,
        &masked,
        best.as_ref().map(|e| (e.id, e.category.as_str())),
    )
    .await?;
    let contact = store::tenant_contact(&state.ctx.db, tenant.id, &tenant.name).await?;
    let answer = match &best {
        Some(e) => Some(entry_view(state, tenant, e).await?),
        None => None,
    };
    Ok(Reply {
        question_id,
        conversation: conversation.to_string(),
        query: query.to_string(),
        confident: answer.is_some(),
        answer,
        related,
        contact,
    })
}
