-- Receivers (configs encrypted at rest), silences, and the durable notification pipeline:
-- alert → groups (per route, receiver and group key) → deliveries (an outbox retried until sent).
CREATE TABLE receivers (
    tenant_id   uuid NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    -- Fernet-encrypted JSON of the receiver's config, secrets included.
    config      bytea NOT NULL,
    quiet_hours jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE silences (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    matchers   jsonb NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    weekly     jsonb,
    comment    text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX silences_tenant_idx ON silences (tenant_id, ends_at);

CREATE TABLE notification_groups (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL,
    route_path       text NOT NULL,
    receiver         text NOT NULL,
    group_key        text NOT NULL,
    group_wait       double precision NOT NULL,
    group_interval   double precision NOT NULL,
    repeat_interval  double precision NOT NULL,
    escalate_to      text[] NOT NULL DEFAULT '{}',
    escalate_after   double precision NOT NULL DEFAULT 30,
    next_flush_at    timestamptz,
    last_flushed_at  timestamptz,
    UNIQUE (tenant_id, route_path, receiver, group_key)
);
CREATE INDEX notification_groups_due_idx ON notification_groups (next_flush_at) WHERE next_flush_at IS NOT NULL;

CREATE TABLE group_alerts (
    group_id    uuid NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
    alert_id    uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL,
    notified_at timestamptz,
    -- Escalation: how many receivers of escalate_to were told, and when the next one is due.
    escalation_step integer NOT NULL DEFAULT 0,
    escalate_at timestamptz,
    PRIMARY KEY (group_id, alert_id)
);
CREATE INDEX group_alerts_escalate_idx ON group_alerts (escalate_at) WHERE escalate_at IS NOT NULL;

CREATE TABLE deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL,
    receiver        text NOT NULL,
    kind            text NOT NULL,
    alert_ids       uuid[] NOT NULL,
    status          text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
