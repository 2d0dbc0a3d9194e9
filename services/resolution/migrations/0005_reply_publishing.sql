-- Replies published on the platform (issue 16): each reply's publish state and the platform's
-- answer, and the transactional outbox (libs/outbox.py) its replies.publish_requested events leave
-- through, written in the transaction that stores the reply, so a NATS outage loses no request.
ALTER TABLE replies
    -- not_requested (kept in ReviewGuard), queued, published, failed, manual (no reply API: copy by hand)
    ADD COLUMN publish_state     text NOT NULL DEFAULT 'not_requested',
    ADD COLUMN platform_reply_id text NOT NULL DEFAULT '',
    ADD COLUMN published_at      timestamptz,
    ADD COLUMN publish_error     text NOT NULL DEFAULT '',
    -- Rises with each edit or deletion sent on; an outcome of an older revision is ignored.
    ADD COLUMN revision          integer NOT NULL DEFAULT 1,
    ADD COLUMN deleted_at        timestamptz,
    -- Private reply (Judge.me) rather than public.
    ADD COLUMN private           boolean NOT NULL DEFAULT false;

-- NOTE: IF NOT EXISTS: the same table (same columns as ingest's and alerting's) may also be created
-- by the case-events relay's move onto libs/outbox.py; either migration may land first.
CREATE TABLE IF NOT EXISTS outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
