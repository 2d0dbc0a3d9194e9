-- Fired alerts, their state and history. dedup_key makes firing idempotent under redelivery.
CREATE TABLE alerts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL,
    rule        text NOT NULL,
    severity    smallint NOT NULL,
    status      smallint NOT NULL DEFAULT 1,
    review_id   uuid,
    platform    text NOT NULL DEFAULT '',
    marketplace text NOT NULL DEFAULT '',
    product_id  text NOT NULL DEFAULT '',
    reasons     jsonb NOT NULL DEFAULT '[]',
    labels      jsonb NOT NULL DEFAULT '{}',
    fired_at    timestamptz NOT NULL DEFAULT now(),
    dedup_key   text NOT NULL,
    UNIQUE (tenant_id, dedup_key)
);

CREATE INDEX alerts_tenant_fired_idx ON alerts (tenant_id, fired_at DESC, id DESC);
CREATE INDEX alerts_review_idx ON alerts (tenant_id, review_id);
