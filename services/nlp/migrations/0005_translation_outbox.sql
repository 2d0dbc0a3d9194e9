-- Issue 14: the transactional outbox (libs/outbox.py) of reviews.translated, written in the
-- transaction that stores the translation, so a NATS outage then cannot lose the inbox's copy.
-- NOTE: IF NOT EXISTS: the columns are libs/outbox.py's, the same in every service.
CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
