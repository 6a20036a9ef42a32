-- Governance (SQLite): a complete, append-only audit log; retention of commenter data.
-- The PostgreSQL twin lives in ../postgres/0003_governance.sql: keep the two in step.

-- Who acted in which role, from where, and the state before and after the action.
ALTER TABLE audit_log ADD COLUMN actor_role TEXT
    CHECK (actor_role IS NULL OR actor_role IN ('admin', 'producer', 'moderator', 'specialist'));
ALTER TABLE audit_log ADD COLUMN client_addr TEXT;
ALTER TABLE audit_log ADD COLUMN before_json TEXT;
ALTER TABLE audit_log ADD COLUMN after_json TEXT;
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);

-- Append-only in the database itself: not even the application can change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: entries cannot be deleted');
END;

-- Retention: when a comment's raw text and author were purged (NULL while kept).
ALTER TABLE comments ADD COLUMN purged_at BIGINT;
CREATE INDEX comments_received ON comments (received_at);
CREATE INDEX comments_author ON comments (platform, author_id);
