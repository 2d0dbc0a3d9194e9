-- Per-tenant OIDC single sign-on (services/gateway/sso/). The client secret is sealed with
-- libs/crypto.SecretBox (Fernet, REVIEWGUARD_SECRET_KEYS); the database never holds it in clear.
CREATE TABLE sso_configs (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    issuer          text NOT NULL,
    client_id       text NOT NULL,
    client_secret   bytea NOT NULL,
    allowed_domains text[] NOT NULL DEFAULT '{}',
    default_role    text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
