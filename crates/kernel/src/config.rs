//! Configuration: a TOML file, overridden by environment variables and command-line flags (see `--help`).

use serde::Deserialize;
use std::path::PathBuf;

/// Everything the server needs to know about its installation.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// `sqlite://data/madoguchi.sqlite?mode=rwc` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// Directory for local files: mail sink, postal data, and the object store when `storage_url` is empty.
    pub data_dir: PathBuf,
    /// Where attachments, issued documents and open data files are stored: `file:///var/lib/madoguchi/objects`
    /// (a local directory; empty means `data_dir/objects`) or `s3://bucket/prefix` (S3-compatible, shared by
    /// every instance; see `[s3]`). ADR 0026.
    pub storage_url: String,
    /// The S3-compatible store of an `s3://` `storage_url` (`[s3]`); empty values come from `AWS_*`.
    pub s3: S3Config,
    /// The URL residents use, for links in mail and QR codes; HTTPS turns on `Secure` cookies.
    pub public_url: String,
    /// Mail settings.
    pub mail: MailConfig,
    /// Staff session lifetime in minutes.
    pub session_minutes: i64,
    /// How long an unfinished form (draft) is kept, in hours.
    pub draft_hours: i64,
    /// Run the background job worker in this process.
    pub run_worker: bool,
    /// Seconds a claimed job stays with its worker before another instance may take it (the worker extends
    /// it every fifth of that while the job runs); an instance that dies loses its jobs after this.
    pub job_lease_secs: u64,
    /// Electronic issuance: seal key, certificates, timestamp authority, fonts.
    pub issuance: IssuanceConfig,
    /// OpenID Connect providers applicants may sign in with (`[[oidc]]` tables).
    pub oidc: Vec<OidcProviderConfig>,
    /// The serving loop: timeouts and where the client address comes from (`[http]`).
    pub http: HttpConfig,
    /// Limits per client address and per target on public actions and staff login (`[rate_limits]`).
    pub rate_limits: RateLimitConfig,
    /// How long personal data that has served its purpose is kept before the periodic sweep deletes it.
    pub retention: RetentionConfig,
    /// The open data catalog's harvester (`[opendata]`).
    pub opendata: OpendataConfig,
}

/// The open data catalog (`[opendata]`): bounds of the harvester that fetches other catalogs (ADR 0034).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpendataConfig {
    /// Let harvest sources point at loopback, private and link-local addresses. Off in production: a staff
    /// member could otherwise make the server fetch internal services (SSRF). Tests and benchmarks turn it on.
    pub harvest_allow_private_addresses: bool,
    /// Seconds one request to a harvest source may take, connection and body included.
    pub harvest_timeout_secs: u64,
    /// Bytes one answer of a harvest source may have (a page of `package_search`, a Turtle feed).
    pub harvest_max_bytes: u64,
}

impl Default for OpendataConfig {
    fn default() -> Self {
        OpendataConfig {
            harvest_allow_private_addresses: false,
            harvest_timeout_secs: 60,
            harvest_max_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The S3-compatible object store (`[s3]`). Every value left empty is read by the `object_store` crate from
/// the standard environment variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, `AWS_ALLOW_HTTP`) or
/// the instance role; secrets are better kept there than in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint of an S3-compatible service (`https://s3.example.lg.jp`); empty: AWS.
    pub endpoint: String,
    /// Region (`ap-northeast-1`).
    pub region: String,
    /// Path-style requests (`endpoint/bucket/key`), which most S3-compatible services need; unset: the
    /// environment, else virtual-hosted style.
    pub path_style: Option<bool>,
    /// Allow plain HTTP (tests, a store on the same host); implied by an `http://` endpoint.
    pub allow_http: bool,
    /// Access key id (prefer `AWS_ACCESS_KEY_ID` or the instance role).
    pub access_key_id: String,
    /// Secret access key (prefer `AWS_SECRET_ACCESS_KEY` or the instance role).
    pub secret_access_key: String,
    /// Seconds to wait for a connection to the store.
    pub connect_timeout_secs: u64,
    /// Seconds one request to the store may take (a 5 MiB part of a multipart upload included).
    pub request_timeout_secs: u64,
    /// Retries of a failed request.
    pub max_retries: usize,
    /// Seconds after which a request is not retried any more.
    pub retry_timeout_secs: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            region: String::new(),
            path_style: None,
            allow_http: false,
            access_key_id: String::new(),
            secret_access_key: String::new(),
            connect_timeout_secs: 5,
            request_timeout_secs: 60,
            max_retries: 2,
            retry_timeout_secs: 15,
        }
    }
}

/// Retention (`[retention]`): how long personal data that has served its purpose is kept. The job worker of
/// every instance sweeps every `sweep_interval_seconds` (each step is an idempotent delete, so instances may
/// sweep at the same time).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Seconds between sweeps.
    pub sweep_interval_seconds: u64,
    /// Hours an unfinished form (draft) is kept after it expired (its lifetime is `draft_hours`).
    pub expired_draft_hours: i64,
    /// Hours after upload that a file belonging to no submission and no live draft is deleted (row and object).
    pub orphaned_upload_hours: i64,
    /// Hours after it was sent that a used or expired sign-in or resume link is deleted (never sooner than the
    /// sign-in rate-limit window, which counts recent links).
    pub mail_link_hours: i64,
    /// Hours an expired staff or applicant session is kept.
    pub expired_session_hours: i64,
    /// Hours an expired, unfinished OpenID Connect sign-in (state, nonce, PKCE verifier) is kept.
    pub expired_oidc_flow_hours: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            sweep_interval_seconds: 600,
            expired_draft_hours: 0,
            orphaned_upload_hours: 72,
            mail_link_hours: 24,
            expired_session_hours: 0,
            expired_oidc_flow_hours: 0,
        }
    }
}

/// Electronic issuance (電子交付) settings: where the seal key is, which certificates go with it, the
/// timestamp authority and fonts. The default is a development key made under the data directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IssuanceConfig {
    /// `"pkcs11"` (HSM or IC card) or `"development"` (a key file made under `data_dir/issuance/dev`; for
    /// development only).
    pub key: String,
    /// The organisation named in development certificates.
    pub organisation: String,
    /// PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub pkcs11_module: PathBuf,
    /// Token label.
    pub pkcs11_token: String,
    /// User PIN (or the environment variable `MADOGUCHI_PKCS11_PIN`).
    pub pkcs11_pin: String,
    /// Label of the private key in the token.
    pub pkcs11_key_label: String,
    /// PEM file: the seal certificate, then intermediates (with `key = "pkcs11"`).
    pub certificate: PathBuf,
    /// PEM file of the roots trusted when verifying documents (the seal's and the TSA's).
    pub trust_roots: PathBuf,
    /// RFC 3161 TSA URL; empty uses the built-in TSA (development and tests).
    pub tsa_url: String,
    /// Key file of the built-in TSA (empty: the development one).
    pub tsa_key: PathBuf,
    /// Certificate of the built-in TSA.
    pub tsa_certificate: PathBuf,
    /// Font files tried first (IPAmj明朝, Noto CJK …); see `madoguchi_issuance::fonts`.
    pub font_paths: Vec<PathBuf>,
}

impl Default for IssuanceConfig {
    fn default() -> Self {
        Self {
            key: "development".into(),
            organisation: "madoguchi".into(),
            pkcs11_module: PathBuf::new(),
            pkcs11_token: String::new(),
            pkcs11_pin: String::new(),
            pkcs11_key_label: "seal".into(),
            certificate: PathBuf::new(),
            trust_roots: PathBuf::new(),
            tsa_url: String::new(),
            tsa_key: PathBuf::new(),
            tsa_certificate: PathBuf::new(),
            font_paths: Vec::new(),
        }
    }
}

/// One OpenID Connect provider for applicants: the authorization-code flow with PKCE S256, `state`, `nonce`
/// and `private_key_jwt` client authentication, as the デジタル認証アプリ (マイナンバーカード) and GビズID use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// Short id used in URLs (`mynumber`, `gbiz`).
    pub id: String,
    /// Button label (マイナンバーカードでログイン).
    pub label: String,
    /// Issuer URL; its discovery document is read from `/.well-known/openid-configuration`.
    pub issuer: String,
    /// Client id registered with the provider.
    pub client_id: String,
    /// PEM file of the RSA private key that signs client assertions (`private_key_jwt`).
    pub private_key_pem: PathBuf,
    /// Key id (`kid`) of that key as registered with the provider.
    #[serde(default)]
    pub key_id: String,
    /// Scopes besides `openid` (the デジタル認証アプリ: `name address birthdate gender`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Identity level the provider vouches for: `verified` locks the name and address on forms.
    #[serde(default)]
    pub level: String,
}

/// How mail leaves the system.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Sender address.
    pub from: String,
    /// SMTP relay as `smtp://host:port`; when empty, mail is appended to a daily mbox file under `data_dir/mail`.
    pub smtp_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "madoguchi@example.lg.jp".into(),
            smtp_url: String::new(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/madoguchi.sqlite?mode=rwc".into(),
            data_dir: PathBuf::from("data"),
            storage_url: String::new(),
            s3: S3Config::default(),
            public_url: "http://127.0.0.1:8080".into(),
            mail: MailConfig::default(),
            session_minutes: 8 * 60,
            draft_hours: 72,
            run_worker: true,
            job_lease_secs: 300,
            issuance: IssuanceConfig::default(),
            oidc: Vec::new(),
            retention: RetentionConfig::default(),
            http: HttpConfig::default(),
            rate_limits: RateLimitConfig::default(),
            opendata: OpendataConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file; missing keys keep their defaults.
    pub fn from_toml_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(toml::from_str(&text)?)
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The front door (`[http]`): how long a connection may take to send its request, and which peers are proxies
/// whose forwarded-for header names the real client.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's whole header block. HTTP/1.1 keep-alive connections waiting
    /// for their next request are on the same clock, so an idle keep-alive connection closes after it too.
    pub header_read_timeout_secs: u64,
    /// Seconds from a request's headers to the start of its response (body upload included); 408 after it.
    pub request_timeout_secs: u64,
    /// Seconds the request body may go without sending a byte.
    pub body_idle_timeout_secs: u64,
    /// Seconds a connection (HTTP/1.1 or HTTP/2) may go without a byte in either direction while no request
    /// is being handled before it is closed.
    pub idle_timeout_secs: u64,
    /// Peers whose `client_ip_header` is believed: addresses or CIDR blocks of the load balancers
    /// (`["10.0.0.0/8", "127.0.0.1"]`). Empty: the socket's peer is the client.
    pub trusted_proxies: Vec<String>,
    /// The header a trusted proxy puts the client address in (`X-Forwarded-For`, the proxy appends to it).
    pub client_ip_header: String,
    /// Seconds open requests and running jobs get to finish after SIGTERM before the process exits; jobs
    /// still running then have their leases released, so another instance takes them at once.
    pub shutdown_grace_secs: u64,
    /// The bearer token Prometheus sends to read `/metrics` (`Authorization: Bearer …`), or the environment
    /// variable `MADOGUCHI_METRICS_TOKEN`. Empty (the default): `/metrics` answers 404 to everyone.
    pub metrics_token: String,
}

impl HttpConfig {
    /// The token `/metrics` asks for: the configured one, else the environment's; `None` when neither is set.
    pub fn metrics_token(&self) -> Option<String> {
        let token = if self.metrics_token.is_empty() {
            std::env::var("MADOGUCHI_METRICS_TOKEN").unwrap_or_default()
        } else {
            self.metrics_token.clone()
        };
        (!token.trim().is_empty()).then(|| token.trim().to_string())
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            request_timeout_secs: 60,
            body_idle_timeout_secs: 15,
            idle_timeout_secs: 60,
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
            shutdown_grace_secs: 20,
            metrics_token: String::new(),
        }
    }
}

/// At most `max` actions per `window_secs` (a fixed window); `max = 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Actions allowed in one window.
    pub max: u32,
    /// Length of the window in seconds.
    pub window_secs: u64,
}

impl Limit {
    /// `max` actions per `window_secs`.
    pub const fn new(max: u32, window_secs: u64) -> Self {
        Self { max, window_secs }
    }
}

/// Rate limits (`[rate_limits]`), counted in the database so they hold across instances (ADR 0019).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// JSON API submissions from one client address (each may mail an address the caller typed).
    pub api_submissions_per_client: Limit,
    /// JSON API submissions to one form from everyone (protects capacity-limited forms from a spread attack).
    pub api_submissions_per_form: Limit,
    /// POSTs of public form pages (input, add/remove, confirm, submit) from one client address.
    pub form_posts_per_client: Limit,
    /// FAQ questions (chat page, embed, JSON) from one client address.
    pub faq_questions_per_client: Limit,
    /// Sign-in and resume-link mails requested from one client address (the per-address quota is separate).
    pub signin_mails_per_client: Limit,
    /// Failed staff logins for one login id before it is locked for the rest of the window.
    pub login_failures_per_login: Limit,
    /// Failed staff logins from one client address before it is locked for the rest of the window.
    pub login_failures_per_client: Limit,
    /// Delay after a failed staff login in milliseconds, doubled with every further failure (at most 8 s).
    pub login_failure_delay_ms: u64,
    /// Megabytes of files residents may upload from one client address (each file's started megabytes count).
    pub upload_megabytes_per_client: Limit,
    /// Claim codes one signed-in applicant may ask to be mailed (claiming an application by receipt number).
    pub claim_codes_per_applicant: Limit,
    /// Claim codes mailed for one receipt number, whoever asks.
    pub claim_codes_per_receipt: Limit,
    /// Claim codes one signed-in applicant may type in (each code also takes only a few attempts).
    pub claim_attempts_per_applicant: Limit,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            api_submissions_per_client: Limit::new(30, 600),
            api_submissions_per_form: Limit::new(600, 60),
            form_posts_per_client: Limit::new(120, 60),
            faq_questions_per_client: Limit::new(30, 60),
            signin_mails_per_client: Limit::new(10, 3600),
            login_failures_per_login: Limit::new(10, 900),
            login_failures_per_client: Limit::new(50, 900),
            login_failure_delay_ms: 250,
            upload_megabytes_per_client: Limit::new(300, 3600),
            claim_codes_per_applicant: Limit::new(5, 3600),
            claim_codes_per_receipt: Limit::new(3, 3600),
            claim_attempts_per_applicant: Limit::new(10, 3600),
        }
    }
}

impl RateLimitConfig {
    /// Every limit off and no login delay: for load tests from one address and for the test harness, whose
    /// scenarios are not about rate limits (the rate-limit tests turn them on).
    pub fn off() -> Self {
        let off = Limit::new(0, 60);
        Self {
            api_submissions_per_client: off,
            api_submissions_per_form: off,
            form_posts_per_client: off,
            faq_questions_per_client: off,
            signin_mails_per_client: off,
            login_failures_per_login: off,
            login_failures_per_client: off,
            login_failure_delay_ms: 0,
            upload_megabytes_per_client: off,
            claim_codes_per_applicant: off,
            claim_codes_per_receipt: off,
            claim_attempts_per_applicant: off,
        }
    }
}

#[cfg(test)]
mod front_door_tests {
    use super::*;

    #[test]
    fn the_example_configuration_sets_timeouts_and_rate_limits() {
        let c: Config = toml::from_str(include_str!("../../../madoguchi.example.toml")).unwrap();
        assert_eq!(c.http.header_read_timeout_secs, 10);
        assert_eq!(c.http.trusted_proxies, vec!["10.0.0.0/8".to_string()]);
        assert_eq!(c.rate_limits.login_failures_per_login, Limit::new(10, 900));
    }
}
