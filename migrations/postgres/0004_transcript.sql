-- The public transcript (PostgreSQL): when a session is scheduled to start, where its recording
-- is, when each question went on air (for "watch this answer" links and WebVTT chapters), and
-- the full-text index of published answers. The SQLite twin is ../sqlite/0004_transcript.sql.

ALTER TABLE sessions ADD COLUMN starts_at BIGINT;
ALTER TABLE sessions ADD COLUMN recording_url TEXT;
ALTER TABLE questions ADD COLUMN on_air_at BIGINT;

-- One row per answered question, written in the transaction of the answer or correction that
-- changes it. Only public wording (weight A) and answers (weight B) are indexed. The `simple`
-- configuration: sessions are in English or Spanish, and prefix matching serves both.
CREATE TABLE transcript_search (
    question_id BIGINT   PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
    session_id  BIGINT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    document    TSVECTOR NOT NULL
);
CREATE INDEX transcript_search_document ON transcript_search USING GIN (document);

INSERT INTO transcript_search (question_id, session_id, document)
SELECT q.id, q.session_id,
       setweight(to_tsvector('simple', q.public_text), 'A') || setweight(to_tsvector('simple', a.text), 'B')
FROM questions q JOIN answers a ON a.question_id = q.id
WHERE q.state IN ('answered', 'corrected');
