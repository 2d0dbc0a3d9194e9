-- What the NLP service keeps of each review it analysed: the text and stars it learns from
-- (operators retrain on their own data), the fields suspicion signals need, and the MinHash
-- signature for near-duplicates. Plus per-tenant models and run-time lexicon settings.
CREATE TABLE review_samples (
    seq          bigserial UNIQUE,
    review_id    uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    product_id   text NOT NULL,
    reviewer_id  text NOT NULL DEFAULT '',
    rating       smallint NOT NULL,
    language     text NOT NULL,
    posted_at    timestamptz NOT NULL,
    text         text NOT NULL,
    signature    bytea,
    cluster_id   uuid
);
CREATE INDEX review_samples_product_idx ON review_samples (tenant_id, product_id, posted_at);
CREATE INDEX review_samples_reviewer_idx ON review_samples (tenant_id, reviewer_id) WHERE reviewer_id <> '';
CREATE INDEX review_samples_seq_idx ON review_samples (tenant_id, seq);

-- Star models trained on a tenant's own reviews; the newest promoted one serves that tenant.
CREATE TABLE star_models (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL,
    version     text NOT NULL,
    onnx        bytea NOT NULL,
    metrics     jsonb NOT NULL,
    promoted    boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX star_models_promoted_idx ON star_models (tenant_id, created_at DESC) WHERE promoted;

-- Run-time additions per tenant: aspect tags (keywords/patterns per language) and competitor brands.
CREATE TABLE tenant_settings (
    tenant_id         uuid PRIMARY KEY,
    aspect_tags       jsonb NOT NULL DEFAULT '[]',
    competitor_brands jsonb NOT NULL DEFAULT '[]',
    version           integer NOT NULL DEFAULT 1,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
