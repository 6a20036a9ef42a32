-- The public transcript (SQLite): when a session is scheduled to start, where its recording is,
-- when each question went on air (for "watch this answer" links and WebVTT chapters), and the
-- full-text index of published answers. The PostgreSQL twin is ../postgres/0004_transcript.sql.

ALTER TABLE sessions ADD COLUMN starts_at BIGINT;
ALTER TABLE sessions ADD COLUMN recording_url TEXT;
ALTER TABLE questions ADD COLUMN on_air_at BIGINT;

-- One row per answered question (rowid = question id), written in the transaction of the
-- answer or correction that changes it. Only public wording and answers are indexed.
CREATE VIRTUAL TABLE transcript_fts USING fts5(
    question,
    answer,
    session_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO transcript_fts (rowid, question, answer, session_id)
SELECT q.id, q.public_text, a.text, q.session_id
FROM questions q JOIN answers a ON a.question_id = q.id
WHERE q.state IN ('answered', 'corrected');
