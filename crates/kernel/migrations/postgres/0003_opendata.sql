-- Open data catalog (issue 6). Dataset and resource ids are UUID strings, as CKAN clients expect.
-- Each tenant is a CKAN organisation named by its 6-digit code. Times are epoch milliseconds (UTC).
CREATE TABLE od_datasets (
    id TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    maintainer TEXT NOT NULL DEFAULT '',
    license_id TEXT NOT NULL,
    standard_type TEXT,                   -- layout id of a standard dataset (aed, evacuation, …)
    private BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'deleted')),
    extras TEXT NOT NULL DEFAULT '[]',    -- JSON [{key, value}]
    seq BIGINT NOT NULL DEFAULT 0,           -- catalog version of the last change (incremental index refresh)
    created_by BIGINT REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX od_datasets_tenant ON od_datasets (tenant_id, modified_at);
CREATE INDEX od_datasets_seq ON od_datasets (seq);
CREATE TABLE od_tags (
    dataset_id TEXT NOT NULL REFERENCES od_datasets(id),
    name TEXT NOT NULL,
    PRIMARY KEY (dataset_id, name)
);
CREATE TABLE od_groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE TABLE od_dataset_groups (
    dataset_id TEXT NOT NULL REFERENCES od_datasets(id),
    group_id TEXT NOT NULL REFERENCES od_groups(id),
    PRIMARY KEY (dataset_id, group_id)
);
CREATE TABLE od_resources (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES od_datasets(id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    mimetype TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',         -- external link; empty for an uploaded file
    storage_key TEXT,                     -- object store key of an uploaded file
    file_name TEXT NOT NULL DEFAULT '',
    size BIGINT,
    hash TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL DEFAULT '',    -- UTF-8 | Shift_JIS for text files
    original_id TEXT,                     -- the CP932 original this UTF-8 copy was made from
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draft', 'deleted')),
    report TEXT,                          -- validation report (JSON) of a standard dataset file
    errors BIGINT NOT NULL DEFAULT 0,
    warnings BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX od_resources_dataset ON od_resources (dataset_id, position);
CREATE TABLE od_api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
-- Bumped in every catalog write transaction (the changed dataset's seq takes the new value); each instance
-- refreshes its in-memory index with the datasets whose seq is above the version it holds.
CREATE TABLE od_catalog_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO od_catalog_version (id, version) VALUES (1, 0);
