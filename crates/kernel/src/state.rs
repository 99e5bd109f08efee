//! The shared context every capability's handlers receive.

use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::storage::Storage;
use std::sync::Arc;
use tokio::sync::Notify;

/// Database, storage, mail and configuration, cheap to clone.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The database.
    pub db: Db,
    /// File storage.
    pub storage: Storage,
    /// Outgoing mail.
    pub mailer: Mailer,
    /// Configuration.
    pub config: Arc<Config>,
    /// Wakes the job worker when a job is queued.
    pub jobs_wake: Arc<Notify>,
    /// Turns true when the process begins to shut down (SIGTERM): `/readyz` answers 503 so the load balancer
    /// stops sending, the serving loop stops accepting, the job worker claims nothing more.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Ctx {
    /// Builds the context from configuration: connects, migrates, opens storage and checks that it can be
    /// written (a bad `storage_url` or an unreachable store stops the start with a message naming it).
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = Db::connect(&config.database_url).await?;
        let storage = Storage::open(&config.storage_url, &config.data_dir, &config.s3)?;
        storage.check_writable().await?;
        let mailer = Mailer::from_config(&config.mail, &config.data_dir)?;
        Ok(Self {
            db,
            storage,
            mailer,
            config: Arc::new(config),
            jobs_wake: Arc::new(Notify::new()),
            shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
        })
    }

    /// Starts the graceful shutdown of this process (see [`Ctx::shutdown`]).
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Whether this process is shutting down.
    pub fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}
