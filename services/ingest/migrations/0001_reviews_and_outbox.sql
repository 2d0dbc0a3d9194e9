-- The canonical review record (SPEC §2) and the transactional outbox that publishes it.
CREATE TABLE reviews (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL,
    platform          text NOT NULL,
    marketplace       text NOT NULL,
    store_id          text NOT NULL DEFAULT '',
    external_id       text NOT NULL,
    product_id        text NOT NULL,
    product_line      text NOT NULL DEFAULT '',
    order_id          text NOT NULL DEFAULT '',
    reviewer_id       text NOT NULL DEFAULT '',
    reviewer_name     text NOT NULL DEFAULT '',
    rating            smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title             text NOT NULL DEFAULT '',
    body              text NOT NULL DEFAULT '',
    language          text NOT NULL DEFAULT '',
    posted_at         timestamptz NOT NULL,
    captured_at       timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    verified_purchase boolean NOT NULL DEFAULT false,
    media_urls        jsonb NOT NULL DEFAULT '[]',
    reply_state       text NOT NULL DEFAULT 'none',
    competitor        boolean NOT NULL DEFAULT false,
    version           integer NOT NULL DEFAULT 1,
    -- sha256 of the fields a platform can change; equal hash means "seen already".
    content_hash      bytea NOT NULL,
    UNIQUE (tenant_id, platform, external_id)
);

CREATE INDEX reviews_tenant_posted_idx ON reviews (tenant_id, posted_at DESC);
CREATE INDEX reviews_tenant_product_idx ON reviews (tenant_id, product_id);

-- Rows written in the same transaction as the review; the relay publishes then deletes them.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    msg_id     text NOT NULL,
    payload    bytea NOT NULL,
    headers    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0
);
