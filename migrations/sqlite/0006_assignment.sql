-- A question assigned by a moderator to one of its session's specialists (sqlite; the twin in
-- ../postgres/0006_assignment.sql is identical). NULL: not assigned.
ALTER TABLE questions ADD COLUMN assigned_to BIGINT REFERENCES users (id);
