//! What the question log tells staff: the unanswered questions grouped by similarity (each group one click
//! away from a new Q&A), analytics in Nagano's views (month, weekday, hour, resolution per category,
//! conversation transitions) and the log as CSV. Questions were masked before they were stored.

use crate::FaqState;
use crate::questions::{self, Feedback, Logged};
use crate::staff::{is_editor, render_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Timelike};
use madoguchi_kernel::spreadsheet::SafeCsv;
use madoguchi_kernel::time::{jst, short_datetime};
use madoguchi_kernel::{AppResult, StaffScope, audit, now_ms};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How similar two questions must be to share a group.
pub const GROUP_THRESHOLD: f32 = 0.5;

/// A group of similar unanswered questions.
pub struct Group {
    /// The most recent wording.
    pub representative: String,
    /// Every distinct wording.
    pub wordings: Vec<String>,
    /// How many times asked.
    pub count: usize,
    /// How many ended with 解決しなかった.
    pub unresolved: usize,
    /// Last asked.
    pub last: String,
    /// The new-entry link that pre-fills from these questions.
    pub create_href: String,
}

#[derive(Template)]
#[template(path = "staff_unanswered.html")]
struct UnansweredPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    groups: Vec<Group>,
    editor: bool,
}

/// Groups logged questions by similarity, largest group first.
pub fn group(list: &[Logged]) -> Vec<Group> {
    let texts: Vec<String> = list.iter().map(|q| q.question.clone()).collect();
    let mut groups: Vec<Group> = madoguchi_search::group_similar(&texts, GROUP_THRESHOLD)
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|members| {
            let mut wordings: Vec<String> = Vec::new();
            for &i in &members {
                if !wordings.contains(&list[i].question) {
                    wordings.push(list[i].question.clone());
                }
            }
            // `list` is newest first, so the smallest index is the latest question.
            let latest = members.iter().copied().min().unwrap_or(0);
            let ids: Vec<String> = members.iter().map(|&i| list[i].id.to_string()).collect();
            Group {
                representative: list[latest].question.clone(),
                wordings,
                count: members.len(),
                unresolved: members
                    .iter()
                    .filter(|&&i| list[i].feedback == Some(Feedback::Unresolved))
                    .count(),
                last: short_datetime(list[latest].asked_at),
                create_href: format!("/staff/faq/new?from={}", ids.join(",")),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups
}

/// GET `/staff/faq/unanswered`.
pub async fn unanswered(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    let list = questions::unanswered(&state.ctx.db, &scope, 1000).await?;
    let groups = tokio::task::spawn_blocking(move || group(&list))
        .await
        .map_err(anyhow::Error::from)?;
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(UnansweredPage {
            editor: is_editor(&scope),
            scope: &scope,
            csrf,
            groups,
        }
        .render()?)
    })
}

/// One bar of a chart.
pub struct Bar {
    /// Label.
    pub label: String,
    /// Count.
    pub count: usize,
    /// Width in percent of the largest.
    pub width: usize,
}

fn bars(items: Vec<(String, usize)>) -> Vec<Bar> {
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .map(|(label, count)| Bar {
            label,
            count,
            width: count * 100 / max,
        })
        .collect()
}

/// Resolution figures of one category (or all).
pub struct Resolution {
    /// Category (empty = no answer).
    pub category: String,
    /// Questions.
    pub asked: usize,
    /// Answered.
    pub answered: usize,
    /// 解決した.
    pub resolved: usize,
    /// 解決しなかった.
    pub unresolved: usize,
    /// Went to contact.
    pub contacted: usize,
    /// resolved ÷ (questions with feedback), as text.
    pub rate: String,
}

fn resolution(category: String, qs: &[&Logged]) -> Resolution {
    let count = |f: Feedback| qs.iter().filter(|q| q.feedback == Some(f)).count();
    let (resolved, unresolved, contacted) = (
        count(Feedback::Resolved),
        count(Feedback::Unresolved),
        count(Feedback::Contacted),
    );
    let rated = resolved + unresolved + contacted;
    Resolution {
        category,
        asked: qs.len(),
        answered: qs.iter().filter(|q| q.outcome == "answered").count(),
        resolved,
        unresolved,
        contacted,
        rate: if rated == 0 {
            "—".into()
        } else {
            format!("{:.1}%", resolved as f64 * 100.0 / rated as f64)
        },
    }
}

/// A step of the conversation flow.
pub struct Transition {
    /// From.
    pub from: &'static str,
    /// To.
    pub to: &'static str,
    /// Count.
    pub count: usize,
    /// Share of `from`, as text.
    pub share: String,
    /// Bar width.
    pub width: usize,
}

/// A bar chart as a table.
pub struct Chart {
    /// Heading.
    pub title: &'static str,
    /// Element id.
    pub id: &'static str,
    /// Bars.
    pub bars: Vec<Bar>,
}

/// Everything the analytics page shows.
pub struct Analytics {
    /// Questions per month, per weekday (月–日) and per hour (0–23 JST).
    pub charts: Vec<Chart>,
    /// Overall.
    pub overall: Resolution,
    /// Per category.
    pub categories: Vec<Resolution>,
    /// asked → answered → resolved / unresolved / contacted.
    pub transitions: Vec<Transition>,
    /// Conversations.
    pub conversations: usize,
}

/// Computes the analytics of a log.
pub fn analyse(log: &[Logged]) -> Analytics {
    let mut months: BTreeMap<String, usize> = BTreeMap::new();
    let mut weekdays = [0usize; 7];
    let mut hours = [0usize; 24];
    let mut conversations = std::collections::HashSet::new();
    let mut by_category: BTreeMap<String, Vec<&Logged>> = BTreeMap::new();
    for q in log {
        let t = jst(q.asked_at);
        *months.entry(t.format("%Y年%m月").to_string()).or_default() += 1;
        weekdays[t.weekday().num_days_from_monday() as usize] += 1;
        hours[t.hour() as usize] += 1;
        conversations.insert(q.conversation.as_str());
        let key = if q.outcome == "answered" {
            q.category.clone()
        } else {
            "（回答なし）".to_string()
        };
        by_category.entry(key).or_default().push(q);
    }
    let all: Vec<&Logged> = log.iter().collect();
    let overall = resolution("全体".into(), &all);
    let mut categories: Vec<Resolution> = by_category
        .into_iter()
        .map(|(c, qs)| resolution(c, &qs))
        .collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.asked));
    let n = log.len();
    let answered: Vec<&Logged> = log.iter().filter(|q| q.outcome == "answered").collect();
    let none: Vec<&Logged> = log.iter().filter(|q| q.outcome != "answered").collect();
    let fb = |qs: &[&Logged], f: Option<Feedback>| qs.iter().filter(|q| q.feedback == f).count();
    let steps: Vec<(&'static str, &'static str, usize, usize)> = vec![
        ("質問", "回答あり", answered.len(), n),
        ("質問", "回答なし", none.len(), n),
        (
            "回答あり",
            "解決した",
            fb(&answered, Some(Feedback::Resolved)),
            answered.len(),
        ),
        (
            "回答あり",
            "解決しなかった",
            fb(&answered, Some(Feedback::Unresolved)),
            answered.len(),
        ),
        (
            "回答あり",
            "問い合わせた",
            fb(&answered, Some(Feedback::Contacted)),
            answered.len(),
        ),
        ("回答あり", "評価なし", fb(&answered, None), answered.len()),
        (
            "回答なし",
            "問い合わせた",
            fb(&none, Some(Feedback::Contacted)),
            none.len(),
        ),
        (
            "回答なし",
            "評価なし",
            none.len() - fb(&none, Some(Feedback::Contacted)),
            none.len(),
        ),
    ];
    let transitions = steps
        .into_iter()
        .map(|(from, to, count, of)| Transition {
            from,
            to,
            count,
            share: if of == 0 {
                "—".into()
            } else {
                format!("{:.1}%", count as f64 * 100.0 / of as f64)
            },
            width: (count * 100).checked_div(of).unwrap_or(0),
        })
        .collect();
    const DAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    Analytics {
        charts: vec![
            Chart {
                title: "月別の質問数",
                id: "by-month",
                bars: bars(months.into_iter().collect()),
            },
            Chart {
                title: "曜日別の質問数",
                id: "by-weekday",
                bars: bars(
                    DAYS.iter()
                        .zip(weekdays)
                        .map(|(d, c)| (format!("{d}曜日"), c))
                        .collect(),
                ),
            },
            Chart {
                title: "時間帯別の質問数（日本時間）",
                id: "by-hour",
                bars: bars((0..24).map(|h| (format!("{h}時台"), hours[h])).collect()),
            },
        ],
        overall,
        categories,
        transitions,
        conversations: conversations.len(),
    }
}

/// Query of the analytics page and log export.
#[derive(Deserialize, Default)]
pub struct AnalyticsQuery {
    /// `staff` for the helpdesk; residents otherwise.
    #[serde(default)]
    audience: String,
    /// Months back (1–36, default 12).
    #[serde(default)]
    months: Option<i64>,
}

impl AnalyticsQuery {
    fn audience(&self) -> &'static str {
        if self.audience == "staff" {
            "staff"
        } else {
            "public"
        }
    }
    fn since(&self) -> (i64, i64) {
        let months = self.months.unwrap_or(12).clamp(1, 36);
        (months, now_ms() - months * 31 * 24 * 3600 * 1000)
    }
}

#[derive(Template)]
#[template(path = "staff_analytics.html")]
struct AnalyticsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    audience: &'static str,
    months: i64,
    choices: [i64; 6],
    total: usize,
    a: Analytics,
}

/// GET `/staff/faq/analytics`.
pub async fn analytics(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let (months, since) = q.since();
    let audience = q.audience();
    let log: Vec<Logged> = questions::since(&state.ctx.db, &scope, since)
        .await?
        .into_iter()
        .filter(|x| x.audience == audience)
        .collect();
    let total = log.len();
    let a = analyse(&log);
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(AnalyticsPage {
            scope: &scope,
            csrf,
            audience,
            months,
            choices: [1, 3, 6, 12, 24, 36],
            total,
            a,
        }
        .render()?)
    })
}

/// GET `/staff/faq/log.csv`: the question log (masked) as CSV, UTF-8 with BOM.
pub async fn log_csv(
    State(state): State<FaqState>,
    scope: StaffScope,
    Query(q): Query<AnalyticsQuery>,
) -> AppResult<Response> {
    let (_, since) = q.since();
    let log = questions::since(&state.ctx.db, &scope, since).await?;
    audit::record(
        &state.ctx.db,
        &scope,
        audit::Action::FaqLogExport,
        "faq:questions",
        &format!("{}件", log.len()),
    )
    .await?;
    // Questions are typed by anonymous residents: every cell is neutralised against formulas.
    let mut w = SafeCsv::new(b"\xEF\xBB\xBF".to_vec());
    w.write_record([
        "日時",
        "対象",
        "会話ID",
        "質問（個人情報はマスク済み）",
        "回答したQ&A",
        "カテゴリ",
        "結果",
        "評価",
    ])
    .map_err(anyhow::Error::from)?;
    for x in &log {
        w.write_record([
            short_datetime(x.asked_at),
            if x.audience == "staff" {
                "職員"
            } else {
                "住民"
            }
            .to_string(),
            x.conversation.chars().take(8).collect(),
            x.question.clone(),
            x.entry_id.map(|i| i.to_string()).unwrap_or_default(),
            x.category.clone(),
            if x.outcome == "answered" {
                "回答あり"
            } else {
                "回答なし"
            }
            .to_string(),
            match x.feedback {
                Some(Feedback::Resolved) => "解決した",
                Some(Feedback::Unresolved) => "解決しなかった",
                Some(Feedback::Contacted) => "問い合わせた",
                None => "",
            }
            .to_string(),
        ])
        .map_err(anyhow::Error::from)?;
    }
    let body = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"faq-log.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
