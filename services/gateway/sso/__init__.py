"""OIDC single sign-on per tenant: its configuration (config.py), the provider client that runs the
authorization-code flow with PKCE and verifies ID tokens (provider.py), and the routes (routes.py)."""
