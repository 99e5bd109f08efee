//! Stored embeddings of Q&A texts (ADR 0025): computed in the background when entries change, never while a
//! resident waits; keyed by a hash of the model id and the embedded text, so a rebuild reuses the vectors of
//! unchanged Q&As.

use base64::Engine as _;
use madoguchi_kernel::{Db, now_ms};
use madoguchi_search::Embedder;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// The key of an embedded text: SHA-256 of the model id and the text, hex.
pub fn key(model_id: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(model_id.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    hex::encode(h.finalize())
}

fn encode(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode(s: &str) -> Option<Vec<f32>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    (bytes.len() % 4 == 0).then(|| {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    })
}

/// The tenant's stored vectors of a model, by key.
pub async fn stored(
    db: &Db,
    tenant_id: i64,
    model_id: &str,
) -> Result<HashMap<String, Vec<f32>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT text_hash, vector FROM faq_vectors WHERE tenant_id = $1 AND model = $2",
    )
    .bind(tenant_id)
    .bind(model_id)
    .fetch_all(&db.read)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let k: String = r.try_get("text_hash")?;
        let v: String = r.try_get("vector")?;
        if let Some(v) = decode(&v) {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// Stores vectors (a key already there keeps its row: the same text gives the same vector).
pub async fn store(
    db: &Db,
    tenant_id: i64,
    model_id: &str,
    items: &[(String, Vec<f32>)],
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    for (k, v) in items {
        sqlx::query(
            "INSERT INTO faq_vectors (tenant_id, text_hash, model, vector, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, text_hash) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(k)
        .bind(model_id)
        .bind(encode(v))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Removes the tenant's vectors whose text no live Q&A has any more (or of another model).
pub async fn prune(db: &Db, tenant_id: i64, keep: &HashSet<String>) -> Result<u64, sqlx::Error> {
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT text_hash FROM faq_vectors WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_all(&db.read)
            .await?;
    let mut removed = 0;
    let mut tx = db.write.begin().await?;
    for k in keys.iter().filter(|k| !keep.contains(*k)) {
        removed += sqlx::query("DELETE FROM faq_vectors WHERE tenant_id = $1 AND text_hash = $2")
            .bind(tenant_id)
            .bind(k)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}

/// Texts embedded per call of the engine (it spreads a batch over the cores).
const BATCH: usize = 16;

/// Embeds `texts` (key, text) and stores them, a batch at a time (CPU work off the async runtime). Returns how
/// many were stored.
pub async fn fill(
    db: &Db,
    tenant_id: i64,
    embedder: &Embedder,
    texts: Vec<(String, String)>,
) -> anyhow::Result<usize> {
    let mut done = 0;
    for chunk in texts.chunks(BATCH) {
        let chunk = chunk.to_vec();
        let e = embedder.clone();
        let items = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
            let vs = e.passages(&refs)?;
            Ok::<_, madoguchi_search::EmbedderError>(
                chunk
                    .into_iter()
                    .map(|(k, _)| k)
                    .zip(vs)
                    .collect::<Vec<_>>(),
            )
        })
        .await??;
        store(db, tenant_id, embedder.model_id(), &items).await?;
        done += items.len();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_through_text() {
        let v = vec![0.5f32, -1.25, 3.0e-7, 0.0];
        assert_eq!(decode(&encode(&v)), Some(v));
        assert_eq!(decode("!!"), None);
    }

    #[test]
    fn key_depends_on_model_and_text() {
        assert_eq!(key("m", "児童手当"), key("m", "児童手当"));
        assert_ne!(key("m", "児童手当"), key("n", "児童手当"));
        assert_ne!(key("m", "児童手当"), key("m", "児童手当 "));
        assert_ne!(key("ab", "c"), key("a", "bc"));
    }
}
