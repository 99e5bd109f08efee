//! Shared machinery: configuration, database, errors, tenants, staff and sessions, jobs, mail, audit log,
//! storage. Capabilities (applications, …) build on it; it knows nothing of them.

pub mod applicants;
pub mod audit;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod ratelimit;
pub mod safe_url;
pub mod spreadsheet;
pub mod staff;
pub mod state;
pub mod storage;
pub mod tenants;
pub mod time;
pub mod web;

pub use applicants::Applicant;
pub use config::Config;
pub use db::{Backend, Db, now_ms};
pub use error::{ApiError, AppError, AppResult};
pub use madoguchi_japanese::lang::Lang;
pub use staff::{Role, StaffScope};
pub use state::Ctx;
