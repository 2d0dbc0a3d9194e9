-- The transactional outbox (libs/outbox.py): alerts.fired events written in the transaction that
-- stores the alert, published by the relay once committed, so a NATS outage at the moment a trend
-- or SLA alert fires cannot lose the event (and with it the case resolution would open).
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
