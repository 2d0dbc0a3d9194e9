"""A tenant's report settings: the time zone its reports are counted in when a request names none.

NOTE: kept here, in the Reporting service's own schema, rather than beside the NLP service's tenant
settings (analysis tuning, versioned per batch) or the gateway's tenants (identity and keys): every
report path reads it (API, internal gRPC callers, schedules' exports), so one table in the same
database as the rollups answers it without a call to another service per report.
"""

from __future__ import annotations

import uuid

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from services.alerting.reporting.models import checked_zone

DEFAULT_ZONE = "UTC"


async def time_zone(pool: asyncpg.Pool, tenant_id: uuid.UUID) -> str:
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT time_zone FROM report_settings WHERE tenant_id = $1", tenant_id)
    return stored or DEFAULT_ZONE


async def put_time_zone(pool: asyncpg.Pool, tenant_id: uuid.UUID, zone: str) -> str:
    """Stores the tenant's zone (refused by name when not an IANA zone, nothing changed)."""
    if not zone:
        raise InvalidArgument("time_zone is required", [FieldViolation("time_zone", "required")])
    checked_zone(zone)
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO report_settings (tenant_id, time_zone) VALUES ($1, $2)
               ON CONFLICT (tenant_id) DO UPDATE SET time_zone = excluded.time_zone, updated_at = now()""",
            tenant_id, zone,
        )
    return zone
