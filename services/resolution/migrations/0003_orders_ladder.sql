-- Issue 13: the order and customer on every case, what resolution knows of each review, and the
-- compensation ladder's full lifecycle (recommended → pending_approval → approved → offered →
-- accepted | declined).

ALTER TABLE cases
    ADD COLUMN order_value        numeric(14, 2),
    ADD COLUMN order_currency     text NOT NULL DEFAULT '',
    ADD COLUMN fulfilment         text NOT NULL DEFAULT '',
    ADD COLUMN annual_spend_usd   numeric(14, 2),
    -- The platform's own ids, which letters to the platform cite (never our UUIDs).
    ADD COLUMN review_external_id text NOT NULL DEFAULT '',
    ADD COLUMN reviewer_id        text NOT NULL DEFAULT '';
CREATE INDEX cases_order_idx ON cases (tenant_id, order_id) WHERE order_id <> '';
CREATE INDEX cases_reviewer_idx ON cases (tenant_id, reviewer_id) WHERE reviewer_id <> '';

-- One row per review ingest stored: the facts a case and the review-request gate need from it.
CREATE TABLE review_facts (
    tenant_id   uuid NOT NULL,
    review_id   uuid NOT NULL,
    platform    text NOT NULL DEFAULT '',
    external_id text NOT NULL DEFAULT '',
    product_id  text NOT NULL DEFAULT '',
    order_id    text NOT NULL DEFAULT '',
    reviewer_id text NOT NULL DEFAULT '',
    rating      smallint NOT NULL DEFAULT 0,
    posted_at   timestamptz,
    history     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, review_id)
);
CREATE INDEX review_facts_order_idx ON review_facts (tenant_id, order_id) WHERE order_id <> '';
CREATE INDEX review_facts_reviewer_idx ON review_facts (tenant_id, reviewer_id, posted_at) WHERE reviewer_id <> '';

ALTER TABLE offers DROP CONSTRAINT offers_status_check;
ALTER TABLE offers ADD CONSTRAINT offers_status_check
    CHECK (status IN ('recommended', 'pending_approval', 'approved', 'offered', 'accepted', 'declined'));
ALTER TABLE offers
    -- The cost in the order's currency (explicitly converted), which the cap is summed in.
    ADD COLUMN cost_in_order_currency numeric(14, 2),
    ADD COLUMN decided_by             text NOT NULL DEFAULT '',
    ADD COLUMN decided_at             timestamptz;
