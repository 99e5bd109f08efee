-- Claiming applications sent before signing in (issue 24, ADR 0021).

-- One-time codes mailed to the address ON an application, so that a signed-in applicant who holds its receipt
-- number can add it to their my page. Only a hash of the code is kept; the code is bound to the account that
-- asked for it and to the application, works once, for a short time and for a few attempts.
CREATE TABLE applicant_claim_codes (
    id BIGSERIAL PRIMARY KEY,
    applicant_id BIGINT NOT NULL REFERENCES applicants(id),
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX applicant_claim_codes_claim ON applicant_claim_codes (applicant_id, submission_id, created_at);

-- Applications not linked to an account, found by the folded mail address given on them (claim by a verified
-- address): only unlinked rows are indexed, so the index stays as small as the backlog of unclaimed ones.
CREATE INDEX submissions_unclaimed_email ON submissions (lower(applicant_email)) WHERE applicant_id IS NULL;
