-- The near-duplicate cluster and attack evidence of each analysis (contract fields 16–19 of
-- Analysis): alerting's competitor_attack rule counts clusters, and only this evidence, never
-- angry words, marks a review malicious.
ALTER TABLE analyses
    ADD COLUMN duplicate_cluster_id   text NOT NULL DEFAULT '',
    ADD COLUMN duplicate_cluster_size integer NOT NULL DEFAULT 0,
    ADD COLUMN malicious              boolean NOT NULL DEFAULT false,
    ADD COLUMN malicious_reasons      text[] NOT NULL DEFAULT '{}';
