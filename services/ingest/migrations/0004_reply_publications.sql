-- Replies ingest put on a platform (or took down) for resolution, one row per (reply, revision):
-- a redelivered request for a revision already done is answered from here, never sent again.
CREATE TABLE reply_publications (
    tenant_id         uuid NOT NULL,
    reply_id          uuid NOT NULL,
    revision          integer NOT NULL,
    action            text NOT NULL,
    source_id         uuid,
    platform_reply_id text NOT NULL DEFAULT '',
    published_at      timestamptz NOT NULL,
    PRIMARY KEY (reply_id, revision)
);
