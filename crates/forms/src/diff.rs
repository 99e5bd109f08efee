//! What changed between two versions of a form, in Japanese, for the version history page.
//!
//! Parts are matched by key (the key is what answers and export columns are stored under), so a renamed label is
//! a change of the same part, while a new key is a new part. Parts inside repeating groups are compared as
//! `group.child`.

use crate::definition::{Choice, FormDefinition, Part, PartKind};
use serde_json::Value;

/// How a part changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The form's own settings (title, contact, period, capacity …).
    Settings,
    /// A part that only the newer version has.
    Added,
    /// A part that only the older version has (its answers stay in earlier submissions and exports).
    Removed,
    /// A part in both versions with different settings.
    Changed,
}

impl ChangeKind {
    /// Name in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Settings => "フォームの設定",
            ChangeKind::Added => "追加",
            ChangeKind::Removed => "削除",
            ChangeKind::Changed => "変更",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What kind.
    pub kind: ChangeKind,
    /// Part key (`group.child` inside groups); empty for settings.
    pub key: String,
    /// The part's label (the newer one when both exist).
    pub label: String,
    /// What changed, one line each, in Japanese.
    pub details: Vec<String>,
}

fn type_name(kind: &PartKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(String::from))
        .unwrap_or_default()
}

fn choices(kind: &PartKind) -> Option<&[Choice]> {
    match kind {
        PartKind::Radio { choices }
        | PartKind::Select { choices }
        | PartKind::Checkboxes { choices, .. } => Some(choices),
        _ => None,
    }
}

/// The part's settings other than key, label, help, required, condition, type and choices, as JSON (limits,
/// texts, units …), to report "その他の設定" changes without listing every field type by hand.
fn other_settings(kind: &PartKind) -> Value {
    let mut v = serde_json::to_value(kind).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        for k in ["type", "choices", "parts"] {
            o.remove(k);
        }
    }
    v
}

fn yes_no(b: bool) -> &'static str {
    if b { "必須" } else { "任意" }
}

fn part_details(old: &Part, new: &Part) -> Vec<String> {
    let mut d = Vec::new();
    if old.label != new.label {
        d.push(format!("項目名: 「{}」→「{}」", old.label, new.label));
    }
    let (ot, nt) = (type_name(&old.kind), type_name(&new.kind));
    if ot != nt {
        d.push(format!("種類: {ot} → {nt}"));
    }
    if old.required != new.required {
        d.push(format!(
            "入力: {} → {}",
            yes_no(old.required),
            yes_no(new.required)
        ));
    }
    if old.help != new.help {
        d.push("説明文を変更".into());
    }
    if old.show_if != new.show_if {
        d.push(match (&old.show_if, &new.show_if) {
            (None, Some(_)) => "表示条件を追加".into(),
            (Some(_), None) => "表示条件を削除".into(),
            _ => "表示条件を変更".into(),
        });
    }
    if let (Some(oc), Some(nc)) = (choices(&old.kind), choices(&new.kind)) {
        for c in nc {
            match oc.iter().find(|o| o.value == c.value) {
                None => d.push(format!("選択肢を追加: 「{}」", c.label)),
                Some(o) if o.label != c.label => {
                    d.push(format!("選択肢の表示名: 「{}」→「{}」", o.label, c.label))
                }
                _ => {}
            }
        }
        for o in oc {
            if !nc.iter().any(|c| c.value == o.value) {
                d.push(format!("選択肢を削除: 「{}」", o.label));
            }
        }
    }
    if ot == nt && other_settings(&old.kind) != other_settings(&new.kind) {
        d.push("制限・その他の設定を変更".into());
    }
    d
}

fn settings_details(old: &FormDefinition, new: &FormDefinition) -> Vec<String> {
    let mut d = Vec::new();
    if old.title != new.title {
        d.push(format!("タイトル: 「{}」→「{}」", old.title, new.title));
    }
    if old.description != new.description {
        d.push("説明文を変更".into());
    }
    if old.department != new.department {
        d.push(format!("担当: {} → {}", old.department, new.department));
    }
    if old.contact != new.contact {
        d.push("問い合わせ先を変更".into());
    }
    if old.translations != new.translations {
        d.push("翻訳（English・やさしい日本語）を変更".into());
    }
    if old.opens_at != new.opens_at || old.closes_at != new.closes_at {
        d.push("受付期間を変更".into());
    }
    if old.capacity != new.capacity {
        let show = |c: Option<u32>| c.map_or("なし".to_string(), |n| n.to_string());
        d.push(format!(
            "定員: {} → {}",
            show(old.capacity),
            show(new.capacity)
        ));
    }
    if old.attachments != new.attachments {
        d.push("添付ファイルの制限を変更".into());
    }
    if old.identity != new.identity {
        d.push(format!(
            "本人確認: {} → {}",
            old.identity.label(),
            new.identity.label()
        ));
    }
    d
}

/// The differences from `old` to `new`: settings first, then parts in the newer order, then removed parts.
pub fn diff(old: &FormDefinition, new: &FormDefinition) -> Vec<Change> {
    let mut changes = Vec::new();
    let settings = settings_details(old, new);
    if !settings.is_empty() {
        changes.push(Change {
            kind: ChangeKind::Settings,
            key: String::new(),
            label: String::new(),
            details: settings,
        });
    }
    let (o, n) = (old.flattened_parts(), new.flattened_parts());
    for (key, np) in &n {
        match o.iter().find(|(k, _)| k == key) {
            None => changes.push(Change {
                kind: ChangeKind::Added,
                key: key.clone(),
                label: np.label.clone(),
                details: vec![format!("種類: {}", type_name(&np.kind))],
            }),
            Some((_, op)) => {
                let details = part_details(op, np);
                if !details.is_empty() {
                    changes.push(Change {
                        kind: ChangeKind::Changed,
                        key: key.clone(),
                        label: np.label.clone(),
                        details,
                    });
                }
            }
        }
    }
    for (key, op) in &o {
        if !n.iter().any(|(k, _)| k == key) {
            changes.push(Change {
                kind: ChangeKind::Removed,
                key: key.clone(),
                label: op.label.clone(),
                details: vec!["以前の申請の回答とCSVの列は残ります".into()],
            });
        }
    }
    // Parts kept in both versions but in another order.
    let common = |a: &Vec<(String, &Part)>, b: &Vec<(String, &Part)>| -> Vec<String> {
        a.iter()
            .filter(|(k, _)| b.iter().any(|(x, _)| x == k))
            .map(|(k, _)| k.clone())
            .collect()
    };
    if common(&o, &n) != common(&n, &o) {
        changes.push(Change {
            kind: ChangeKind::Changed,
            key: String::new(),
            label: String::new(),
            details: vec!["項目の並び順を変更".into()],
        });
    }
    changes
}
