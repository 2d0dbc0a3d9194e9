"""People of a tenant: users, roles, sessions, invitations, and the audit of what they change.

One principal (an API key or a signed-in user) stands behind every /v1 request; `permissions`
holds the one table of who may call what, and `dependencies.get_principal` (through `guard`)
enforces it; `audit` records every change.
"""
