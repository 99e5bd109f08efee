//! The sealer: the organisation's key and certificate chain, the timestamp authority and the trusted roots,
//! loaded from configuration; it turns a rendered PDF into a PAdES B-T document.

use crate::cades::{self, BuiltinTsa};
use crate::keys::{Pkcs11Location, SealKey};
use crate::pades::{self, SigInfo};
use crate::pki::{self, Authority};
use madoguchi_kernel::config::IssuanceConfig;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use x509_cert::Certificate;

/// Where timestamps come from.
pub enum Tsa {
    /// The built-in TSA, in process.
    Builtin(Box<BuiltinTsa>),
    /// An RFC 3161 TSA over HTTP.
    Remote {
        /// Its URL.
        url: String,
        /// HTTP client.
        client: reqwest::Client,
    },
}

/// Everything needed to seal documents.
pub struct Sealer {
    /// The seal key.
    pub key: SealKey,
    /// The seal certificate first, then intermediates.
    pub chain: Vec<Certificate>,
    /// Trusted roots for verification (the installation's own, and the TSA's).
    pub roots: Vec<Certificate>,
    /// The timestamp authority.
    pub tsa: Tsa,
    /// The built-in TSA (also served at `POST /issuance/tsa` when configured), if any.
    pub builtin_tsa: Option<Arc<BuiltinTsa>>,
    /// Whether the key is a development key file.
    pub development: bool,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Sealer({:?}, {})",
            self.key,
            self.chain
                .first()
                .map(pki::subject_text)
                .unwrap_or_default()
        )
    }
}

/// A sealed document.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The signed PDF.
    pub pdf: Vec<u8>,
    /// The CMS signature value (kept to recognise altered copies).
    pub signature: Vec<u8>,
    /// The timestamp's time (epoch ms).
    pub timestamp_ms: i64,
}

/// Files of the development PKI under `data_dir/issuance/dev`.
pub fn dev_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("issuance").join("dev")
}

/// Makes the development PKI once: a root, a seal key file with its certificate, a TSA key and certificate.
/// Only for `key = "development"`; never used with an HSM.
///
/// The private keys are readable by the owner only (0600, in a 0700 directory): anyone else on the machine who
/// could read them could seal documents in the organisation's name. Key files of an earlier version, written
/// 0644, are tightened when found.
pub fn ensure_dev_pki(data_dir: &Path, organisation: &str) -> anyhow::Result<PathBuf> {
    let dir = dev_dir(data_dir);
    if dir.join("ready").exists() {
        for key in DEV_KEY_FILES {
            restrict_to_owner(&dir.join(key))?;
        }
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)?;
    restrict_to_owner(&dir)?;
    let root = Authority::new_root(&format!(
        "CN=madoguchi 開発用ルート認証局,O={organisation},C=JP"
    ))?;
    let seal = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let seal_cert = root.issue_seal(
        &format!("CN={organisation} 電子公印（開発用）,O={organisation},C=JP"),
        seal.verifying_key(),
    )?;
    let tsa = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let tsa_cert = root.issue_tsa(
        "CN=madoguchi 開発用タイムスタンプ局,O=madoguchi,C=JP",
        tsa.verifying_key(),
    )?;
    std::fs::write(dir.join("root.pem"), pki::to_pem(&root.cert)?)?;
    std::fs::write(dir.join("seal.pem"), pki::to_pem(&seal_cert)?)?;
    write_secret(&dir.join("seal.key"), pki::key_to_pem(&seal)?.as_bytes())?;
    std::fs::write(dir.join("tsa.pem"), pki::to_pem(&tsa_cert)?)?;
    write_secret(&dir.join("tsa.key"), pki::key_to_pem(&tsa)?.as_bytes())?;
    std::fs::write(dir.join("ready"), b"")?;
    Ok(dir)
}

/// Checks, when an instance starts with `key = "development"`, that its development seal key is the one this
/// database's documents are sealed with: the first instance records its key's fingerprint, and an instance with
/// another key refuses to start (its documents would be sealed by a key the other instances do not have). Makes
/// the development PKI if it is missing. Nothing to check for an HSM key, shared by construction.
pub async fn check_development_key(ctx: &madoguchi_kernel::Ctx) -> anyhow::Result<()> {
    let cfg = &ctx.config.issuance;
    if cfg.key != "development" {
        return Ok(());
    }
    let (data_dir, organisation) = (ctx.config.data_dir.clone(), cfg.organisation.clone());
    let fingerprint = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let dir = ensure_dev_pki(&data_dir, &organisation)?;
        let chain = read_chain(&dir.join("seal.pem"))?;
        let public = pki::public_key(&chain[0])?;
        Ok(hex::encode(Sha256::digest(
            public.to_encoded_point(false).as_bytes(),
        )))
    })
    .await??;
    sqlx::query(
        "INSERT INTO issuance_dev_key (id, public_key_sha256, recorded_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&fingerprint)
    .bind(madoguchi_kernel::now_ms())
    .execute(&ctx.db.write)
    .await?;
    let recorded: String =
        sqlx::query_scalar("SELECT public_key_sha256 FROM issuance_dev_key WHERE id = 1")
            .fetch_one(&ctx.db.read)
            .await?;
    anyhow::ensure!(
        recorded == fingerprint,
        "[issuance] key = \"development\": この開発用の公印鍵（{dir}/seal.key、指紋 {mine}…）は、このデータベースで使われている開発用の鍵（指紋 {theirs}…）と違うため起動しません。複数台で動かすときは、全台で同じ {dir} を使うか、HSM の鍵（key = \"pkcs11\"）を設定してください。 / This instance's development seal key differs from the one this database's documents are sealed with: give every instance the same {dir}, or configure an HSM key (key = \"pkcs11\").",
        dir = dev_dir(&ctx.config.data_dir).display(),
        mine = &fingerprint[..16],
        theirs = recorded.get(..16).unwrap_or(&recorded),
    );
    Ok(())
}

/// The private key files of the development PKI.
const DEV_KEY_FILES: [&str; 2] = ["seal.key", "tsa.key"];

/// Writes a private key readable by the owner only: the file is created 0600, so the key is never readable by
/// others, not even for a moment (a file left by an interrupted run is tightened before it is rewritten).
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    if path.exists() {
        restrict_to_owner(path)?;
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a file (0600) or directory (0700) accessible to its owner only; nothing on systems without Unix
/// permissions.
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = if meta.is_dir() { 0o700 } else { 0o600 };
            if meta.permissions().mode() & 0o777 != mode {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn read_chain(path: &Path) -> anyhow::Result<Vec<Certificate>> {
    pki::read_pem_chain(
        &std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
    )
}

impl Sealer {
    /// Loads the sealer from configuration. With `key = "development"`, the development PKI is made under the
    /// data directory on first use.
    pub fn load(cfg: &IssuanceConfig, data_dir: &Path) -> anyhow::Result<Sealer> {
        let development = cfg.key == "development";
        let dev = if development || cfg.tsa_url.is_empty() && cfg.tsa_key.as_os_str().is_empty() {
            Some(ensure_dev_pki(data_dir, &cfg.organisation)?)
        } else {
            None
        };
        let (key, chain) = match cfg.key.as_str() {
            "development" => {
                let dir = dev.as_ref().expect("dev pki made");
                (
                    SealKey::from_pem_file(&dir.join("seal.key"))?,
                    read_chain(&dir.join("seal.pem"))?,
                )
            }
            "pkcs11" => {
                let chain = read_chain(&cfg.certificate)?;
                let public = pki::public_key(&chain[0])?;
                let pin = if cfg.pkcs11_pin.is_empty() {
                    std::env::var("MADOGUCHI_PKCS11_PIN").unwrap_or_default()
                } else {
                    cfg.pkcs11_pin.clone()
                };
                let key = SealKey::open_pkcs11(
                    &Pkcs11Location {
                        module: &cfg.pkcs11_module,
                        token: &cfg.pkcs11_token,
                        pin: &pin,
                        key_label: &cfg.pkcs11_key_label,
                    },
                    public,
                )?;
                (key, chain)
            }
            other => anyhow::bail!(
                "[issuance] key = \"{other}\": use \"pkcs11\" (or \"development\" for development only)"
            ),
        };
        let mut roots = Vec::new();
        if !cfg.trust_roots.as_os_str().is_empty() {
            roots.extend(read_chain(&cfg.trust_roots)?);
        }
        let builtin_tsa = if !cfg.tsa_key.as_os_str().is_empty() {
            Some(BuiltinTsa {
                key: SealKey::from_pem_file(&cfg.tsa_key)?,
                cert: read_chain(&cfg.tsa_certificate)?.remove(0),
            })
        } else if let Some(dir) = &dev {
            roots.extend(read_chain(&dir.join("root.pem"))?);
            Some(BuiltinTsa {
                key: SealKey::from_pem_file(&dir.join("tsa.key"))?,
                cert: read_chain(&dir.join("tsa.pem"))?.remove(0),
            })
        } else {
            None
        };
        let builtin_tsa = builtin_tsa.map(Arc::new);
        let tsa = if cfg.tsa_url.is_empty() {
            let b = builtin_tsa
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no TSA configured"))?;
            Tsa::Builtin(Box::new(BuiltinTsa {
                key: match &b.key {
                    SealKey::Software(k) => SealKey::Software(k.clone()),
                    SealKey::Pkcs11(_) => anyhow::bail!("the built-in TSA uses a key file"),
                },
                cert: b.cert.clone(),
            }))
        } else {
            Tsa::Remote {
                url: cfg.tsa_url.clone(),
                client: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(20))
                    .build()?,
            }
        };
        anyhow::ensure!(
            !roots.is_empty(),
            "[issuance] trust_roots: no trusted root certificate"
        );
        Ok(Sealer {
            key,
            chain,
            roots,
            tsa,
            builtin_tsa,
            development,
        })
    }

    /// The seal certificate's readable name.
    pub fn signer_name(&self) -> String {
        pki::common_name(&self.chain[0])
    }

    async fn timestamp(&self, digest: &[u8]) -> anyhow::Result<cms::content_info::ContentInfo> {
        match &self.tsa {
            Tsa::Builtin(b) => b.timestamp(digest),
            Tsa::Remote { url, client } => {
                let (req, nonce) = cades::timestamp_request(digest)?;
                let resp = client
                    .post(url)
                    .header("content-type", "application/timestamp-query")
                    .body(req)
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                cades::parse_timestamp_response(&resp, digest, &nonce)
            }
        }
    }

    /// Signs a PDF as PAdES B-T: placeholder, CMS signature with the seal key, timestamp over the signature,
    /// and checks the result before returning it.
    pub async fn seal(self: &Arc<Self>, pdf: Vec<u8>, info: SigInfo) -> anyhow::Result<Sealed> {
        let me = self.clone();
        let (prepared, sd) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let prepared = pades::prepare(&pdf, &info)?;
            let sd = cades::sign_detached(&me.key, &me.chain, &prepared.digest())?;
            Ok((prepared, sd))
        })
        .await??;
        let signature = cades::signature_value(&sd)?;
        let token = self.timestamp(&sha256(&signature)).await?;
        let (time, _) = cades::check_timestamp(&token, &signature, &self.roots)?;
        let cms = cades::with_timestamp(sd, &token)?;
        let pdf = prepared.finish(&cms)?;
        Ok(Sealed {
            pdf,
            signature,
            timestamp_ms: time.to_unix_duration().as_millis() as i64,
        })
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).to_vec()
}
