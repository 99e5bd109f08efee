-- Trust (issue 14): leases that name their holder, sign-in links bound to the browser that asked for them,
-- and sign-in addresses compared case-folded.

-- The token of the claim that holds a job: completing, failing or extending a job needs it, so a worker whose
-- lease ran out (and whose job another worker has claimed since) can no longer touch it.
ALTER TABLE jobs ADD COLUMN lease_token TEXT;
