//! The audit log: who did or saw what, and when. Every view of a submission's personal data is recorded.

use crate::db::{Db, now_ms};
use crate::staff::StaffScope;

/// Declares [`Action`]: each variant with the name stored in `audit_log.action` and the label staff read.
macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $stored:literal => $label:literal,)*) => {
        /// What was done or seen. Every action the code writes is a variant, so none can be written without
        /// its Japanese label (issue 24: the log showed "download").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $variant,)*
        }

        impl Action {
            /// Every action, in the order declared.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name stored in `audit_log.action`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$variant => $stored,)*
                }
            }

            /// The action a stored name stands for.
            pub fn parse(stored: &str) -> Option<Action> {
                match stored {
                    $($stored => Some(Action::$variant),)*
                    _ => None,
                }
            }

            /// What staff read in the log, in Japanese.
            pub fn label(self) -> &'static str {
                match self {
                    $(Action::$variant => $label,)*
                }
            }
        }
    };
}

actions! {
    /// A resident added an application sent earlier to their my page (by the sign-in address or by receipt
    /// number and a mailed code).
    ApplicantClaim = "applicant_claim" => "申請のマイページへの追加（申請者）",
    /// A staff member signed in.
    Login = "login" => "ログイン",
    /// A wrong login id or password.
    LoginFailed = "login_failed" => "ログイン失敗",
    /// Too many failures: logins are refused for a while.
    LoginLocked = "login_locked" => "ログインの一時停止",
    /// The inbox was listed (it shows applicants' names).
    List = "list" => "受付一覧の表示",
    /// A submission was opened.
    View = "view" => "閲覧",
    /// A submission's status changed.
    Status = "status" => "状態の変更",
    /// A message to the applicant.
    Message = "message" => "申請者へのメッセージ",
    /// An attachment or an issued document was downloaded.
    Download = "download" => "ダウンロード",
    /// Submissions were exported as CSV.
    Export = "export" => "CSV出力",
    /// A form was published from the builder.
    PublishForm = "publish_form" => "フォームの公開",
    /// A form was shared as a template.
    ShareTemplate = "share_template" => "テンプレートとして共有",
    /// A form was made from a shared template.
    UseTemplate = "use_template" => "テンプレートの利用",
    /// A department was added.
    DepartmentAdd = "department_add" => "所属の追加",
    /// A staff account was added.
    StaffAdd = "staff_add" => "職員の追加",
    /// A new staff account's login id was refused as taken.
    StaffLoginRefused = "staff_login_refused" => "使用済みログインIDの拒否",
    /// A document was issued.
    Issue = "issue" => "文書の交付",
    /// A document was issued again, superseding the earlier one.
    Reissue = "reissue" => "文書の再交付",
    /// An issued document was revoked.
    Revoke = "revoke" => "文書の取消し",
    /// The issuance fee was confirmed as paid.
    FeeSettled = "fee_settled" => "手数料の納付確認",
    /// Several approved submissions were issued at once.
    IssueBatch = "issue_batch" => "まとめて交付",
    /// A form's document template was saved.
    IssuanceTemplate = "issuance_template" => "交付文書テンプレートの保存",
    /// The 見本 PDF of a submission was opened.
    IssuancePreview = "issuance_preview" => "見本PDFの表示",
    /// A Q&A was published to the shared pool.
    FaqPublish = "faq_publish" => "FAQの共有公開",
    /// The synonym dictionary was changed.
    FaqSynonyms = "faq_synonyms" => "FAQ同義語辞書の更新",
    /// Q&As were exported.
    FaqExport = "faq_export" => "FAQの書き出し",
    /// Q&As were imported.
    FaqImport = "faq_import" => "FAQの取り込み",
    /// The question log was exported.
    FaqLogExport = "faq_log_export" => "FAQ質問ログの出力",
    /// An open data set was created.
    OpendataCreate = "opendata.create" => "オープンデータ: データセットの作成",
    /// An open data set was changed.
    OpendataUpdate = "opendata.update" => "オープンデータ: データセットの更新",
    /// An open data set was deleted.
    OpendataDelete = "opendata.delete" => "オープンデータ: データセットの削除",
    /// A file was added to a data set.
    OpendataUpload = "opendata.upload" => "オープンデータ: ファイルの登録",
    /// A file with warnings was published after review.
    OpendataPublish = "opendata.publish" => "オープンデータ: ファイルの公開",
    /// A file was removed from a data set.
    OpendataDeleteResource = "opendata.delete_resource" => "オープンデータ: ファイルの削除",
    /// An API token was issued.
    OpendataToken = "opendata.token" => "オープンデータ: APIトークンの発行",
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A subject as staff read it: `submission:42` → `申請 42`, `login:pref-admin` → `ログインID pref-admin`; an
/// unknown kind is shown as stored.
pub fn subject_label(subject: &str) -> String {
    const KINDS: [(&str, &str); 12] = [
        ("submission", "申請"),
        ("form", "フォーム"),
        ("template", "テンプレート"),
        ("department", "所属"),
        ("staff", "職員"),
        ("login", "ログインID"),
        ("dataset", "データセット"),
        ("resource", "ファイル"),
        ("faq", "FAQ"),
        ("issuance_batch", "一括交付"),
        ("inbox", "受付一覧"),
        ("api_token", "APIトークン"),
    ];
    let (kind, rest) = subject.split_once(':').unwrap_or((subject, ""));
    match KINDS.iter().find(|(k, _)| *k == kind) {
        Some((_, label)) if rest.is_empty() => label.to_string(),
        Some((_, label)) => format!("{label} {rest}"),
        None => subject.to_string(),
    }
}

/// The label of a stored action name; a name no longer written (from an older release) is shown as stored.
pub fn label_of(stored: &str) -> &str {
    match Action::parse(stored) {
        Some(a) => a.label(),
        None => stored,
    }
}

/// Records an action by a staff member on a subject (`submission:42`).
pub async fn record(
    db: &Db,
    who: &StaffScope,
    action: Action,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(who.tenant_id)
        .bind(who.staff_id)
        .bind(action.as_str())
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records an event without a signed-in staff member, such as a failed or locked staff login: `staff_id` and
/// `tenant_id` name the account concerned when it exists.
pub async fn record_unauthenticated(
    db: &Db,
    tenant_id: Option<i64>,
    staff_id: Option<i64>,
    action: Action,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(tenant_id)
        .bind(staff_id)
        .bind(action.as_str())
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records an action by a signed-in applicant (no staff member) inside the transaction that makes the change,
/// so the entry exists exactly when the change does: `tenant_id` is the tenant of the subject, `detail` names
/// the applicant (`applicant:7 …`).
pub async fn record_applicant_in(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    action: Action,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, NULL, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(action.as_str())
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One audit entry, for display.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Staff name.
    pub staff_name: String,
    /// Action as stored (`view`, `status`, `export` …); [`label_of`] gives its Japanese label.
    pub action: String,
    /// Detail text.
    pub detail: String,
    /// When (epoch ms).
    pub at: i64,
}

/// The audit entries of a subject in the caller's tenant, oldest first.
pub async fn for_subject(
    db: &Db,
    scope: &StaffScope,
    subject: &str,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT s.name, a.action, a.detail, a.at FROM audit_log a JOIN staff s ON s.id = a.staff_id
         WHERE a.tenant_id = $1 AND a.subject = $2 ORDER BY a.id",
    )
    .bind(scope.tenant_id)
    .bind(subject)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                staff_name: r.try_get("name")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// One entry of a tenant's log, for its administrator.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Staff name; empty when nobody was signed in (a failed login).
    pub staff_name: String,
    /// Action as stored.
    pub action: String,
    /// Subject (`submission:42`, `form:3`, `login:…`).
    pub subject: String,
    /// Detail text.
    pub detail: String,
    /// When (epoch ms).
    pub at: i64,
}

/// The latest `limit` entries of the caller's tenant, newest first.
pub async fn recent(db: &Db, scope: &StaffScope, limit: i64) -> Result<Vec<LogEntry>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT COALESCE(s.name, '') AS name, a.action, a.subject, a.detail, a.at
         FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id
         WHERE a.tenant_id = $1 ORDER BY a.id DESC LIMIT $2",
    )
    .bind(scope.tenant_id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LogEntry {
                staff_name: r.try_get("name")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_has_a_japanese_label() {
        let mut stored = std::collections::HashSet::new();
        for a in Action::ALL {
            assert!(stored.insert(a.as_str()), "{} declared twice", a.as_str());
            assert_eq!(Action::parse(a.as_str()), Some(*a));
            assert!(
                !a.label().is_ascii(),
                "{} has no Japanese label",
                a.as_str()
            );
        }
        assert_eq!(label_of("download"), "ダウンロード");
        assert_eq!(label_of("retired_action"), "retired_action");
        assert_eq!(subject_label("submission:42"), "申請 42");
        assert_eq!(subject_label("login:pref-admin"), "ログインID pref-admin");
        assert_eq!(subject_label("inbox"), "受付一覧");
        assert_eq!(subject_label("other:1"), "other:1");
    }
}
