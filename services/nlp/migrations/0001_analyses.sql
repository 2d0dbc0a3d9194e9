-- One analysis per review: re-analysis (a redelivery, a new review version) overwrites it.
CREATE TABLE analyses (
    review_id           uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL,
    review_version      integer NOT NULL,
    language            text NOT NULL,
    language_confidence real NOT NULL,
    risk_terms          jsonb NOT NULL DEFAULT '[]',
    malicious_candidate boolean NOT NULL DEFAULT false,
    predicted_stars     smallint,
    star_probs          real[],
    negative_score      real,
    aspects             text[] NOT NULL DEFAULT '{}',
    suspicion           real NOT NULL DEFAULT 0,
    suspicion_reasons   text[] NOT NULL DEFAULT '{}',
    analyzer_version    text NOT NULL,
    analyzed_at         timestamptz NOT NULL DEFAULT now(),
    -- How many times this review was analysed: more than once only after a redelivery or an edit.
    runs                integer NOT NULL DEFAULT 1
);

CREATE INDEX analyses_tenant_idx ON analyses (tenant_id, analyzed_at DESC);
