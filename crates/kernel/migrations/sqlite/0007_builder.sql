-- The form builder's working copies (編集中の下書き): one per tenant and form URL name, edited part by part
-- and published as a new immutable version. `revision` refuses an edit made on an outdated page.
CREATE TABLE builder_drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    form_id BIGINT REFERENCES forms(id),
    slug TEXT NOT NULL,
    definition TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_by BIGINT REFERENCES staff(id),
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);
