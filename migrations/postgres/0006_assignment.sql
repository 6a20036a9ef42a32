-- A question assigned by a moderator to one of its session's specialists (postgres; the twin in
-- ../sqlite/0006_assignment.sql is identical). NULL: not assigned.
ALTER TABLE questions ADD COLUMN assigned_to BIGINT REFERENCES users (id);
