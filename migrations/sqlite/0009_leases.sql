-- Leases for several nodes on one database (SQLite). The twin lives in
-- ../postgres/0009_leases.sql: keep the two in step.
-- An outbox claim names the node that holds it and when its lease runs out: only an expired
-- lease is reconciled by another node, and only the holder records the outcome.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;
CREATE INDEX outbox_leases ON outbox (status, lease_until);
-- Each live source is polled by the node holding its polling lease, renewed while it polls.
ALTER TABLE sources ADD COLUMN poll_owner TEXT;
ALTER TABLE sources ADD COLUMN poll_lease_until BIGINT;
