-- Issue 16. (0005 is left to another branch's ingest migration.)

-- A reply revision ingest began to send, written and committed BEFORE the platform is called: after a
-- kill between the send and reply_publications, a redelivery finds this row and asks the platform
-- what it shows (the connector's current_reply) instead of sending again blindly.
CREATE TABLE reply_attempts (
    reply_id   uuid NOT NULL,
    revision   integer NOT NULL,
    tenant_id  uuid NOT NULL,
    action     text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reply_id, revision)
);

-- libs/token_bucket.py: one token bucket per (tenant, platform credential), shared by every replica.
-- key names the credential by a digest, never the credential itself.
CREATE TABLE rate_buckets (
    tenant_id     uuid NOT NULL,
    key           text NOT NULL,
    tokens        double precision NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- a platform's 429 Retry-After: no token before this
    blocked_until timestamptz,
    PRIMARY KEY (tenant_id, key)
);

-- A source whose credential the platform revoked or let expire (OAuth invalid_grant) gets status
-- 'needs_attention' (besides active, paused, webhook) with the reason, until new credentials are saved.
ALTER TABLE sources
    ADD COLUMN attention_reason text NOT NULL DEFAULT '',
    ADD COLUMN attention_since  timestamptz;
