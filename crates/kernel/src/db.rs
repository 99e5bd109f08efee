//! The database: one code path for SQLite (embedded default) and PostgreSQL (production).
//!
//! Queries are written once with `$1` placeholders, which both drivers accept, through `sqlx`'s `Any` driver.
//! Values are restricted to what both share: integers (`BIGINT`), text, floats. Times are epoch milliseconds.
//! SQLite allows one writer at a time, so writes go through a one-connection pool there, which avoids
//! `SQLITE_BUSY` upgrades inside this process; PostgreSQL uses one pool for both.

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Which database a [`Db`] talks to; used only where SQL must differ (job claiming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Connection pools for reads and writes.
#[derive(Clone, Debug)]
pub struct Db {
    /// Pool for reads (and writes on PostgreSQL).
    pub read: AnyPool,
    /// Pool for writes: the same as `read` on PostgreSQL, a single connection on SQLite.
    pub write: AnyPool,
    /// The database kind.
    pub backend: Backend,
    /// Unique within this process for each [`Db::connect`], so process-wide caches can tell databases apart
    /// (tests open many in one process; a pool's address may be reused after it is dropped, this never is).
    pub instance: u64,
}

static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_instance() -> u64 {
    INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The migrations of this binary. A database that a newer release has already migrated further is accepted
/// (`ignore_missing`): during a rolling upgrade the instances of the previous release keep starting against the
/// expanded schema. That is safe because migrations only expand (new tables, new nullable or defaulted
/// columns); a step that removes or changes something ships as a separate `*_contract.sql` migration a release
/// later, once no instance of the release before reads it (ADR 0032, checked by `tests/it/rolling_upgrade.rs`).
static MIGRATE_SQLITE: std::sync::LazyLock<sqlx::migrate::Migrator> =
    std::sync::LazyLock::new(|| {
        let mut m = sqlx::migrate!("./migrations/sqlite");
        m.set_ignore_missing(true);
        m
    });
static MIGRATE_POSTGRES: std::sync::LazyLock<sqlx::migrate::Migrator> =
    std::sync::LazyLock::new(|| {
        let mut m = sqlx::migrate!("./migrations/postgres");
        m.set_ignore_missing(true);
        m
    });

impl Db {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        install_default_drivers();
        let db = if url.starts_with("sqlite:") {
            let options = || {
                AnyPoolOptions::new().after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer; FULL keeps an acknowledged receipt after power loss.
                        conn.execute(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                        )
                        .await?;
                        Ok(())
                    })
                })
            };
            let write = options()
                .max_connections(1)
                .connect(url)
                .await
                .with_context(|| format!("opening SQLite database {url}"))?;
            let read = options().max_connections(8).connect(url).await?;
            Db {
                read,
                write,
                backend: Backend::Sqlite,
                instance: next_instance(),
            }
        } else {
            let pool = AnyPoolOptions::new()
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // A safety net: a transaction left open by a bug cannot hold its locks for ever.
                        conn.execute("SET idle_in_transaction_session_timeout = '30s'")
                            .await?;
                        Ok(())
                    })
                })
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .with_context(|| format!("connecting to {}", redact(url)))?;
            Db {
                read: pool.clone(),
                write: pool,
                backend: Backend::Postgres,
                instance: next_instance(),
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => MIGRATE_SQLITE.run(&self.write).await,
            Backend::Postgres => MIGRATE_POSTGRES.run(&self.write).await,
        }
        .context("running database migrations")
    }

    /// How many of this binary's migrations the database has not applied (0 when current; a database that
    /// a newer release already migrated further is current for this one too — migrations only expand).
    pub async fn pending_migrations(&self) -> Result<usize, sqlx::Error> {
        use sqlx::Row;
        let migrator: &sqlx::migrate::Migrator = match self.backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        let applied: std::collections::HashSet<i64> =
            sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>("version"))
                .collect::<Result<_, _>>()?;
        Ok(migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
            .count())
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Hides a password in a connection URL for logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs a database unit of work to completion on its own task, even if the request that started it is
/// cancelled (the client went away): a dropped future must never leave a transaction half-done on a
/// pooled connection.
pub async fn run_to_completion<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    match tokio::spawn(work).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
