-- API keys are stored as HMAC-SHA-256 under a server-side pepper (services/gateway/api_keys.py).
-- Rows from before keep their bare SHA-256 ('sha256') until their first use re-hashes them.
ALTER TABLE api_keys ADD COLUMN hash_kind text NOT NULL DEFAULT 'sha256' CHECK (hash_kind IN ('sha256', 'hmac'));
