-- AI-FAQ: Q&A entries with every version kept, synonyms, contacts, the question log and the shared Q&A base.
CREATE TABLE faq_entries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    phrasings TEXT NOT NULL DEFAULT '[]',      -- JSON array of alternative phrasings
    answer TEXT NOT NULL,                      -- plain text; [label](https://…) and bare URLs become links
    forms TEXT NOT NULL DEFAULT '[]',          -- JSON array of form slugs
    audience TEXT NOT NULL CHECK (audience IN ('public', 'staff')),
    review_date TEXT NOT NULL DEFAULT '',      -- YYYY-MM-DD or empty
    archived BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    shared_id BIGINT,                         -- the shared entry this one was adopted from
    shared_version BIGINT,                     -- the shared entry's version at adoption
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES staff(id)
);
CREATE INDEX faq_entries_tenant ON faq_entries (tenant_id, id);
CREATE TABLE faq_entry_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES faq_entries(id),
    version BIGINT NOT NULL,
    snapshot TEXT NOT NULL,                    -- JSON of the entry as saved
    note TEXT NOT NULL DEFAULT '',
    staff_id BIGINT REFERENCES staff(id),
    at BIGINT NOT NULL,
    UNIQUE (entry_id, version)
);
CREATE TABLE faq_synonyms (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES staff(id)
);
-- Bumped in the same transaction as every change to a tenant's Q&As or synonyms; each instance compares it
-- with the generation its in-memory index was built from.
CREATE TABLE faq_generations (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
    generation BIGINT NOT NULL
);
CREATE TABLE faq_settings (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    contact_hours TEXT NOT NULL
);
CREATE TABLE faq_department_contacts (
    department_id BIGINT PRIMARY KEY REFERENCES departments(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    phone TEXT NOT NULL,
    hours TEXT NOT NULL
);
CREATE TABLE faq_questions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    audience TEXT NOT NULL,
    conversation TEXT NOT NULL,
    question TEXT NOT NULL,                    -- masked before storing
    entry_id BIGINT REFERENCES faq_entries(id),
    category TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'no_answer')),
    feedback TEXT CHECK (feedback IN ('resolved', 'unresolved', 'contacted')),
    handled_entry_id BIGINT REFERENCES faq_entries(id),  -- the Q&A written from this question
    asked_at BIGINT NOT NULL,
    feedback_at BIGINT
);
CREATE INDEX faq_questions_tenant ON faq_questions (tenant_id, asked_at);
CREATE TABLE faq_shared (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    source_entry_id BIGINT NOT NULL UNIQUE REFERENCES faq_entries(id),
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    phrasings TEXT NOT NULL,
    answer TEXT NOT NULL,
    forms TEXT NOT NULL,
    version BIGINT NOT NULL,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE faq_subscriptions (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    category TEXT NOT NULL,
    PRIMARY KEY (tenant_id, category)
);
