//! Translations managed in the builder: every label, help text, body and choice of a form in English and
//! in やさしい日本語 (both optional). Residents switch language on the form (`crate::languages`); a text left
//! empty is shown in Japanese.

use super::{builder_url, editable, encode, store};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_forms::limits::MAX_UNIT_CHARS;
use madoguchi_forms::{FormDefinition, LANGUAGES, Part, PartKind, PartTexts, Translation};
use madoguchi_kernel::web::{CSRF_FIELD, page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Ctx, StaffScope};
use serde::Deserialize;
use std::collections::HashMap;

/// One text to translate.
pub struct Row {
    /// Field name (`title`, `p:kind:label`, `p:kind:c:1`).
    pub name: String,
    /// Where it is, in Japanese (部品「種別」の選択肢).
    pub place: String,
    /// The Japanese text.
    pub source: String,
    /// The translation so far.
    pub value: String,
    /// Whether the text is long (a text area).
    pub long: bool,
    /// Longest translation taken, in characters (`maxlength`); 0 for no bound beyond the request's.
    pub max_chars: usize,
    /// Why the translation typed here was refused (empty when it was not).
    pub error: String,
}

fn rows(def: &FormDefinition, t: &Translation) -> Vec<Row> {
    let mut out = vec![Row {
        name: "title".into(),
        place: "タイトル".into(),
        source: def.title.clone(),
        value: t.title.clone(),
        long: false,
        max_chars: 0,
        error: String::new(),
    }];
    if !def.description.is_empty() {
        out.push(Row {
            name: "description".into(),
            place: "説明".into(),
            source: def.description.clone(),
            value: t.description.clone(),
            long: true,
            max_chars: 0,
            error: String::new(),
        });
    }
    part_rows(&def.parts, "", t, &mut out);
    out
}

fn part_rows(parts: &[Part], prefix: &str, t: &Translation, out: &mut Vec<Row>) {
    for p in parts {
        let key = format!("{prefix}{}", p.key);
        let have = t.parts.get(&key).cloned().unwrap_or_default();
        let mut push = |field: &str, place: String, source: &str, value: &str, long: bool| {
            if !source.trim().is_empty() {
                out.push(Row {
                    name: format!("p:{key}:{field}"),
                    place,
                    source: source.to_string(),
                    value: value.to_string(),
                    long,
                    max_chars: if field == "unit" { MAX_UNIT_CHARS } else { 0 },
                    error: String::new(),
                });
            }
        };
        push(
            "label",
            format!("「{}」の項目名", p.label),
            &p.label,
            &have.label,
            false,
        );
        push(
            "help",
            format!("「{}」の説明", p.label),
            &p.help,
            &have.help,
            true,
        );
        match &p.kind {
            PartKind::Paragraph { text } | PartKind::Consent { text } => push(
                "text",
                format!("「{}」の本文", p.label),
                text,
                &have.text,
                true,
            ),
            PartKind::Group { item_label, .. } => push(
                "item_label",
                format!("「{}」の1件の呼び方", p.label),
                item_label,
                &have.item_label,
                false,
            ),
            PartKind::Number {
                unit: Some(unit), ..
            } => push(
                "unit",
                format!("「{}」の単位", p.label),
                unit,
                &have.unit,
                false,
            ),
            _ => {}
        }
        for c in p.kind.choices().unwrap_or(&[]) {
            push(
                &format!("c:{}", c.value),
                format!("「{}」の選択肢", p.label),
                &c.label,
                have.choices.get(&c.value).map(String::as_str).unwrap_or(""),
                false,
            );
        }
        if let PartKind::Group { parts, .. } = &p.kind {
            part_rows(parts, &format!("{key}."), t, out);
        }
    }
}

#[derive(Template)]
#[template(path = "builder_translations.html")]
struct TranslationsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    copy: &'a store::WorkingCopy,
    lang: &'a str,
    lang_name: &'a str,
    languages: &'static [(&'static str, &'static str)],
    rows: Vec<Row>,
    notice: String,
}

impl TranslationsPage<'_> {
    /// Whether a translation typed here was refused.
    fn refused(&self) -> bool {
        self.rows.iter().any(|r| !r.error.is_empty())
    }
}

/// Which language to edit.
#[derive(Deserialize, Default)]
pub struct LangQuery {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    notice: String,
}

fn language(code: &str) -> (&'static str, &'static str) {
    LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .copied()
        .unwrap_or(LANGUAGES[0])
}

/// GET `/staff/builder/{id}/translations?lang=en`: every text of the form beside its translation.
pub async fn page(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
) -> AppResult<Response> {
    let copy = editable(&ctx, &scope, id).await?;
    let (lang, lang_name) = language(&q.lang);
    let t = copy
        .definition
        .translations
        .get(lang)
        .cloned()
        .unwrap_or_default();
    let rows = rows(&copy.definition, &t);
    page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::OK,
        |csrf| {
            Ok(TranslationsPage {
                scope: &scope,
                csrf,
                copy: &copy,
                lang,
                lang_name,
                languages: LANGUAGES,
                rows,
                notice: q.notice,
            }
            .render()?)
        },
    )
}

/// POST `/staff/builder/{id}/translations?lang=en`: saves the translations of one language.
pub async fn save(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LangQuery>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f: HashMap<String, String> = fields.into_iter().collect();
    verify_csrf(
        &headers,
        f.get(CSRF_FIELD).map(String::as_str).unwrap_or(""),
    )?;
    let copy = editable(&ctx, &scope, id).await?;
    let (lang, lang_name) = language(&q.lang);
    let rev: i64 = f.get("rev").and_then(|r| r.parse().ok()).unwrap_or(-1);
    let mut t = Translation {
        title: f
            .get("title")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        description: f
            .get("description")
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
        parts: Default::default(),
    };
    for (name, value) in &f {
        let value = value.trim();
        let Some(rest) = name.strip_prefix("p:") else {
            continue;
        };
        let Some((key, field)) = rest.split_once(':') else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let texts: &mut PartTexts = t.parts.entry(key.to_string()).or_default();
        match field {
            "label" => texts.label = value.into(),
            "help" => texts.help = value.into(),
            "text" => texts.text = value.into(),
            "item_label" => texts.item_label = value.into(),
            "unit" => texts.unit = value.into(),
            other => {
                if let Some(v) = other.strip_prefix("c:") {
                    texts.choices.insert(v.to_string(), value.into());
                }
            }
        }
    }
    // Bounded before it is stored: a unit longer than any unit is refused on the page, naming the part, with
    // everything typed kept (nothing is saved until it passes).
    let mut rows = rows(&copy.definition, &t);
    let mut refused = false;
    for r in rows.iter_mut() {
        if r.max_chars > 0 && r.value.chars().count() > r.max_chars {
            r.error = format!(
                "{}の{lang_name}訳は{}文字以内で入力してください（いま{}文字）。",
                r.place,
                r.max_chars,
                r.value.chars().count()
            );
            r.value = r.value.chars().take(r.max_chars * 4).collect();
            refused = true;
        }
    }
    if refused {
        return page_with_csrf(
            &headers,
            ctx.config.secure_cookies(),
            StatusCode::UNPROCESSABLE_ENTITY,
            |csrf| {
                Ok(TranslationsPage {
                    scope: &scope,
                    csrf,
                    copy: &copy,
                    lang,
                    lang_name,
                    languages: LANGUAGES,
                    rows,
                    notice: String::new(),
                }
                .render()?)
            },
        );
    }
    let mut def = copy.definition.clone();
    def.translations.insert(lang.to_string(), t);
    madoguchi_forms::edit::prune_translations(&mut def);
    match store::save(&ctx.db, &scope, id, rev, &def).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "{}/translations?lang={lang}&notice={}",
            builder_url(id),
            encode(&format!("{lang_name}の翻訳を保存しました"))
        ))
        .into_response()),
        Err(store::SaveError::Stale) => Err(AppError::Conflict(super::STALE.into())),
        Err(store::SaveError::App(e)) => Err(e),
    }
}
