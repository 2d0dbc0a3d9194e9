"""Request and response bodies of the ingest endpoints: history, imports, sources, webhooks, lag."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field

from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.gateway.edge import RequestModel
from services.gateway.schemas import page_of


def _ts(ts) -> datetime | None:
    return ts.ToDatetime(tzinfo=timezone.utc) if ts.seconds or ts.nanos else None


class ReviewVersionRead(BaseModel):
    version: int
    status: str
    rating: int
    title: str
    body: str
    reply_state: str
    changed_fields: list[str] = Field(description="fields that differ from the previous version")
    recorded_at: datetime | None
    syndication_group: str
    syndicated_from: str | None

    @classmethod
    def from_proto(cls, v: ingest_pb2.ReviewVersion) -> "ReviewVersionRead":
        r: review_pb2.Review = v.review
        return cls(
            version=r.version, status=r.status, rating=r.rating, title=r.title, body=r.body, reply_state=r.reply_state,
            changed_fields=list(v.changed_fields), recorded_at=_ts(v.recorded_at), syndication_group=r.syndication_group,
            syndicated_from=r.syndicated_from or None,
        )  # fmt: skip


class ReviewHistoryRead(BaseModel):
    review_id: str
    versions: list[ReviewVersionRead]


class RatingChangeRead(BaseModel):
    review_id: str
    platform: str
    product_id: str
    from_version: int
    to_version: int
    old_rating: int
    new_rating: int
    changed_at: datetime | None


class RatingChangePage(BaseModel):
    items: list[RatingChangeRead]
    next_page_token: str | None = Field(description="null on the last page")


class ImportErrorRead(BaseModel):
    line: int
    reason: str


class ImportJobRead(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    format: str
    mapping: str
    file_name: str
    bytes: int
    encoding: str
    competitor: bool
    rows_read: int
    rows_good: int
    rows_bad: int
    created: int
    updated: int
    errors: list[ImportErrorRead] = Field(description="the first bad rows, by line number")
    error: str
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_proto(cls, j: ingest_pb2.ImportJob) -> "ImportJobRead":
        return cls(
            id=j.id, status=j.status, format=j.format, mapping=j.mapping, file_name=j.file_name, bytes=j.bytes,
            encoding=j.encoding, competitor=j.competitor, rows_read=j.rows_read, rows_good=j.rows_good, rows_bad=j.rows_bad,
            created=j.created, updated=j.updated, errors=[ImportErrorRead(line=e.line, reason=e.reason) for e in j.errors],
            error=j.error, created_at=_ts(j.created_at), finished_at=_ts(j.finished_at),
        )  # fmt: skip


class SourceCreate(RequestModel):
    """A pull connector (trustpilot, judgeme, ebay, google), a send-only account (amazon_sp: review requests)
    and/or webhook sender (shopify, judgeme, trustpilot)."""

    kind: str = Field(examples=["trustpilot"])
    name: str = Field(examples=["Acme on Trustpilot"])
    settings: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{"business_unit_id": "5d8b2c1e9f0a4b0001a2b3c4", "api_key": "..."}],
        description="connector settings, credentials included; stored encrypted, never returned",
    )
    webhook_secret: str = Field("", description="the secret the platform signs webhooks with; never returned")
    competitor: bool = Field(False, description="a competitor's listing: analysed, never alerted on")
    backfill_days: int = Field(90, ge=0, le=3650, description="history read on the first sync")
    poll_interval_seconds: int = Field(120, ge=10, le=299)

    def to_proto(self, tenant: str) -> ingest_pb2.CreateSourceRequest:
        return ingest_pb2.CreateSourceRequest(
            tenant_id=tenant, kind=self.kind, name=self.name, settings_json=json.dumps(self.settings),
            webhook_secret=self.webhook_secret, competitor=self.competitor, backfill_days=self.backfill_days,
            poll_interval_seconds=self.poll_interval_seconds,
        )  # fmt: skip


class SourceUpdate(RequestModel):
    """Only the fields sent are changed. `settings` replaces all settings."""

    name: str | None = None
    settings: dict[str, Any] | None = None
    webhook_secret: str | None = None
    competitor: bool | None = None
    backfill_days: int | None = Field(None, ge=0, le=3650)
    poll_interval_seconds: int | None = Field(None, ge=10, le=299)
    status: Literal["active", "paused"] | None = Field(None, description="active resumes a paused source at once")

    def to_proto(self, tenant: str, source_id: str) -> ingest_pb2.UpdateSourceRequest:
        sent = self.model_dump(exclude_unset=True)
        request = ingest_pb2.UpdateSourceRequest(tenant_id=tenant, source_id=source_id)
        for name, value in sent.items():
            if name == "settings":
                request.fields.append("settings_json")
                request.settings_json = json.dumps(value or {})
            else:
                request.fields.append(name)
                setattr(request, name, value if value is not None else type(getattr(request, name))())
        return request


class SourceRead(BaseModel):
    id: str
    kind: str
    name: str
    competitor: bool
    backfill_days: int
    poll_interval_seconds: int
    status: str = Field(description="active, paused, webhook, or needs_attention: the platform refused the credential for good (last_error says why); saving new settings makes it active again")
    last_error: str
    next_poll_at: datetime | None
    last_success_at: datetime | None
    settings_keys: list[str] = Field(description="names of the settings that are set; values are never shown")
    has_webhook_secret: bool
    webhook_path: str = Field(description="where the platform posts webhooks (no API key: the signature authenticates)")
    created_at: datetime | None

    @classmethod
    def from_proto(cls, s: ingest_pb2.Source) -> "SourceRead":
        return cls(
            id=s.id, kind=s.kind, name=s.name, competitor=s.competitor, backfill_days=s.backfill_days,
            poll_interval_seconds=s.poll_interval_seconds, status=s.status, last_error=s.last_error,
            next_poll_at=_ts(s.next_poll_at), last_success_at=_ts(s.last_success_at), settings_keys=list(s.settings_keys),
            has_webhook_secret=s.has_webhook_secret, webhook_path=s.webhook_path, created_at=_ts(s.created_at),
        )  # fmt: skip


class WebhookAccepted(BaseModel):
    accepted: int
    removed: int
    ids: list[str]


class LagStatRead(BaseModel):
    platform: str
    channel: str = Field(description="api, import, webhook, pull, or backfill (a new source's history)")
    source_id: str | None
    reviews: int
    p50_seconds: float
    p95_seconds: float
    max_seconds: float


class CaptureLagRead(BaseModel):
    window_seconds: int
    stats: list[LagStatRead]


SourcePage = page_of(SourceRead, "SourcePage")
