-- A backlog review a person turned into an alert leaves the backlog (its alert is the record).
ALTER TABLE review_facts ADD COLUMN backlog_promoted_at timestamptz;
DROP INDEX review_facts_backlog_idx;
CREATE INDEX review_facts_backlog_idx ON review_facts (tenant_id, posted_at DESC, review_id DESC)
    WHERE history AND backlog_severity IS NOT NULL AND backlog_promoted_at IS NULL;
