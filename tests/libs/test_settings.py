"""The settings object: every variable still reaches its field now that each service's knobs are a
section; flat and sectioned keyword arguments are the same; a section refuses names it lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from libs.settings import SECTIONS, IngestSettings, Settings

ROOT = Path(__file__).resolve().parents[2]

# Each variable a service's own knob is read from, the field it lands in, a value and what it reads as.
SECTION_VARIABLES = [
    ("REVIEWGUARD_MAX_TITLE_CHARS", "ingest.max_title_chars", "7", 7),
    ("REVIEWGUARD_MAX_BODY_CHARS", "ingest.max_body_chars", "70", 70),
    ("REVIEWGUARD_MAX_REVIEWS_PER_REQUEST", "ingest.max_reviews_per_request", "9", 9),
    ("REVIEWGUARD_MAX_IMPORT_BYTES", "ingest.max_import_bytes", "1024", 1024),
    ("REVIEWGUARD_IMPORT_SPOOL_DIR", "ingest.import_spool_dir", "/var/spool/rg", Path("/var/spool/rg")),
    ("REVIEWGUARD_WEBHOOK_TOLERANCE_SECONDS", "ingest.webhook_tolerance_seconds", "12.5", 12.5),
    ("REVIEWGUARD_WEBHOOK_REPLAY_RETENTION_DAYS", "ingest.webhook_replay_retention_days", "3", 3.0),
    ("REVIEWGUARD_SOURCE_TICK_SECONDS", "ingest.source_tick_seconds", "2", 2.0),
    ("REVIEWGUARD_INGEST_HISTORY_AGE_DAYS", "ingest.ingest_history_age_days", "21", 21.0),
    ("REVIEWGUARD_NLP_LANGUAGES", "nlp.nlp_languages", "en,de", "en,de"),
    ("REVIEWGUARD_NLP_STAR_MODEL", "nlp.nlp_star_model", "/models/stars", "/models/stars"),
    ("REVIEWGUARD_NLP_MODEL_REFRESH_SECONDS", "nlp.nlp_model_refresh_seconds", "4", 4.0),
    ("REVIEWGUARD_NLP_TRANSLATION_POLL_SECONDS", "nlp.nlp_translation_poll_seconds", "6", 6.0),
    ("REVIEWGUARD_TREND_INTERVAL_SECONDS", "alerting.trend_interval_seconds", "60", 60.0),
    ("REVIEWGUARD_DISPATCH_INTERVAL_SECONDS", "alerting.dispatch_interval_seconds", "0.5", 0.5),
    ("REVIEWGUARD_REPORT_SCHEDULE_TICK_SECONDS", "alerting.report_schedule_tick_seconds", "15", 15.0),
    ("REVIEWGUARD_SLA_HIGH_HOURS", "resolution.sla_high_hours", "2", 2.0),
    ("REVIEWGUARD_SLA_NORMAL_HOURS", "resolution.sla_normal_hours", "8", 8.0),
    ("REVIEWGUARD_SLA_FIRST_RESPONSE_HOURS", "resolution.sla_first_response_hours", "10", 10.0),
    ("REVIEWGUARD_RESOLUTION_TICK_SECONDS", "resolution.resolution_tick_seconds", "5", 5.0),
    ("REVIEWGUARD_API_KEY_CACHE_SECONDS", "gateway.api_key_cache_seconds", "1.5", 1.5),
    ("REVIEWGUARD_RATE_LIMIT_PER_KEY", "gateway.rate_limit_per_key", "5/second", "5/second"),
    ("REVIEWGUARD_DAILY_QUOTA_PER_TENANT", "gateway.daily_quota_per_tenant", "0", 0),
    ("REVIEWGUARD_SSO_DISCOVERY_TTL_SECONDS", "gateway.sso_discovery_ttl_seconds", "30", 30.0),
    ("REVIEWGUARD_SSO_STATE_MAX_AGE_SECONDS", "gateway.sso_state_max_age_seconds", "120", 120),
    ("REVIEWGUARD_SSO_HTTP_TIMEOUT_SECONDS", "gateway.sso_http_timeout_seconds", "2.5", 2.5),
    ("REVIEWGUARD_SESSION_IDLE_SECONDS", "gateway.session_idle_seconds", "600", 600.0),
    ("REVIEWGUARD_SESSION_LIFETIME_SECONDS", "gateway.session_lifetime_seconds", "7200", 7200.0),
    ("REVIEWGUARD_LOGIN_MAX_FAILURES", "gateway.login_max_failures", "3", 3),
    ("REVIEWGUARD_LOGIN_FAILURE_WINDOW_SECONDS", "gateway.login_failure_window_seconds", "60", 60.0),
    ("REVIEWGUARD_LOGIN_MAX_FAILURES_PER_ADDRESS", "gateway.login_max_failures_per_address", "40", 40),
    ("REVIEWGUARD_CONSOLE_POLL_SECONDS", "gateway.console_poll_seconds", "5", 5.0),
]


def _read(settings: Settings, path: str):
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("variable", "path", "raw", "expected"), SECTION_VARIABLES)
def test_a_services_variable_reaches_its_section_field(monkeypatch, variable, path, raw, expected) -> None:
    monkeypatch.setenv(variable, raw)
    assert _read(Settings(), path) == expected


def test_every_section_field_is_in_the_table_and_keeps_its_flat_variable() -> None:
    fields = {f"{section}.{name}" for section, model in SECTIONS.items() for name in model.model_fields}
    assert fields == {path for _, path, _, _ in SECTION_VARIABLES}
    assert all(variable == f"REVIEWGUARD_{path.split('.')[1].upper()}" for variable, path, _, _ in SECTION_VARIABLES)


def test_shared_variables_stay_at_the_top(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/rg")
    monkeypatch.setenv("NATS_URL", "nats://n1:4222")
    monkeypatch.setenv("REVIEWGUARD_OUTBOX_BATCH", "17")
    monkeypatch.setenv("REVIEWGUARD_BUS_STREAM_REPLICAS", "3")
    monkeypatch.setenv("REVIEWGUARD_INGEST_METRICS_PORT", "0")
    monkeypatch.setenv("REVIEWGUARD_OUTBOUND_ALLOW_HOSTS", "hooks.internal:8443, 10.0.4.7")
    settings = Settings()
    assert settings.database_dsn() == "postgresql://db/rg" and settings.nats_url == "nats://n1:4222"
    assert (settings.outbox_batch, settings.bus_stream_replicas, settings.ingest_metrics_port) == (17, 3, 0)
    assert settings.outbound_allow_hosts == ["hooks.internal:8443", "10.0.4.7"]


def test_variable_names_are_read_in_any_case(monkeypatch) -> None:
    monkeypatch.setenv("reviewguard_sla_high_hours", "3")
    assert Settings().resolution.sla_high_hours == 3.0


def test_every_variable_the_manifests_and_readme_name_is_a_field() -> None:
    """deploy/ and the README set these names; each must still be read by some field."""
    names = set()
    for path in [ROOT / "README.md", *(ROOT / "deploy").rglob("*.y*ml"), *(ROOT / "deploy").rglob("*.env")]:
        names |= set(re.findall(r"\bREVIEWGUARD_([A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    known = {n.upper() for n in Settings.model_fields if n not in SECTIONS} | {n.upper() for m in SECTIONS.values() for n in m.model_fields}
    # NOTE: variables of the test and bench harnesses, not of a service.
    harness = {n for n in names if n.startswith(("TEST_", "BENCH_")) or n in {"MARC_DIR", "UPDATE_GOLDEN", "SCREENSHOT_DIR"}}
    assert names - harness <= known, sorted(names - harness - known)


def test_flat_and_sectioned_keywords_are_the_same_and_beat_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("REVIEWGUARD_MAX_TITLE_CHARS", "7")
    assert Settings(max_title_chars=9).ingest.max_title_chars == 9
    assert Settings(ingest={"max_title_chars": 9}).ingest.max_title_chars == 9
    assert Settings(ingest=IngestSettings(max_body_chars=4)).ingest == IngestSettings(max_title_chars=7, max_body_chars=4)
    assert not hasattr(Settings(), "max_title_chars"), "a service's knob is read from its section only"


def test_a_section_refuses_a_name_it_does_not_have() -> None:
    with pytest.raises(ValidationError, match="bogus"):
        Settings(ingest={"bogus": 1})
    # NOTE: another section's knob is no knob of this one.
    with pytest.raises(ValidationError, match="nlp_languages"):
        Settings(ingest={"nlp_languages": "en"})
    with pytest.raises(ValidationError):
        IngestSettings(max_title_chars=500, bogus=1)


def test_settings_and_sections_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.ingest.max_title_chars = 1
