-- Round 2 (issue 13): trend alerts group by incident, facts know what the rules need.

-- One alert per incident: findings with the same incident_key (rule, scope, aspect) within the
-- policy's gap update the latest alert instead of firing a new one.
ALTER TABLE alerts
    ADD COLUMN incident_key text,
    ADD COLUMN updated_at timestamptz;
CREATE INDEX alerts_incident_idx ON alerts (tenant_id, incident_key, day DESC) WHERE incident_key IS NOT NULL;

-- What the rules read beside the rating: the negative score (aspect complaints), the near-duplicate
-- cluster (competitor attacks) and whether the review came as history (imports never page).
-- A history review keeps its would-be grade here: the backlog a team triages.
ALTER TABLE review_facts
    ADD COLUMN negative_score real,
    ADD COLUMN duplicate_cluster_id text NOT NULL DEFAULT '',
    ADD COLUMN malicious boolean NOT NULL DEFAULT false,
    ADD COLUMN history boolean NOT NULL DEFAULT false,
    ADD COLUMN backlog_severity smallint,
    ADD COLUMN backlog_summary text NOT NULL DEFAULT '',
    ADD COLUMN backlog_reasons jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN backlog_labels jsonb NOT NULL DEFAULT '{}';
CREATE INDEX review_facts_cluster_idx ON review_facts (tenant_id, duplicate_cluster_id) WHERE duplicate_cluster_id <> '';
CREATE INDEX review_facts_backlog_idx ON review_facts (tenant_id, posted_at DESC, review_id DESC)
    WHERE history AND backlog_severity IS NOT NULL;
