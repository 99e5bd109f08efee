//! Periodic clean-up of personal data that has served its purpose: expired drafts, uploads that never became
//! part of a submission, used or expired sign-in and resume links, expired staff and applicant sessions and
//! unfinished OpenID Connect flows, used or expired claim codes. How long each is kept is `[retention]` in the configuration.
//!
//! The job worker of every instance runs the sweep ([`run_periodically`]); that is safe on several instances
//! at once, as every step is an idempotent delete (an attachment's row is deleted before its object, and only
//! the instance whose delete removed the row deletes the object).

use madoguchi_kernel::{Ctx, now_ms};
use sqlx::Row;

/// What a sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired drafts deleted.
    pub drafts: u64,
    /// Orphaned attachments deleted (row and stored object).
    pub attachments: u64,
    /// Used or expired one-time mail links deleted.
    pub mail_links: u64,
    /// Expired staff and applicant sessions deleted.
    pub sessions: u64,
    /// Expired OpenID Connect flows deleted.
    pub oidc_flows: u64,
    /// Used or expired claim codes (adding an application by receipt number) deleted.
    pub claim_codes: u64,
    /// Ended rate-limit windows deleted (they hold client addresses and login ids).
    pub rate_limit_windows: u64,
}

/// The sign-in rate limit counts the links of the last quarter of an hour: a link is kept at least that long.
const MIN_MAIL_LINK_MS: i64 = 15 * 60_000;

/// Deletes what `[retention]` says has been kept long enough: expired drafts, then attachments that belong to
/// no submission and no live draft, then used or expired links, expired sessions and OpenID Connect flows.
pub async fn sweep(ctx: &Ctx) -> anyhow::Result<Swept> {
    let now = now_ms();
    let r = &ctx.config.retention;
    let hours = |h: i64| h.max(0).saturating_mul(3_600_000);
    let delete = |sql: &'static str, before: i64| async move {
        Ok::<u64, sqlx::Error>(
            sqlx::query(sql)
                .bind(before)
                .execute(&ctx.db.write)
                .await?
                .rows_affected(),
        )
    };
    let drafts = delete(
        "DELETE FROM drafts WHERE expires_at <= $1",
        now - hours(r.expired_draft_hours),
    )
    .await?;
    let mail_links = sqlx::query(
        "DELETE FROM mail_links WHERE created_at <= $1 AND (used_at IS NOT NULL OR expires_at <= $2)",
    )
    .bind(now - hours(r.mail_link_hours).max(MIN_MAIL_LINK_MS))
    .bind(now)
    .execute(&ctx.db.write)
    .await?
    .rows_affected();
    let session_cutoff = now - hours(r.expired_session_hours);
    let sessions = delete(
        "DELETE FROM applicant_sessions WHERE expires_at <= $1",
        session_cutoff,
    )
    .await?
        + delete(
            "DELETE FROM sessions WHERE expires_at <= $1",
            session_cutoff,
        )
        .await?;
    let oidc_flows = delete(
        "DELETE FROM oidc_flows WHERE expires_at <= $1",
        now - hours(r.expired_oidc_flow_hours),
    )
    .await?;
    // Kept as long as sign-in links: they prove nothing once used or expired.
    let claim_codes = sqlx::query(
        "DELETE FROM applicant_claim_codes WHERE created_at <= $1 AND (used_at IS NOT NULL OR expires_at <= $2)",
    )
    .bind(now - hours(r.mail_link_hours).max(MIN_MAIL_LINK_MS))
    .bind(now)
    .execute(&ctx.db.write)
    .await?
    .rows_affected();
    let attachments =
        sweep_orphaned_uploads(ctx, now - hours(r.orphaned_upload_hours), now).await?;
    let rate_limit_windows = madoguchi_kernel::ratelimit::sweep(&ctx.db).await?;
    Ok(Swept {
        drafts,
        attachments,
        mail_links,
        sessions,
        oidc_flows,
        claim_codes,
        rate_limit_windows,
    })
}

/// Deletes attachments uploaded before `cutoff` that belong to no submission and no live draft (row, then the
/// stored object), at most 1,000 a sweep.
async fn sweep_orphaned_uploads(ctx: &Ctx, cutoff: i64, now: i64) -> anyhow::Result<u64> {
    let rows = sqlx::query(
        "SELECT a.id FROM attachments a WHERE a.submission_id IS NULL AND a.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.expires_at > $2 AND d.raw_input LIKE '%' || a.id || '%')
         LIMIT 1000",
    )
    .bind(cutoff)
    .bind(now)
    .fetch_all(&ctx.db.read)
    .await?;
    let mut attachments = 0;
    for r in rows {
        let id: String = r.try_get("id")?;
        // The row goes first: an object without a row is harmless, a row without its object is not.
        let n = sqlx::query("DELETE FROM attachments WHERE id = $1 AND submission_id IS NULL")
            .bind(&id)
            .execute(&ctx.db.write)
            .await?
            .rows_affected();
        if n == 1 {
            ctx.storage.delete(&format!("attachments/{id}")).await?;
            attachments += 1;
        }
    }
    Ok(attachments)
}

/// Runs [`sweep`] at once and then every `[retention] sweep_interval_seconds`, for as long as the process
/// lives; started with the job worker.
pub async fn run_periodically(ctx: Ctx) {
    let every = std::time::Duration::from_secs(ctx.config.retention.sweep_interval_seconds.max(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&ctx).await {
            Ok(s) if s != Swept::default() => {
                tracing::info!(?s, "swept personal data past its retention")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "sweep failed"),
        }
    }
}
