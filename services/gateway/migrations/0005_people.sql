-- People of a tenant, their sessions and invitations, failed logins, and the audit log
-- (services/gateway/people/). Secrets (passwords, session ids, invitation tokens) are stored
-- only as argon2 hashes or SHA-256 digests.
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Lower-cased and trimmed: one person, one row, whatever case they type.
    email         text NOT NULL,
    password_hash text,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'agent', 'viewer')),
    -- The resolution service's team (its markets scope what an agent sees); none = every market.
    team          text,
    locale        text NOT NULL DEFAULT 'en',
    time_zone     text NOT NULL DEFAULT 'UTC',
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);

CREATE TABLE invitations (
    token_hash  bytea PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);

CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed logins by subject ('account:<tenant>:<email>' or 'ip:<address>'), shared by every
-- gateway replica so a guesser cannot spread attempts over them.
CREATE TABLE login_failures (
    subject   text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_subject ON login_failures (subject, failed_at);

CREATE TABLE audit_log (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    -- 'user:<email>' or 'key:<prefix>': who, readable without a join (a deleted user stays named).
    actor      text NOT NULL,
    method     text NOT NULL,
    route      text NOT NULL,
    target     text,
    status     int NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at DESC, id DESC);

-- Scopes of an API key. Keys made before scopes existed keep every scope: they were full-access
-- keys and narrowing them silently would break the integrations that use them.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['read', 'write', 'admin'];
