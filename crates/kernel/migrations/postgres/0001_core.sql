-- Core schema. Times are milliseconds since the Unix epoch (UTC); one representation on SQLite and PostgreSQL.
CREATE TABLE tenants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,            -- 全国地方公共団体コード, 6 digits with check digit
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('prefecture', 'municipality')),
    parent_id BIGINT REFERENCES tenants(id)
);
CREATE TABLE departments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (tenant_id, code)
);
CREATE TABLE staff (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'reviewer', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE staff_departments (
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    PRIMARY KEY (staff_id, department_id)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 8,
    locked_until BIGINT,
    last_error TEXT,
    failed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE failed_at IS NULL;
CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT REFERENCES tenants(id),
    staff_id BIGINT REFERENCES staff(id),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE TABLE forms (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    slug TEXT NOT NULL,
    current_version BIGINT,
    capacity BIGINT,
    accepted_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, slug)
);
CREATE TABLE form_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    form_id BIGINT NOT NULL REFERENCES forms(id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_by BIGINT REFERENCES staff(id),
    created_at BIGINT NOT NULL,
    UNIQUE (form_id, version)
);
CREATE TABLE drafts (
    token_hash TEXT PRIMARY KEY,
    form_version_id BIGINT NOT NULL REFERENCES form_versions(id),
    raw_input TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    form_id BIGINT NOT NULL REFERENCES forms(id),
    form_version_id BIGINT NOT NULL REFERENCES form_versions(id),
    receipt_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    answers TEXT NOT NULL,
    applicant_name TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL DEFAULT '',
    applicant_email TEXT,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX submissions_inbox ON submissions (tenant_id, department_id, submitted_at);
CREATE INDEX submissions_form ON submissions (form_id, id);
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    submission_id BIGINT REFERENCES submissions(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_submission ON attachments (submission_id);
CREATE TABLE submission_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    staff_id BIGINT REFERENCES staff(id),
    kind TEXT NOT NULL,                    -- status | comment | message
    from_status TEXT,
    to_status TEXT,
    body TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX submission_events_sub ON submission_events (submission_id, id);
