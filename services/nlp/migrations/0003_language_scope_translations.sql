-- Language detection per tenant: the marketplaces seen in its reviews (learned as they arrive)
-- and languages the tenant adds itself. Translation per tenant: its provider settings, sealed
-- with the deployment's secret keys (they hold API keys), NULL while translation is off.
ALTER TABLE tenant_settings
    ADD COLUMN marketplaces    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN extra_languages text[] NOT NULL DEFAULT '{}',
    ADD COLUMN translation     bytea;

-- A machine translation per review: queued in the transaction that stores the analysis, done by
-- the translation worker, so a slow or failing provider never holds up analysis or alerts. The
-- original text stays in review_samples (and in ingest); this row only adds the translation.
CREATE TABLE translations (
    review_id        uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    review_version   integer NOT NULL,
    source_language  text NOT NULL,
    target_language  text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    text             text,
    provider         text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX translations_due_idx ON translations (next_attempt_at) WHERE status = 'pending';
