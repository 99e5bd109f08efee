-- Trust (issue 14): leases that name their holder, sign-in links bound to the browser that asked for them,
-- and sign-in addresses compared case-folded.

-- The token of the claim that holds a job: completing, failing or extending a job needs it, so a worker whose
-- lease ran out (and whose job another worker has claimed since) can no longer touch it.
ALTER TABLE jobs ADD COLUMN lease_token TEXT;

-- Hash of the nonce cookie of the browser that asked for a sign-in link (NULL for resume links and links
-- made before this migration: those need the address typed in again).
ALTER TABLE mail_links ADD COLUMN browser_hash TEXT;
-- Whether a session was started in the browser that proved the account (the browser that asked for the mail
-- link, or an OpenID Connect sign-in): only such a session may gain a verified identity.
ALTER TABLE applicant_sessions ADD COLUMN browser_proven BIGINT NOT NULL DEFAULT 0;

-- Addresses are stored folded to lower case from now on. Links are folded in place (so a case variant shares the
-- rate limit); of applicants whose addresses differ only in case, the oldest takes the folded address (the
-- others are still found by the index on lower(email), oldest first).
UPDATE mail_links SET email = lower(email) WHERE email <> lower(email);
UPDATE applicants SET email = lower(email)
WHERE email <> lower(email)
  AND NOT EXISTS (SELECT 1 FROM applicants b WHERE b.email = lower(applicants.email))
  AND id = (SELECT MIN(c.id) FROM applicants c WHERE lower(c.email) = lower(applicants.email));
CREATE INDEX applicants_email_folded ON applicants (lower(email));
