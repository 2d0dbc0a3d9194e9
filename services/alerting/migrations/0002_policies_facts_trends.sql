-- Tenant policies, the review facts daily figures are computed from, and alert lifecycle.
CREATE TABLE policies (
    tenant_id  uuid PRIMARY KEY,
    policy     jsonb NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per review (latest version), its day counted in the marketplace's time zone.
CREATE TABLE review_facts (
    review_id       uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    version         integer NOT NULL,
    platform        text NOT NULL,
    marketplace     text NOT NULL,
    store_id        text NOT NULL,
    product_id      text NOT NULL,
    rating          smallint NOT NULL,
    aspects         text[] NOT NULL DEFAULT '{}',
    posted_at       timestamptz NOT NULL,
    local_day       date NOT NULL,
    competitor      boolean NOT NULL DEFAULT false
);

CREATE INDEX review_facts_product_idx ON review_facts (tenant_id, product_id, local_day) WHERE NOT competitor;
CREATE INDEX review_facts_store_idx ON review_facts (tenant_id, store_id, local_day) WHERE NOT competitor;
CREATE INDEX review_facts_marketplace_idx ON review_facts (tenant_id, marketplace, local_day) WHERE NOT competitor;

ALTER TABLE alerts
    ADD COLUMN scope text NOT NULL DEFAULT '',
    ADD COLUMN summary text NOT NULL DEFAULT '',
    ADD COLUMN day date,
    ADD COLUMN case_id uuid,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by text NOT NULL DEFAULT '',
    ADD COLUMN resolved_at timestamptz;

CREATE INDEX alerts_labels_idx ON alerts USING gin (labels jsonb_path_ops);

-- Every change of an alert's state, for the history a person can query.
CREATE TABLE alert_events (
    id       bigserial PRIMARY KEY,
    alert_id uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL DEFAULT now(),
    action   text NOT NULL,
    actor    text NOT NULL DEFAULT ''
);
