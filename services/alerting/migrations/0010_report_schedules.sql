-- Issue 14: reports e-mailed weekly or monthly. A schedule's due period becomes one run row (its
-- primary key is the period), which one replica claims at a time, so each period is sent once.
CREATE TABLE report_schedules (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    kind         text NOT NULL,
    params       jsonb NOT NULL,
    grain        text NOT NULL CHECK (grain IN ('week', 'month')),
    formats      text[] NOT NULL,
    receiver     text NOT NULL,
    recipients   text[] NOT NULL,
    time_zone    text NOT NULL,
    send_time    time NOT NULL,
    day          smallint NOT NULL,
    next_send_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE INDEX report_schedules_tenant_idx ON report_schedules (tenant_id, created_at, id);
CREATE INDEX report_schedules_due_idx ON report_schedules (next_send_at);

CREATE TABLE report_schedule_runs (
    schedule_id     uuid NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
    tenant_id       uuid NOT NULL,
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    -- pending → sending (claimed until lease_until) → sent | failed; back to pending on a transient failure.
    status          text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    error           text NOT NULL DEFAULT '',
    sent_at         timestamptz,
    PRIMARY KEY (schedule_id, period_start)
);

CREATE INDEX report_schedule_runs_due_idx ON report_schedule_runs (next_attempt_at) WHERE status IN ('pending', 'sending');
