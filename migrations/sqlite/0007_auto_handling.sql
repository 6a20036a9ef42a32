-- A session's automatic handling by screening, set by its producer; both off by default (SQLite).
-- The twin lives in ../postgres/0007_auto_handling.sql: keep the two in step.
ALTER TABLE sessions ADD COLUMN auto_reject_spam BIGINT NOT NULL DEFAULT 0 CHECK (auto_reject_spam IN (0, 1));
ALTER TABLE sessions ADD COLUMN auto_merge_duplicates BIGINT NOT NULL DEFAULT 0 CHECK (auto_merge_duplicates IN (0, 1));
