-- Issue 14: the parcel carrier of an order (the reports' carrier dimension), and the outbox
-- (libs/outbox.py) that orders.submitted is written to in the transaction storing the order.
ALTER TABLE orders ADD COLUMN carrier text NOT NULL DEFAULT '';

-- NOTE: IF NOT EXISTS: the columns are libs/outbox.py's, the same in every service, so another
-- migration that also gives resolution an outbox leaves one table, not a failed migration.
CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
