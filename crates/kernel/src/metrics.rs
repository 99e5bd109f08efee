//! Prometheus metrics (`/metrics`, issue 16): what an operator watches on each instance — requests by route
//! template and their latency, the job queue (depth and age, failures), mail sent or failed, submissions
//! accepted by channel, and the database pools. Counted in this process (each instance is scraped on its
//! own); the queue figures are read from the shared database when scraped, so every instance reports the same.
//!
//! One registry for the process ([`METRICS`]), as the Prometheus client libraries intend: counters are bumped
//! where things happen (the HTTP middleware, `jobs::fail`, `Mailer::send_all`, the submission writer) without
//! handing a context around.

use crate::db::{Db, now_ms};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;

/// A request, by its route template (`/t/{code}/forms/{slug}`, never the values in it) and status class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The route template, or `unmatched`.
    pub route: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`.
    pub status: String,
}

/// A request's latency, by route template.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The route template, or `unmatched`.
    pub route: String,
}

/// A job kind (`send_mail`, `issue_document`, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The job's kind.
    pub kind: String,
}

/// A job failure: its kind and whether it was given up (`true`) or will be retried.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// The job's kind.
    pub kind: String,
    /// `true` when no attempt is left.
    pub given_up: String,
}

/// A channel a submission came through (`web`, `api`, `correction`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    /// The channel.
    pub channel: String,
}

/// A mail outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `sent` or `failed`.
    pub outcome: String,
}

/// A database pool (`read` or `write`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// Which pool.
    pub pool: String,
    /// `open` (connections held) or `idle`.
    pub state: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    /// Requests answered.
    pub requests: Family<RequestLabels, Counter>,
    /// Seconds from a request's arrival to its response's headers.
    pub request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Job attempts that failed.
    pub job_failures: Family<FailureLabels, Counter>,
    /// Jobs waiting or running, by kind (read from the database when scraped).
    pub jobs_queued: Family<KindLabels, Gauge>,
    /// Age in seconds of the oldest due job not yet done, by kind (read when scraped).
    pub jobs_oldest_due_seconds: Family<KindLabels, Gauge>,
    /// Jobs given up for good (read when scraped).
    pub jobs_given_up: Gauge,
    /// Mails handed to the mail server (or the mail directory), and mails that could not be.
    pub mails: Family<OutcomeLabels, Counter>,
    /// Submissions stored, by channel.
    pub submissions_accepted: Family<ChannelLabels, Counter>,
    /// Database connections, by pool and state (read when scraped).
    pub db_connections: Family<PoolLabels, Gauge>,
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("madoguchi");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            requests.clone(),
        );
        let request_seconds =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response headers), by method and route template",
            request_seconds.clone(),
        );
        let job_failures = Family::<FailureLabels, Counter>::default();
        registry.register(
            "job_failures",
            "Job attempts that failed, by kind and whether the job was given up",
            job_failures.clone(),
        );
        let jobs_queued = Family::<KindLabels, Gauge>::default();
        registry.register(
            "jobs_queued",
            "Jobs waiting, retrying or running, by kind (shared by every instance)",
            jobs_queued.clone(),
        );
        let jobs_oldest_due_seconds = Family::<KindLabels, Gauge>::default();
        registry.register(
            "jobs_oldest_due_seconds",
            "Age of the oldest job that is due and not done, by kind",
            jobs_oldest_due_seconds.clone(),
        );
        let jobs_given_up = Gauge::default();
        registry.register(
            "jobs_given_up",
            "Jobs that failed every attempt and wait for an operator",
            jobs_given_up.clone(),
        );
        let mails = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "mails",
            "Mails sent, or that could not be sent (they are retried by their job)",
            mails.clone(),
        );
        let submissions_accepted = Family::<ChannelLabels, Counter>::default();
        registry.register(
            "submissions_accepted",
            "Applications stored, by channel (web, api, correction)",
            submissions_accepted.clone(),
        );
        let db_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections held by this instance, by pool and state (open, idle)",
            db_connections.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            job_failures,
            jobs_queued,
            jobs_oldest_due_seconds,
            jobs_given_up,
            mails,
            submissions_accepted,
            db_connections,
        }
    }

    /// Counts an answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: class.to_string(),
            })
            .inc();
        self.request_seconds
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Counts a failed job attempt.
    pub fn job_failed(&self, kind: &str, given_up: bool) {
        self.job_failures
            .get_or_create(&FailureLabels {
                kind: kind.to_string(),
                given_up: given_up.to_string(),
            })
            .inc();
    }

    /// Counts mails sent and mails that could not be.
    pub fn mails_sent(&self, sent: usize, failed: usize) {
        for (outcome, n) in [("sent", sent), ("failed", failed)] {
            if n > 0 {
                self.mails
                    .get_or_create(&OutcomeLabels {
                        outcome: outcome.to_string(),
                    })
                    .inc_by(n as u64);
            }
        }
    }

    /// Counts a stored submission.
    pub fn submission_accepted(&self, channel: &str) {
        self.submissions_accepted
            .get_or_create(&ChannelLabels {
                channel: channel.to_string(),
            })
            .inc();
    }

    /// The text exposition of every metric, after reading the queue and the pools from `db`.
    pub async fn render(&self, db: &Db) -> Result<String, sqlx::Error> {
        let now = now_ms();
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT kind, COUNT(*), MIN(CASE WHEN run_at <= $1 THEN created_at END)
             FROM jobs WHERE failed_at IS NULL GROUP BY kind",
        )
        .bind(now)
        .fetch_all(&db.read)
        .await?;
        // Kinds that emptied since the last scrape report 0 rather than their last value.
        self.jobs_queued.clear();
        self.jobs_oldest_due_seconds.clear();
        for (kind, queued, oldest_due) in rows {
            let labels = KindLabels { kind };
            self.jobs_queued.get_or_create(&labels).set(queued);
            let age = oldest_due.map_or(0, |created| (now - created).max(0) / 1000);
            self.jobs_oldest_due_seconds.get_or_create(&labels).set(age);
        }
        let given_up: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NOT NULL")
                .fetch_one(&db.read)
                .await?;
        self.jobs_given_up.set(given_up);
        for (pool, p) in [("read", &db.read), ("write", &db.write)] {
            for (state, n) in [("open", p.size()), ("idle", p.num_idle() as u32)] {
                self.db_connections
                    .get_or_create(&PoolLabels {
                        pool: pool.to_string(),
                        state: state.to_string(),
                    })
                    .set(i64::from(n));
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        Ok(out)
    }
}
