-- Applicant identity and my page (マイページ): applicant accounts with their sessions, one-time mail links,
-- OpenID Connect sign-in flows, drafts kept for an applicant or resumable by mail, submissions linked to
-- their applicant, return for correction per part, and earlier versions of resubmitted answers.
CREATE TABLE applicants (
    id BIGSERIAL PRIMARY KEY,
    email TEXT UNIQUE,                       -- sign-in address, proven by a one-time link; NULL for OIDC-only accounts
    oidc_provider TEXT,
    oidc_subject TEXT,
    verified_level TEXT NOT NULL DEFAULT '', -- '' or the level an OIDC provider vouches for ('verified')
    verified_name TEXT NOT NULL DEFAULT '',
    verified_address TEXT NOT NULL DEFAULT '',
    verified_birthdate TEXT NOT NULL DEFAULT '',
    verified_gender TEXT NOT NULL DEFAULT '',
    verified_at BIGINT,
    profile_name TEXT NOT NULL DEFAULT '',
    profile_furigana TEXT NOT NULL DEFAULT '',
    profile_postal_code TEXT NOT NULL DEFAULT '',
    profile_address TEXT NOT NULL DEFAULT '',
    profile_phone TEXT NOT NULL DEFAULT '',
    notify_email TEXT NOT NULL DEFAULT '',   -- where notifications go (never carries personal data)
    notify_receipt BIGINT NOT NULL DEFAULT 1,
    notify_status BIGINT NOT NULL DEFAULT 1,
    notify_message BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (oidc_provider, oidc_subject)
);
CREATE TABLE applicant_sessions (
    token_hash TEXT PRIMARY KEY,
    applicant_id BIGINT NOT NULL REFERENCES applicants(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX applicant_sessions_applicant ON applicant_sessions (applicant_id);
-- One-time links sent by mail: sign-in, or resuming a draft on another device. Single use, short-lived.
CREATE TABLE mail_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'resume')),
    email TEXT NOT NULL,
    draft_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mail_links_email ON mail_links (email, created_at);
-- OpenID Connect authorisations under way, consumed by the callback (state, nonce and PKCE verifier are single use).
CREATE TABLE oidc_flows (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    next_path TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
ALTER TABLE submissions ADD COLUMN applicant_id BIGINT REFERENCES applicants(id);
CREATE INDEX submissions_applicant ON submissions (applicant_id, submitted_at);
ALTER TABLE drafts ADD COLUMN draft_id TEXT;
ALTER TABLE drafts ADD COLUMN applicant_id BIGINT REFERENCES applicants(id);
CREATE UNIQUE INDEX drafts_draft_id ON drafts (draft_id);
CREATE INDEX drafts_applicant ON drafts (applicant_id);
-- Parts staff asked the applicant to correct, one comment each, per return (差戻し).
CREATE TABLE submission_corrections (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    event_id BIGINT NOT NULL REFERENCES submission_events(id),
    part_key TEXT NOT NULL,
    comment TEXT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX submission_corrections_sub ON submission_corrections (submission_id, id);
-- Answers as they were before each resubmission under the same receipt number.
CREATE TABLE submission_revisions (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    answers TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX submission_revisions_sub ON submission_revisions (submission_id, id);
