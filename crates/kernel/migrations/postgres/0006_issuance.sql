-- Electronic issuance (issue 7): document templates per form, issued documents (the register that the public
-- verification page reads), fee flags, batches. Times are epoch milliseconds (UTC).
CREATE TABLE issuance_templates (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    form_id BIGINT NOT NULL REFERENCES forms(id),
    kind TEXT NOT NULL CHECK (kind IN ('permit', 'certificate', 'notice')),
    title TEXT NOT NULL,
    number_format TEXT NOT NULL,            -- e.g. 高知県指令第{n}号
    next_number BIGINT NOT NULL DEFAULT 1,
    preamble TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '[]',      -- JSON [{label, source}]: source is an answer key, key.sub or a literal
    conditions TEXT NOT NULL DEFAULT '',
    issuer_title TEXT NOT NULL,
    issuer_name TEXT NOT NULL,
    seal_text TEXT NOT NULL DEFAULT '',     -- drawn seal when no image
    seal_png TEXT,                          -- object key of an uploaded seal image
    fee_required BIGINT NOT NULL DEFAULT 0, -- 1: released only after the fee is settled
    auto_issue BIGINT NOT NULL DEFAULT 1,   -- 1: issued when the submission is approved
    updated_by BIGINT REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, form_id)
);
CREATE TABLE issued_documents (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    template_id BIGINT NOT NULL REFERENCES issuance_templates(id),
    document_number TEXT NOT NULL,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL,
    signer TEXT NOT NULL,
    verify_code TEXT NOT NULL UNIQUE,
    object_key TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    signature_sha256 TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('valid', 'revoked', 'superseded')),
    supersedes_id BIGINT REFERENCES issued_documents(id),
    superseded_by BIGINT,
    revoked_reason TEXT NOT NULL DEFAULT '',
    revoked_at BIGINT,
    revoked_by BIGINT REFERENCES staff(id),
    released_at BIGINT,                     -- when the applicant was given it (after the fee, where charged)
    download_token_hash TEXT UNIQUE,
    download_expires_at BIGINT,
    issued_by BIGINT REFERENCES staff(id),
    issued_at BIGINT NOT NULL,
    timestamp_at BIGINT NOT NULL
);
CREATE INDEX issued_documents_submission ON issued_documents (submission_id, id);
-- At most one valid document per submission and template: an approval's automatic issue and a staff click at
-- the same moment cannot both succeed.
CREATE UNIQUE INDEX issued_documents_one_valid ON issued_documents (submission_id, template_id) WHERE status = 'valid';
CREATE INDEX issued_documents_tenant ON issued_documents (tenant_id, issued_at);
CREATE INDEX issued_documents_file ON issued_documents (file_sha256);
CREATE INDEX issued_documents_signature ON issued_documents (signature_sha256);
CREATE TABLE issuance_fees (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    settled_at BIGINT NOT NULL,
    settled_by BIGINT REFERENCES staff(id)
);
CREATE TABLE issuance_batches (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    created_by BIGINT NOT NULL REFERENCES staff(id),
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE issuance_batch_items (
    batch_id BIGINT NOT NULL REFERENCES issuance_batches(id),
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, submission_id)
);
