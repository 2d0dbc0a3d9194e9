-- Case workflow (issue 6): state machine and audit trail, teams and agents, tenant policy, replies,
-- offers, appeals, the evidence chain, rating changes, review requests and the knowledge base.

ALTER TABLE cases
    ADD COLUMN resolution_reason smallint NOT NULL DEFAULT 0,
    ADD COLUMN platform          text NOT NULL DEFAULT '',
    ADD COLUMN language          text NOT NULL DEFAULT '',
    ADD COLUMN issue_type        text NOT NULL DEFAULT '',
    ADD COLUMN team_id           uuid,
    ADD COLUMN owner_agent_id    uuid,
    ADD COLUMN customer_id       text NOT NULL DEFAULT '',
    ADD COLUMN order_id          text NOT NULL DEFAULT '',
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN resolved_at       timestamptz,
    ADD COLUMN updated_at        timestamptz,
    ADD COLUMN summary           text NOT NULL DEFAULT '';

CREATE INDEX cases_owner_idx ON cases (tenant_id, owner_agent_id);
CREATE INDEX cases_customer_idx ON cases (tenant_id, customer_id) WHERE customer_id <> '';

-- The audit trail and the outbox of cases.* events: published_at is set once the relay published it.
CREATE TABLE case_events (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq          bigserial UNIQUE,
    tenant_id    uuid NOT NULL,
    case_id      uuid NOT NULL REFERENCES cases (id),
    kind         text NOT NULL,
    from_status  smallint NOT NULL DEFAULT 0,
    to_status    smallint NOT NULL DEFAULT 0,
    actor        text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}',
    at           timestamptz NOT NULL,
    -- cases.updated, or cases.sla_warning / cases.sla_breached.
    subject      text NOT NULL DEFAULT 'cases.updated',
    published_at timestamptz
);
CREATE INDEX case_events_case_idx ON case_events (case_id, seq);
CREATE INDEX case_events_unpublished_idx ON case_events (seq) WHERE published_at IS NULL;
-- NOTE: each SLA warning and breach is announced once per case, SLA and stage.
CREATE UNIQUE INDEX case_events_sla_once_idx ON case_events (case_id, kind, (detail ->> 'sla'))
    WHERE kind IN ('sla_warning', 'sla_breached');

CREATE TABLE teams (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    name       text NOT NULL,
    markets    text[] NOT NULL,
    timezone   text NOT NULL,
    work_start time NOT NULL DEFAULT '09:00',
    work_end   time NOT NULL DEFAULT '18:00',
    work_days  smallint[] NOT NULL DEFAULT '{0,1,2,3,4}',
    UNIQUE (tenant_id, name)
);

CREATE TABLE agents (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    team_id   uuid NOT NULL REFERENCES teams (id),
    name      text NOT NULL,
    languages text[] NOT NULL DEFAULT '{}',
    skills    text[] NOT NULL DEFAULT '{}',
    capacity  integer NOT NULL DEFAULT 20 CHECK (capacity > 0),
    away      boolean NOT NULL DEFAULT false,
    UNIQUE (tenant_id, name)
);

CREATE TABLE tenant_policies (
    tenant_id  uuid PRIMARY KEY,
    version    integer NOT NULL,
    policy     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Replies sent on a case, with the A/B variant used and its outcome.
CREATE TABLE replies (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    case_id   uuid NOT NULL REFERENCES cases (id),
    text      text NOT NULL,
    scenario  text NOT NULL DEFAULT '',
    language  text NOT NULL DEFAULT '',
    variant   text NOT NULL DEFAULT '',
    actor     text NOT NULL DEFAULT '',
    sent_at   timestamptz NOT NULL,
    responded boolean NOT NULL DEFAULT false,
    resolved  boolean NOT NULL DEFAULT false
);
CREATE INDEX replies_case_idx ON replies (case_id, sent_at);
CREATE INDEX replies_variant_idx ON replies (tenant_id, scenario, language) WHERE variant <> '';

CREATE TABLE offers (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL,
    case_id           uuid NOT NULL REFERENCES cases (id),
    option            text NOT NULL,
    cost              numeric(14, 2) NOT NULL CHECK (cost >= 0),
    currency          text NOT NULL,
    cost_usd          numeric(14, 2) NOT NULL,
    detail            text NOT NULL DEFAULT '',
    status            text NOT NULL CHECK (status IN ('pending_approval', 'offered')),
    requires_approval boolean NOT NULL,
    created_by        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    approved_by       text NOT NULL DEFAULT '',
    approved_at       timestamptz
);
CREATE INDEX offers_case_idx ON offers (case_id, created_at);

CREATE TABLE appeals (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    case_id   uuid NOT NULL REFERENCES cases (id),
    clause_id text NOT NULL,
    language  text NOT NULL,
    letter    text NOT NULL,
    findings  jsonb NOT NULL,
    filed_at  timestamptz NOT NULL
);
CREATE INDEX appeals_case_idx ON appeals (case_id, filed_at);

-- Evidence chain: append-only; every row is hashed and linked to the previous one of its case.
CREATE TABLE evidence_items (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL,
    case_id      uuid NOT NULL REFERENCES cases (id),
    idx          integer NOT NULL,
    kind         text NOT NULL,
    -- 'json' (canonical JSON text in content) or 'bytes'.
    content_type text NOT NULL CHECK (content_type IN ('json', 'bytes')),
    content      bytea NOT NULL,
    captured_at  timestamptz NOT NULL,
    source       text NOT NULL,
    description  text NOT NULL DEFAULT '',
    metadata     jsonb NOT NULL DEFAULT '{}',
    item_sha256  text NOT NULL,
    prev_sha256  text NOT NULL,
    appended_at  timestamptz NOT NULL,
    link_sha256  text NOT NULL,
    UNIQUE (case_id, idx)
);

CREATE FUNCTION evidence_items_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence_items is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER evidence_items_append_only
    BEFORE UPDATE OR DELETE ON evidence_items
    FOR EACH ROW EXECUTE FUNCTION evidence_items_append_only();

-- Rating changes of reviews (ingest's edit history), for the rating-recovery KPI.
CREATE TABLE rating_changes (
    tenant_id  uuid NOT NULL,
    review_id  uuid NOT NULL,
    old_rating smallint NOT NULL,
    new_rating smallint NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, review_id, changed_at)
);

-- Delivered orders and the review request scheduled for each (one per order).
CREATE TABLE orders (
    tenant_id        uuid NOT NULL,
    order_id         text NOT NULL,
    platform         text NOT NULL,
    marketplace      text NOT NULL,
    fulfilment       text NOT NULL CHECK (fulfilment IN ('platform', 'merchant')),
    customer_id      text NOT NULL,
    language         text NOT NULL,
    product_name     text NOT NULL,
    value            numeric(14, 2) NOT NULL,
    currency         text NOT NULL,
    annual_spend_usd numeric(14, 2) NOT NULL DEFAULT 0,
    delivered_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

CREATE TABLE review_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL,
    order_id      text NOT NULL,
    customer_id   text NOT NULL,
    marketplace   text NOT NULL,
    platform      text NOT NULL,
    language      text NOT NULL,
    tier          text NOT NULL,
    channels      text[] NOT NULL,
    send_at       timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'scheduled',
    status_detail text NOT NULL DEFAULT '',
    text          text NOT NULL DEFAULT '',
    sent_at       timestamptz,
    UNIQUE (tenant_id, order_id)
);
CREATE INDEX review_requests_due_idx ON review_requests (send_at) WHERE status = 'scheduled';

-- What is handed to the sender: one row per request and channel, so each goes out exactly once.
CREATE TABLE review_request_outbox (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id   uuid NOT NULL REFERENCES review_requests (id),
    tenant_id    uuid NOT NULL,
    order_id     text NOT NULL,
    channel      text NOT NULL,
    recipient    text NOT NULL,
    language     text NOT NULL,
    text         text NOT NULL,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    UNIQUE (tenant_id, order_id, channel)
);
CREATE INDEX review_request_outbox_pending_idx ON review_request_outbox (created_at) WHERE delivered_at IS NULL;

-- Knowledge base: handled cases, searchable by type, region, outcome and text.
CREATE TABLE knowledge_entries (
    case_id     uuid PRIMARY KEY REFERENCES cases (id),
    tenant_id   uuid NOT NULL,
    issue_type  text NOT NULL,
    marketplace text NOT NULL,
    region      text NOT NULL,
    outcome     text NOT NULL,
    platform    text NOT NULL,
    language    text NOT NULL,
    text        text NOT NULL,
    resolved_at timestamptz NOT NULL,
    -- NOTE: the `simple` configuration does not stem, so it treats every language alike.
    document    tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED
);
CREATE INDEX knowledge_entries_document_idx ON knowledge_entries USING gin (document);
CREATE INDEX knowledge_entries_filter_idx ON knowledge_entries (tenant_id, issue_type, region, outcome);
