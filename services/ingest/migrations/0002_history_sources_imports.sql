-- Edit history, removal, syndication links and capture channel of reviews; sources (pull
-- connectors and webhook senders), webhook replay guard, and file import jobs.
ALTER TABLE reviews
    ADD COLUMN status            text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'removed')),
    ADD COLUMN syndication_group text NOT NULL DEFAULT '',
    ADD COLUMN syndicated_from   uuid,
    ADD COLUMN source_id         uuid,
    ADD COLUMN channel           text NOT NULL DEFAULT 'api';

CREATE INDEX reviews_syndication_idx ON reviews (tenant_id, syndication_group) WHERE syndication_group <> '';
CREATE INDEX reviews_tenant_captured_idx ON reviews (tenant_id, captured_at DESC);

-- Every superseded version of a review, written by the trigger below; the current version stays
-- in `reviews`. `changed_fields` and `next_rating` describe the change that superseded it.
CREATE TABLE review_versions (
    review_id         uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    version           integer NOT NULL,
    tenant_id         uuid NOT NULL,
    platform          text NOT NULL,
    marketplace       text NOT NULL,
    store_id          text NOT NULL,
    external_id       text NOT NULL,
    product_id        text NOT NULL,
    product_line      text NOT NULL,
    order_id          text NOT NULL,
    reviewer_id       text NOT NULL,
    reviewer_name     text NOT NULL,
    rating            smallint NOT NULL,
    title             text NOT NULL,
    body              text NOT NULL,
    language          text NOT NULL,
    posted_at         timestamptz NOT NULL,
    verified_purchase boolean NOT NULL,
    media_urls        jsonb NOT NULL,
    reply_state       text NOT NULL,
    competitor        boolean NOT NULL,
    status            text NOT NULL,
    recorded_at       timestamptz NOT NULL,
    superseded_at     timestamptz NOT NULL DEFAULT now(),
    changed_fields    text[] NOT NULL,
    next_rating       smallint NOT NULL,
    PRIMARY KEY (review_id, version)
);

CREATE INDEX review_versions_rating_changes_idx ON review_versions (tenant_id, superseded_at DESC)
    WHERE rating <> next_rating;

-- NOTE: a trigger rather than a read-then-write in the service: two transactions racing on the
-- same review (one inserting it, one changing it) would otherwise lose the first version, and
-- the trigger sees the exact OLD row under the row lock.
CREATE FUNCTION archive_review_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_versions (
        review_id, version, tenant_id, platform, marketplace, store_id, external_id, product_id,
        product_line, order_id, reviewer_id, reviewer_name, rating, title, body, language, posted_at,
        verified_purchase, media_urls, reply_state, competitor, status, recorded_at, changed_fields,
        next_rating)
    VALUES (
        OLD.id, OLD.version, OLD.tenant_id, OLD.platform, OLD.marketplace, OLD.store_id, OLD.external_id,
        OLD.product_id, OLD.product_line, OLD.order_id, OLD.reviewer_id, OLD.reviewer_name, OLD.rating,
        OLD.title, OLD.body, OLD.language, OLD.posted_at, OLD.verified_purchase, OLD.media_urls,
        OLD.reply_state, OLD.competitor, OLD.status, OLD.updated_at,
        ARRAY(
            SELECT o.key FROM jsonb_each(to_jsonb(OLD)) o JOIN jsonb_each(to_jsonb(NEW)) n USING (key)
            WHERE o.value IS DISTINCT FROM n.value
              AND o.key NOT IN ('id', 'version', 'updated_at', 'captured_at', 'content_hash',
                                'syndication_group', 'syndicated_from', 'source_id', 'channel')
            ORDER BY o.key),
        NEW.rating);
    RETURN NEW;
END $$;

CREATE TRIGGER reviews_archive_version
    BEFORE UPDATE ON reviews
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION archive_review_version();

-- Pull connectors and webhook senders. `settings` and `webhook_secret` are SecretBox tokens.
CREATE TABLE sources (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id             uuid NOT NULL,
    kind                  text NOT NULL,
    name                  text NOT NULL,
    settings              bytea,
    settings_keys         text[] NOT NULL DEFAULT '{}',
    webhook_secret        bytea,
    competitor            boolean NOT NULL DEFAULT false,
    backfill_days         integer NOT NULL,
    poll_interval_seconds integer NOT NULL,
    -- active, paused, or webhook (a source that is never polled)
    status                text NOT NULL,
    -- services.ingest.connectors.schedule.SourceState as JSON: cursor, watermark, failures, ...
    cursor                jsonb NOT NULL DEFAULT '{}',
    last_error            text NOT NULL DEFAULT '',
    next_poll_at          timestamptz,
    lease_until           timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE INDEX sources_due_idx ON sources (next_poll_at) WHERE status = 'active';

-- Signatures already accepted, so a captured webhook call cannot be replayed.
CREATE TABLE webhook_deliveries (
    source_id   uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    signature   bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, signature)
);

CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);

CREATE TABLE import_jobs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    format      text NOT NULL,
    mapping     text NOT NULL,
    file_name   text NOT NULL DEFAULT '',
    bytes       bigint NOT NULL DEFAULT 0,
    encoding    text NOT NULL DEFAULT '',
    competitor  boolean NOT NULL DEFAULT false,
    rows_read   bigint NOT NULL DEFAULT 0,
    rows_good   bigint NOT NULL DEFAULT 0,
    rows_bad    bigint NOT NULL DEFAULT 0,
    created     bigint NOT NULL DEFAULT 0,
    updated     bigint NOT NULL DEFAULT 0,
    errors      jsonb NOT NULL DEFAULT '[]',
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE INDEX import_jobs_tenant_idx ON import_jobs (tenant_id, created_at DESC);
