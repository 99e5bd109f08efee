-- Embeddings of Q&A texts for the FAQ's semantic ranking (ADR 0025). One row per embedded text, keyed by a hash
-- of the model id and the text (question, phrasings, category, opening of the answer): a rebuild reuses the
-- vectors of unchanged Q&As, and a Q&A edited back to an earlier text finds its vector again. Rows whose text
-- no live Q&A has any more are pruned after each fill. The vector is base64 of little-endian f32.
CREATE TABLE faq_vectors (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    text_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    vector TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, text_hash)
);
