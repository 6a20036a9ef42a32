-- Screening (issue 11): what the detectors found in each question, as JSON
-- ({"spans":[…],"findings":[…],"suggested_text"?,"myth_topic"?,"duplicate_of"?}).
-- The PostgreSQL twin is ../postgres/0002_screening.sql: keep the two in step.
ALTER TABLE questions ADD COLUMN screening_json TEXT NOT NULL DEFAULT '{}';

-- Emergencies stay on the follow-up list until a staff member records what happened.
CREATE TABLE emergency_outcomes (
    question_id BIGINT PRIMARY KEY REFERENCES questions (id),
    outcome     TEXT   NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    actor_name  TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
