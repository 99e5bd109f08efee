-- Shared form templates (共同利用・横展開): any tenant publishes a form as a template; every tenant of the
-- installation can copy it into its own forms and adapt it. The definition is a snapshot, not a link.
CREATE TABLE form_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL,
    source_form_id BIGINT REFERENCES forms(id),
    created_by BIGINT REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX form_templates_category ON form_templates (category, title);
