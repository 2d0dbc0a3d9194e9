-- One case per alert, with its owner and SLA due times (SPEC §5).
CREATE TABLE cases (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id             uuid NOT NULL,
    alert_id              uuid NOT NULL,
    review_id             uuid,
    severity              smallint NOT NULL,
    status                smallint NOT NULL DEFAULT 1,
    owner                 text NOT NULL DEFAULT '',
    product_id            text NOT NULL DEFAULT '',
    marketplace           text NOT NULL DEFAULT '',
    opened_at             timestamptz NOT NULL,
    due_at                timestamptz NOT NULL,
    first_response_due_at timestamptz NOT NULL,
    UNIQUE (tenant_id, alert_id)
);

CREATE INDEX cases_tenant_opened_idx ON cases (tenant_id, opened_at DESC, id DESC);
CREATE INDEX cases_review_idx ON cases (tenant_id, review_id);
