-- Screening (issue 11): what the detectors found in each question, as JSON
-- ({"spans":[…],"findings":[…],"suggested_text"?,"myth_topic"?,"duplicate_of"?}).
-- The SQLite twin is ../sqlite/0002_screening.sql: keep the two in step.
ALTER TABLE questions ADD COLUMN screening_json TEXT NOT NULL DEFAULT '{}';
