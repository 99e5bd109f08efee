//! Periodic clean-up: expired drafts, uploads that never became part of a submission, and expired sign-in
//! links, applicant sessions and OpenID Connect flows.
//!
//! Safe to run on several instances at once (every step is an idempotent delete).

use madoguchi_kernel::{Ctx, now_ms};
use sqlx::Row;

/// What a sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired drafts deleted.
    pub drafts: u64,
    /// Orphaned attachments deleted (row and stored object).
    pub attachments: u64,
}

/// Deletes expired drafts, then attachments that belong to no submission and no live draft and are older
/// than a draft's lifetime.
pub async fn sweep(ctx: &Ctx) -> anyhow::Result<Swept> {
    let now = now_ms();
    let drafts = sqlx::query("DELETE FROM drafts WHERE expires_at <= $1")
        .bind(now)
        .execute(&ctx.db.write)
        .await?
        .rows_affected();
    // Sign-in material past its use: one-time links, applicant sessions, unfinished OpenID Connect flows.
    for sql in [
        "DELETE FROM mail_links WHERE expires_at <= $1",
        "DELETE FROM applicant_sessions WHERE expires_at <= $1",
        "DELETE FROM oidc_flows WHERE expires_at <= $1",
    ] {
        sqlx::query(sql).bind(now).execute(&ctx.db.write).await?;
    }
    let cutoff = now - ctx.config.draft_hours * 3_600_000;
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
    Ok(Swept {
        drafts,
        attachments,
    })
}

/// Runs [`sweep`] every ten minutes.
pub async fn run_periodically(ctx: Ctx) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match sweep(&ctx).await {
            Ok(s) if s != Swept::default() => {
                tracing::info!(?s, "swept expired drafts and orphaned uploads")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "sweep failed"),
        }
    }
}
