-- Backstage notes from the moderators to the specialist, with a read receipt (PostgreSQL).
-- The SQLite twin lives in ../sqlite/0005_screens.sql: keep the two in step.
CREATE TABLE backstage_notes (
    id           BIGSERIAL PRIMARY KEY,
    session_id   BIGINT  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- The question the note is about, if any.
    question_id  BIGINT  REFERENCES questions (id),
    author_id    BIGINT  REFERENCES users (id),
    author_name  TEXT    NOT NULL,
    text         TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    created_at   BIGINT  NOT NULL,
    read_at      BIGINT,
    read_by_name TEXT,
    CHECK ((read_at IS NULL) = (read_by_name IS NULL))
);
CREATE INDEX backstage_notes_session ON backstage_notes (session_id, id);
