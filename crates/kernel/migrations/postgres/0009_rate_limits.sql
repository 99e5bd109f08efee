-- Rate-limit counters (ADR 0019): one row per rule, key (client address, login id, form) and fixed window,
-- incremented with one atomic upsert so that every instance sharing the database counts together.
CREATE TABLE rate_limit_hits (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (bucket, key, window_start)
);
CREATE INDEX rate_limit_hits_expires ON rate_limit_hits (expires_at);
