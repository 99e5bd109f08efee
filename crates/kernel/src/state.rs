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
}

impl Ctx {
    /// Builds the context from configuration: connects, migrates, opens storage.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = Db::connect(&config.database_url).await?;
        let storage = Storage::local(&config.data_dir.join("objects"))?;
        let mailer = Mailer::from_config(&config.mail, &config.data_dir)?;
        Ok(Self {
            db,
            storage,
            mailer,
            config: Arc::new(config),
            jobs_wake: Arc::new(Notify::new()),
        })
    }
}
