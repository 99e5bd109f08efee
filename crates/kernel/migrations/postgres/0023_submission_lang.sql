-- The language the resident applied in (ja, en, ja-easy), so that mails sent later — status notices, messages
-- from staff — are written in it (ADR 0013).
ALTER TABLE submissions ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';
