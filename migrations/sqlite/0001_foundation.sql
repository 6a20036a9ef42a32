-- Curbside foundation schema (SQLite). Times are unix milliseconds (BIGINT); JSON is TEXT.
-- The PostgreSQL twin lives in ../postgres/0001_foundation.sql: keep the two in step.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'producer', 'moderator', 'specialist')),
    credentials   TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

-- Staff sign-ins live in the database so a token from one node works on every node.
CREATE TABLE logins (
    token_hash   TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_hash    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX logins_user ON logins (user_id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('scheduled', 'live', 'ended')),
    disclaimer  TEXT    NOT NULL,
    overlay_key TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    started_at  BIGINT,
    ended_at    BIGINT,
    -- The offset of the session's newest event. Incremented in the transaction that appends
    -- events, so offsets are gap-free and assigned by the database, whichever node writes.
    last_offset BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE session_specialists (
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      BIGINT  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    platform        TEXT    NOT NULL CHECK (platform IN ('facebook', 'instagram', 'web')),
    -- The source's platform ids as JSON (SourceSpec without the platform tag).
    spec_json       TEXT    NOT NULL,
    -- What webhooks name: facebook `{page_id}_{video_id}` (NULL until the video id is known),
    -- instagram the media id.
    match_key       TEXT,
    -- The object that is polled and whose status changes arrive: the live video or the IG media.
    object_id       TEXT    NOT NULL,
    -- The Page or IG account id: comments it writes are the hospital's own (never questions).
    owner_id        TEXT    NOT NULL,
    -- Write-only: used for Graph calls, never returned by the API, never logged.
    access_token    TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'idle',
    last_comment_at BIGINT,
    last_error      TEXT,
    usage_percent   DOUBLE PRECISION,
    -- Polling resumes from here after a restart (unix seconds of the newest polled comment).
    poll_since      BIGINT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX sources_session ON sources (session_id);
CREATE INDEX sources_match ON sources (platform, match_key);
CREATE INDEX sources_object ON sources (platform, object_id);

CREATE TABLE questions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     BIGINT  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    state          TEXT    NOT NULL,
    version        BIGINT  NOT NULL DEFAULT 1,
    public_text    TEXT    NOT NULL,
    original_text  TEXT    NOT NULL,
    flags_json     TEXT    NOT NULL DEFAULT '[]',
    asked_by_count BIGINT  NOT NULL DEFAULT 1,
    merged_into    BIGINT  REFERENCES questions (id),
    reject_reason  TEXT,
    last_actor     TEXT,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX questions_session ON questions (session_id, id);

-- Raw platform comments: staff-only data, kept apart from the public wording so it can be purged.
CREATE TABLE comments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    platform            TEXT    NOT NULL,
    platform_comment_id TEXT    NOT NULL,
    session_id          BIGINT  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    source_id           BIGINT  REFERENCES sources (id) ON DELETE SET NULL,
    question_id         BIGINT  REFERENCES questions (id),
    -- The question the comment first created; merges move `question_id`, never this.
    origin_question_id  BIGINT  REFERENCES questions (id),
    author_id           TEXT,
    author_name         TEXT,
    text                TEXT    NOT NULL,
    parent_id           TEXT,
    platform_time       BIGINT  NOT NULL,
    received_at         BIGINT  NOT NULL,
    via                 TEXT    NOT NULL,
    -- The text as first received, kept when the author edits the comment (NULL if never edited).
    first_text          TEXT,
    edited_at           BIGINT,
    removed_at          BIGINT,
    hidden_at           BIGINT,
    UNIQUE (platform, platform_comment_id)
);
CREATE INDEX comments_question ON comments (question_id);
CREATE INDEX comments_session ON comments (session_id);

CREATE TABLE answers (
    question_id  BIGINT PRIMARY KEY REFERENCES questions (id),
    text         TEXT   NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    author_name  TEXT   NOT NULL,
    credentials  TEXT   NOT NULL,
    answered_at  BIGINT NOT NULL,
    corrected_at BIGINT
);

-- Every version an answer has had, oldest first; the current one is in `answers`.
CREATE TABLE answer_revisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id BIGINT NOT NULL REFERENCES questions (id),
    text        TEXT   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    author_name TEXT   NOT NULL,
    credentials TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX answer_revisions_question ON answer_revisions (question_id, id);

-- The event log: the single source of truth the hub, consoles, transcript and resume read.
CREATE TABLE events (
    session_id   BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    event_offset BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    staff_json   TEXT   NOT NULL,
    public_json  TEXT,
    PRIMARY KEY (session_id, event_offset)
);

-- Append-only record of staff actions, written in the same transaction as the action.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    session_id  BIGINT,
    question_id BIGINT,
    detail_json TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_session ON audit_log (session_id, id);

-- Platform actions waiting to be delivered (replies, private replies, hides). Written in the
-- transaction of the staff action that causes them; delivered by the outbox worker, which
-- marks an attempt `sending` before calling the platform so a crash can be reconciled.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      BIGINT  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    question_id     BIGINT  REFERENCES questions (id),
    source_id       BIGINT  REFERENCES sources (id) ON DELETE SET NULL,
    platform        TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('reply', 'private_reply', 'hide')),
    -- The platform comment the action targets.
    target_id       TEXT    NOT NULL,
    text            TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'expired')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT,
    result_id       TEXT,
    next_attempt_at BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    -- One reply (or hide) per comment, ever: the database refuses a second.
    UNIQUE (kind, target_id)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_question ON outbox (question_id);
