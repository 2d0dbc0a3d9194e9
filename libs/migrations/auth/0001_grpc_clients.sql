-- Internal teams' gRPC client tokens (libs/grpc_auth.py): stored as HMAC-SHA-256 under a pepper the
-- database never holds, each scoped to tenants ('*' = all) and methods (full names or "/pkg.Service/" prefixes).
CREATE TABLE grpc_clients (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    token_digest bytea NOT NULL UNIQUE,
    tenants text[] NOT NULL,
    methods text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
-- One live token per name; a revoked name may be created again.
CREATE UNIQUE INDEX grpc_clients_live_name ON grpc_clients (name) WHERE revoked_at IS NULL;
