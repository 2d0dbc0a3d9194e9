"""SQL of the notification pipeline: receivers, silences, groups, escalations, deliveries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg



async def put_receiver(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str, *, kind: str, sealed: bytes, quiet_hours: dict | None
) -> None:
    await conn.execute(
        """INSERT INTO receivers (tenant_id, name, kind, config, quiet_hours) VALUES ($1, $2, $3, $4, $5::jsonb)
           ON CONFLICT (tenant_id, name) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config,
               quiet_hours = EXCLUDED.quiet_hours, updated_at = now()""",
        tenant_id,
        name,
        kind,
        sealed,
        json.dumps(quiet_hours) if quiet_hours else None,
    )


async def get_receiver(conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM receivers WHERE tenant_id = $1 AND name = $2", tenant_id, name)


async def list_receivers(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM receivers WHERE tenant_id = $1 ORDER BY name", tenant_id)


async def delete_receiver(conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str) -> bool:
    return await conn.fetchval("DELETE FROM receivers WHERE tenant_id = $1 AND name = $2 RETURNING true", tenant_id, name) or False


async def create_silence(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, matchers: list[str], starts_at: datetime, ends_at: datetime,
    weekly: dict | None, comment: str, created_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO silences (tenant_id, matchers, starts_at, ends_at, weekly, comment, created_by)
           VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6, $7) RETURNING *""",
        tenant_id, json.dumps(matchers), starts_at, ends_at, json.dumps(weekly) if weekly else None, comment, created_by,
    )


async def silences_in_force(conn: asyncpg.Connection, tenant_id: uuid.UUID, at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM silences WHERE tenant_id = $1 AND starts_at <= $2 AND ends_at > $2", tenant_id, at
    )


async def list_silences(conn: asyncpg.Connection, tenant_id: uuid.UUID, at: datetime) -> list[asyncpg.Record]:
    """Silences not expired yet (in force or scheduled)."""
    return await conn.fetch("SELECT * FROM silences WHERE tenant_id = $1 AND ends_at > $2 ORDER BY starts_at", tenant_id, at)


async def expire_silence(conn: asyncpg.Connection, tenant_id: uuid.UUID, silence_id: uuid.UUID, at: datetime) -> bool:
    return await conn.fetchval(
        "UPDATE silences SET ends_at = least(ends_at, $3) WHERE tenant_id = $1 AND id = $2 RETURNING true",
        tenant_id, silence_id, at,
    ) or False


async def add_to_groups(conn: asyncpg.Connection, entries: Sequence[dict], now: datetime) -> None:
    """Puts alerts into their notification groups in one round trip, making each group due after its
    wait (new group) or its interval (group already notified).

    Each entry: tenant_id, alert_id, route_path, receiver, group_key, group_wait, group_interval,
    repeat_interval, escalate_to, escalate_after, mute_time_intervals, active_time_intervals."""
    if not entries:
        return
    # NOTE: one row per group (ON CONFLICT DO UPDATE may touch a row only once per statement);
    # the members join back to the groups by their key.
    groups: dict[tuple, dict] = {}
    for e in entries:
        groups.setdefault((e["tenant_id"], e["route_path"], e["receiver"], e["group_key"]), e)
    g = list(groups.values())
    await conn.execute(
        """WITH settings AS (
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                                    $7::float8[], $8::text[], $9::float8[], $10::text[], $11::text[])
                   AS s(tenant_id, route_path, receiver, group_key, group_wait, group_interval, repeat_interval,
                        escalate_to, escalate_after, mute_time_intervals, active_time_intervals)
           ), upserted AS (
               INSERT INTO notification_groups (tenant_id, route_path, receiver, group_key, group_wait, group_interval,
                                                repeat_interval, escalate_to, escalate_after, mute_time_intervals,
                                                active_time_intervals, next_flush_at)
               SELECT tenant_id, route_path, receiver, group_key, group_wait, group_interval, repeat_interval,
                      escalate_to::text[], escalate_after, mute_time_intervals::text[], active_time_intervals::text[],
                      $15::timestamptz + make_interval(secs => group_wait)
               FROM settings
               ON CONFLICT (tenant_id, route_path, receiver, group_key) DO UPDATE SET
                   group_wait = EXCLUDED.group_wait, group_interval = EXCLUDED.group_interval,
                   repeat_interval = EXCLUDED.repeat_interval, escalate_to = EXCLUDED.escalate_to,
                   escalate_after = EXCLUDED.escalate_after, mute_time_intervals = EXCLUDED.mute_time_intervals,
                   active_time_intervals = EXCLUDED.active_time_intervals,
                   next_flush_at = least(
                       coalesce(notification_groups.next_flush_at, 'infinity'),
                       CASE WHEN notification_groups.last_flushed_at IS NULL THEN EXCLUDED.next_flush_at
                            ELSE greatest($15::timestamptz,
                                          notification_groups.last_flushed_at + make_interval(secs => EXCLUDED.group_interval))
                       END)
               RETURNING id, tenant_id, route_path, receiver, group_key
           )
           INSERT INTO group_alerts (group_id, alert_id, added_at)
           SELECT u.id, m.alert_id, $15 FROM unnest($12::uuid[], $13::text[], $14::text[]) AS m(alert_id, route_path, member_key)
           JOIN upserted u ON u.route_path || chr(31) || u.receiver || chr(31) || u.group_key || chr(31) || u.tenant_id::text = m.member_key
           ON CONFLICT DO NOTHING""",
        [e["tenant_id"] for e in g], [e["route_path"] for e in g], [e["receiver"] for e in g],
        [e["group_key"] for e in g], [e["group_wait"] for e in g], [e["group_interval"] for e in g],
        [e["repeat_interval"] for e in g],
        # NOTE: arrays of arrays travel as their text form; unnest cannot take ragged arrays.
        [_text_array(e["escalate_to"]) for e in g], [e["escalate_after"] for e in g],
        [_text_array(e["mute_time_intervals"]) for e in g], [_text_array(e["active_time_intervals"]) for e in g],
        [e["alert_id"] for e in entries], [e["route_path"] for e in entries],
        ["\x1f".join((e["route_path"], e["receiver"], e["group_key"], str(e["tenant_id"]))) for e in entries],
        now,
    )


def _text_array(values: Sequence[str]) -> str:
    """PostgreSQL's text form of a text[] (every element quoted)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


async def add_to_group(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID, *, route_path: str, receiver: str,
    group_key: str, group_wait: float, group_interval: float, repeat_interval: float, escalate_to: list[str],
    escalate_after: float, now: datetime, mute_time_intervals: Sequence[str] = (), active_time_intervals: Sequence[str] = (),
) -> None:
    """Puts one alert into its notification group (see add_to_groups)."""
    await add_to_groups(conn, [{
        "tenant_id": tenant_id, "alert_id": alert_id, "route_path": route_path, "receiver": receiver,
        "group_key": group_key, "group_wait": group_wait, "group_interval": group_interval,
        "repeat_interval": repeat_interval, "escalate_to": list(escalate_to), "escalate_after": escalate_after,
        "mute_time_intervals": list(mute_time_intervals), "active_time_intervals": list(active_time_intervals),
    }], now)


async def lock_routing(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """Serialises a tenant's policy and receiver changes (inside a transaction) so a policy never
    names a receiver deleted at the same moment."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('alerting-routing:' || $1::text, 0))", str(tenant_id))


async def existing_receivers(conn: asyncpg.Connection, tenant_id: uuid.UUID, names: Sequence[str]) -> set[str]:
    rows = await conn.fetch("SELECT name FROM receivers WHERE tenant_id = $1 AND name = ANY($2::text[])", tenant_id, list(names))
    return {r["name"] for r in rows}


async def existing_receivers_of(conn: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]]:
    """Which of many (tenant, receiver name) pairs are configured, in one query."""
    rows = await conn.fetch(
        """SELECT r.tenant_id, r.name FROM receivers r
           JOIN unnest($1::uuid[], $2::text[]) AS k(tenant_id, name) ON r.tenant_id = k.tenant_id AND r.name = k.name""",
        [k[0] for k in keys], [k[1] for k in keys],
    )
    return {(r["tenant_id"], r["name"]) for r in rows}


async def mark_undeliverable(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID], reasons: Sequence[str]) -> None:
    """Labels alerts no receiver will hear of (`undeliverable=<reason>`), so /v1/alerts shows it."""
    await conn.execute(
        """UPDATE alerts a SET labels = a.labels || jsonb_build_object('undeliverable', m.reason)
           FROM unnest($1::uuid[], $2::text[]) AS m(id, reason) WHERE a.id = m.id""",
        list(alert_ids), list(reasons),
    )


async def claim_due_groups(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM notification_groups WHERE next_flush_at <= $1
           ORDER BY next_flush_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit,
    )


async def group_members(conn: asyncpg.Connection, group_id: uuid.UUID) -> list[asyncpg.Record]:
    """The group's alerts not resolved, and those resolved since they were notified (whose receivers
    may want to hear so), with whether each was notified."""
    return await conn.fetch(
        """SELECT a.*, ga.notified_at FROM group_alerts ga JOIN alerts a ON a.id = ga.alert_id
           WHERE ga.group_id = $1
             AND (a.status IN (1, 2) OR (a.status = 3 AND ga.notified_at IS NOT NULL AND ga.resolved_notified_at IS NULL))
           ORDER BY a.fired_at""",
        group_id,
    )


async def wake_groups_with_resolved(conn: asyncpg.Connection, now: datetime) -> int:
    """Makes groups due (at their next interval) whose notified alerts were resolved since."""
    result = await conn.execute(
        """UPDATE notification_groups g SET next_flush_at = least(
               coalesce(g.next_flush_at, 'infinity'),
               greatest($1::timestamptz, coalesce(g.last_flushed_at, $1) + make_interval(secs => g.group_interval)))
           WHERE g.id IN (SELECT ga.group_id FROM group_alerts ga JOIN alerts a ON a.id = ga.alert_id
                          WHERE ga.notified_at IS NOT NULL AND ga.resolved_notified_at IS NULL AND a.status = 3)
             AND (g.next_flush_at IS NULL OR g.next_flush_at > greatest($1::timestamptz,
                  coalesce(g.last_flushed_at, $1) + make_interval(secs => g.group_interval)))""",
        now,
    )
    return int(result.split()[-1])


async def mark_resolved_notified(conn: asyncpg.Connection, group_id: uuid.UUID, alert_ids: Sequence[uuid.UUID], now: datetime) -> None:
    await conn.execute(
        "UPDATE group_alerts SET resolved_notified_at = $3 WHERE group_id = $1 AND alert_id = ANY($2::uuid[])",
        group_id, list(alert_ids), now,
    )


async def mark_notified(
    conn: asyncpg.Connection, group_id: uuid.UUID, alert_ids: Sequence[uuid.UUID], now: datetime, escalate_at: datetime | None
) -> None:
    await conn.execute(
        """UPDATE group_alerts SET notified_at = coalesce(notified_at, $3), escalate_at = coalesce(escalate_at, $4)
           WHERE group_id = $1 AND alert_id = ANY($2::uuid[])""",
        group_id, list(alert_ids), now, escalate_at,
    )


async def reschedule_group(
    conn: asyncpg.Connection, group_id: uuid.UUID, *, next_flush_at: datetime | None, flushed_at: datetime | None
) -> None:
    await conn.execute(
        """UPDATE notification_groups SET next_flush_at = $2, last_flushed_at = coalesce($3, last_flushed_at)
           WHERE id = $1""",
        group_id, next_flush_at, flushed_at,
    )


async def add_delivery(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, receiver: str, kind: str, alert_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    await conn.execute(
        """INSERT INTO deliveries (tenant_id, receiver, kind, alert_ids, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $5)""",
        tenant_id, receiver, kind, list(alert_ids), now,
    )


async def claim_due_escalations(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT ga.group_id, ga.alert_id, ga.escalation_step, g.tenant_id, g.escalate_to, g.escalate_after
           FROM group_alerts ga JOIN notification_groups g ON g.id = ga.group_id JOIN alerts a ON a.id = ga.alert_id
           WHERE ga.escalate_at <= $1 AND a.status = 1
           ORDER BY ga.escalate_at LIMIT $2 FOR UPDATE OF ga SKIP LOCKED""",
        now, limit,
    )


async def advance_escalation(
    conn: asyncpg.Connection, group_id: uuid.UUID, alert_id: uuid.UUID, *, step: int, escalate_at: datetime | None
) -> None:
    await conn.execute(
        "UPDATE group_alerts SET escalation_step = $3, escalate_at = $4 WHERE group_id = $1 AND alert_id = $2",
        group_id, alert_id, step, escalate_at,
    )


async def claim_due_deliveries(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit,
    )


async def finish_delivery(
    conn: asyncpg.Connection, delivery_id: uuid.UUID, *, status: str, error: str, next_attempt_at: datetime | None, now: datetime
) -> None:
    await conn.execute(
        """UPDATE deliveries SET status = $2, attempts = attempts + 1, last_error = $3,
               next_attempt_at = coalesce($4, next_attempt_at),
               delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END
           WHERE id = $1""",
        delivery_id, status, error, next_attempt_at, now,
    )


async def list_deliveries(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, alert_id: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM deliveries WHERE tenant_id = $1 AND ($2::uuid IS NULL OR $2 = ANY(alert_ids))
           ORDER BY created_at DESC LIMIT $3""",
        tenant_id, alert_id, limit,
    )
