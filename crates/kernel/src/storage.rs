//! File storage (attachments, issued documents, open data files) through the `object_store` crate, chosen by
//! `storage_url` (ADR 0026):
//! - `file:///var/lib/madoguchi/objects` — a local directory (empty: `data_dir/objects`), for one machine;
//! - `s3://bucket/prefix` — an S3-compatible store shared by every instance; endpoint, region, path style and
//!   credentials come from `[s3]` or, where left empty, from the standard `AWS_*` environment variables
//!   (and the instance role).
//!
//! Uploads are spooled while they arrive ([`Spooler`]: memory up to [`SPOOL_IN_MEMORY`], then a temporary file)
//! and streamed to the store, as an S3 multipart upload above [`PART_SIZE`]; downloads stream back
//! ([`Storage::get_stream`]). A failure of the store is [`StorageError::Unavailable`], which the error type
//! answers with 503 and a Japanese message; a failed streamed upload is aborted, so nothing is half-stored.

use crate::config::S3Config;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::{ObjectStore, PutPayload, local::LocalFileSystem, path::Path};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Size of one part of a multipart upload (S3's smallest part is 5 MiB); smaller objects are one PUT.
pub const PART_SIZE: usize = 5 * 1024 * 1024;
/// Bytes of an upload kept in memory before it is spooled to a temporary file.
pub const SPOOL_IN_MEMORY: usize = 256 * 1024;
/// Bytes kept from the start of every spooled upload (content-type detection reads them).
pub const HEAD_BYTES: usize = 8 * 1024;
/// The object written at start and looked at by `/readyz`.
const PROBE_KEY: &str = ".madoguchi/ready";

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under that key.
    #[error("object not found: {0}")]
    NotFound(String),
    /// The store did not answer, refused, or a local file could not be read or written.
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => StorageError::NotFound(path),
            // With the source chain: the top-level message of a client error says little ("builder error").
            e => StorageError::Unavailable(format!("{e}: {:?}", std::error::Error::source(&e))),
        }
    }
}

impl From<std::io::Error> for StorageError {
    fn from(e: std::io::Error) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

/// The object store and nothing else: callers name objects by key.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The directory of the local store, which needs an explicit fsync (S3-compatible stores are durable on PUT).
    local_root: Option<std::path::PathBuf>,
    /// `file:///…` or `s3://bucket/prefix`, for logs and errors (never credentials).
    location: String,
}

impl Storage {
    /// A store in a local directory (created if missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let root = dir.canonicalize()?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
            location: format!("file://{}", root.display()),
            local_root: Some(root),
        })
    }

    /// Opens the store named by `url` (see the module documentation); an empty `url` is `data_dir/objects`.
    /// Refuses, with a message naming the setting, a URL it cannot use; it does not contact the store
    /// ([`Storage::check_writable`] does).
    pub fn open(url: &str, data_dir: &std::path::Path, s3: &S3Config) -> anyhow::Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Self::local(&data_dir.join("objects"));
        }
        if let Some(path) = url.strip_prefix("file://") {
            anyhow::ensure!(
                path.starts_with('/'),
                "storage_url「{url}」: file:// の後には絶対パスを書いてください（例: file:///var/lib/madoguchi/objects）"
            );
            return Self::local(std::path::Path::new(path));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            anyhow::bail!(
                "storage_url「{url}」を解釈できません。file:///（ディレクトリ）または s3://バケット/接頭辞 を指定してください"
            );
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(
            !bucket.is_empty()
                && bucket.len() <= 63
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "storage_url「{url}」: バケット名「{bucket}」が正しくありません（小文字・数字・-・. の3〜63文字）"
        );
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
        if !s3.endpoint.is_empty() {
            b = b.with_endpoint(&s3.endpoint);
        }
        let endpoint_is_http = s3.endpoint.starts_with("http://")
            || std::env::var("AWS_ENDPOINT")
                .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
                .is_ok_and(|e| e.starts_with("http://"));
        if !s3.region.is_empty() {
            b = b.with_region(&s3.region);
        }
        if let Some(path_style) = s3.path_style {
            b = b.with_virtual_hosted_style_request(!path_style);
        }
        if !s3.access_key_id.is_empty() {
            b = b.with_access_key_id(&s3.access_key_id);
        }
        if !s3.secret_access_key.is_empty() {
            b = b.with_secret_access_key(&s3.secret_access_key);
        }
        // Client options replace the builder's whole set (plain HTTP included), so they are given in one go.
        // A store that does not answer fails a request within seconds (a resident waits on it), not after
        // the crate's default of minutes of retries.
        b = b
            .with_retry(object_store::RetryConfig {
                max_retries: s3.max_retries,
                retry_timeout: Duration::from_secs(s3.retry_timeout_secs.max(1)),
                backoff: object_store::BackoffConfig::default(),
            })
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_allow_http(s3.allow_http || endpoint_is_http)
                    .with_connect_timeout(Duration::from_secs(s3.connect_timeout_secs.max(1)))
                    .with_timeout(Duration::from_secs(s3.request_timeout_secs.max(1))),
            );
        let store = b.build().map_err(|e| {
            anyhow::anyhow!(
                "storage_url「{url}」の S3 設定が不完全です（[s3] または AWS_* 環境変数）: {e}"
            )
        })?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self {
            store,
            local_root: None,
            location: url.to_string(),
        })
    }

    /// Where the objects are (`file:///…` or `s3://…`), for logs and messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Writes and reads back a small object: run at start, so an unreachable store or missing permission
    /// stops the server with a clear message instead of failing residents' uploads later.
    pub async fn check_writable(&self) -> anyhow::Result<()> {
        let stamp = Bytes::from(crate::db::now_ms().to_string());
        let fail = |e: StorageError| {
            anyhow::anyhow!(
                "オブジェクトストレージ {} に書き込めません（storage_url、[s3] の endpoint・認証情報を確認してください）: {e}",
                self.location
            )
        };
        self.put(PROBE_KEY, stamp.clone()).await.map_err(fail)?;
        let back = self.get(PROBE_KEY).await.map_err(fail)?;
        anyhow::ensure!(
            back == stamp,
            "オブジェクトストレージ {} から書いた内容を読み戻せません",
            self.location
        );
        Ok(())
    }

    /// Whether the store answers now (`/readyz`): the probe object written at start is looked up.
    pub async fn check_reachable(&self) -> Result<(), StorageError> {
        self.store.head(&Path::from(PROBE_KEY)).await?;
        Ok(())
    }

    /// Stores bytes under a key; durable when this returns, also across a power cut: the local store only
    /// writes and renames, so the file and its directory are synced here before the receipt is given.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await?;
        self.sync_local(key).await
    }

    /// Stores a spooled upload under a key, streaming it: one PUT when small, a multipart upload in
    /// [`PART_SIZE`] parts otherwise. On failure the multipart upload is aborted and nothing is stored.
    pub async fn put_spooled(&self, key: &str, body: &Spooled) -> Result<(), StorageError> {
        match &body.body {
            SpoolBody::Memory(bytes) => self.put(key, bytes.clone()).await,
            SpoolBody::File(path) if self.local_root.is_some() => {
                self.copy_into_local(key, path).await
            }
            SpoolBody::File(path) => {
                let mut file = tokio::fs::File::open(path).await?;
                let mut writer = object_store::buffered::BufWriter::with_capacity(
                    self.store.clone(),
                    Path::from(key),
                    PART_SIZE,
                )
                .with_max_concurrency(2);
                let copied = async {
                    let mut buf = vec![0u8; 256 * 1024];
                    loop {
                        let n = file.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        writer.write_all(&buf[..n]).await?;
                    }
                    writer.shutdown().await
                }
                .await;
                if let Err(e) = copied {
                    if let Err(abort) = writer.abort().await {
                        tracing::warn!(key, error = %abort, "aborting a failed upload failed");
                    }
                    return Err(StorageError::Unavailable(e.to_string()));
                }
                self.sync_local(key).await
            }
        }
    }

    /// The local store takes a spooled file by a kernel-side copy into a temporary name beside its place, then
    /// a rename: no part of it passes through this process's memory (a buffered multipart writer held up to
    /// two 5 MB parts per upload, ~80 MB for eight residents uploading at once), and a reader never sees half a
    /// file.
    async fn copy_into_local(
        &self,
        key: &str,
        spool: &std::path::Path,
    ) -> Result<(), StorageError> {
        let root = self.local_root.as_ref().expect("a local store");
        let dest = root.join(key);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.{}.part", crate::ids::new_token()));
        let spool = spool.to_path_buf();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let copied = std::fs::copy(&spool, &tmp)
                .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                .and_then(|()| std::fs::rename(&tmp, &dest));
            if copied.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            copied?;
            if let Some(dir) = dest.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| StorageError::Unavailable(e.to_string()))??;
        Ok(())
    }

    async fn sync_local(&self, key: &str) -> Result<(), StorageError> {
        if let Some(root) = &self.local_root {
            let file = root.join(key);
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&file)?.sync_all()?;
                if let Some(dir) = file.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                Ok(())
            })
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))??;
        }
        Ok(())
    }

    /// Reads a whole object (issued PDFs and open data files, which are worked on in memory).
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Opens an object for streaming: its size and its bytes as they arrive.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, StorageError>>), StorageError> {
        let got = self.store.get(&Path::from(key)).await?;
        let size = got.meta.size;
        Ok((size, got.into_stream().map(|r| Ok(r?)).boxed()))
    }

    /// Whether an object exists under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys of every object under `prefix` (a folder such as `issuance`), in no particular order; for
    /// operators' checks and tests, which must ask the store rather than a local directory.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut listing = self.store.list(Some(&Path::from(prefix)));
        while let Some(meta) = listing.next().await {
            keys.push(meta?.location.to_string());
        }
        Ok(keys)
    }

    /// Deletes an object; a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// An upload received in full, in memory when small and in a temporary file (deleted on drop) otherwise,
/// with its size, SHA-256 and first bytes.
#[derive(Debug)]
pub struct Spooled {
    head: Bytes,
    size: u64,
    sha256: String,
    body: SpoolBody,
}

#[derive(Debug)]
enum SpoolBody {
    Memory(Bytes),
    File(tempfile::TempPath),
}

impl Spooled {
    /// Spools bytes already in memory.
    pub fn from_bytes(bytes: Bytes) -> Spooled {
        Spooled {
            head: bytes.slice(..bytes.len().min(HEAD_BYTES)),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            body: SpoolBody::Memory(bytes),
        }
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The first [`HEAD_BYTES`] bytes (or fewer).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// Hex SHA-256 of the content.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The whole content in memory (photos, whose metadata is rewritten; callers bound the size first).
    pub async fn to_bytes(&self) -> std::io::Result<Bytes> {
        match &self.body {
            SpoolBody::Memory(b) => Ok(b.clone()),
            SpoolBody::File(p) => Ok(tokio::fs::read(p).await?.into()),
        }
    }
}

/// Receives an upload chunk by chunk (see [`Spooled`]).
pub struct Spooler {
    memory: BytesMut,
    file: Option<(tokio::fs::File, tempfile::TempPath)>,
    head: BytesMut,
    hasher: Sha256,
    size: u64,
}

impl Default for Spooler {
    fn default() -> Self {
        Self::new()
    }
}

impl Spooler {
    /// An empty spool.
    pub fn new() -> Spooler {
        Spooler {
            memory: BytesMut::new(),
            file: None,
            head: BytesMut::new(),
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Whether nothing was received yet.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Adds a chunk; past [`SPOOL_IN_MEMORY`] everything goes to a temporary file.
    pub async fn push(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.size += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.file.is_none() && self.memory.len() + chunk.len() <= SPOOL_IN_MEMORY {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        if self.file.is_none() {
            let temp = tokio::task::spawn_blocking(tempfile::NamedTempFile::new)
                .await
                .map_err(std::io::Error::other)??;
            let (file, path) = temp.into_parts();
            let mut file = tokio::fs::File::from_std(file);
            file.write_all(&std::mem::take(&mut self.memory)).await?;
            self.file = Some((file, path));
        }
        let (file, _) = self.file.as_mut().expect("spool file opened above");
        file.write_all(chunk).await
    }

    /// The received upload.
    pub async fn finish(self) -> std::io::Result<Spooled> {
        let body = match self.file {
            Some((mut file, path)) => {
                file.flush().await?;
                SpoolBody::File(path)
            }
            None => SpoolBody::Memory(self.memory.freeze()),
        };
        Ok(Spooled {
            head: self.head.freeze(),
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_large_upload_is_spooled_to_a_file_and_streamed_into_the_store_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path()).unwrap();
        let data: Vec<u8> = (0..(PART_SIZE * 2 + 12345))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut spool = Spooler::new();
        for chunk in data.chunks(64 * 1024) {
            spool.push(chunk).await.unwrap();
        }
        let spooled = spool.finish().await.unwrap();
        assert!(matches!(spooled.body, SpoolBody::File(_)));
        assert_eq!(spooled.len(), data.len() as u64);
        assert_eq!(spooled.head(), &data[..HEAD_BYTES]);
        assert_eq!(spooled.sha256(), hex::encode(Sha256::digest(&data)));
        storage.put_spooled("a/b", &spooled).await.unwrap();
        assert_eq!(storage.get("a/b").await.unwrap().as_ref(), &data[..]);
        let (size, mut stream) = storage.get_stream("a/b").await.unwrap();
        assert_eq!(size, data.len() as u64);
        let mut back = Vec::new();
        while let Some(chunk) = stream.next().await {
            back.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(back, data);
    }

    #[test]
    fn storage_urls_that_cannot_be_used_are_refused_with_the_setting_named() {
        let dir = tempfile::tempdir().unwrap();
        let s3 = S3Config::default();
        for bad in [
            "ftp://x/y",
            "file://relative/dir",
            "s3://",
            "s3://Bad_Bucket/p",
        ] {
            let e = Storage::open(bad, dir.path(), &s3).unwrap_err().to_string();
            assert!(e.contains("storage_url"), "{bad}: {e}");
        }
        let local = Storage::open("", dir.path(), &s3).unwrap();
        assert!(local.location().ends_with("/objects"));
    }
}
