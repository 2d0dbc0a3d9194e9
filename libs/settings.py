"""The one settings object, read from environment variables once at start and passed down.

Shape: shared connection and infrastructure knobs (database, bus, outbox, gRPC, TLS, ports,
logging, tracing) are fields of `Settings` itself; each service's own knobs are a section model on
it (`settings.ingest`, `settings.nlp`, `settings.alerting`, `settings.resolution`,
`settings.gateway`), and a service's wiring root hands its section down.

Why nested sections on one object rather than a settings subclass per service: the launcher, the
CLI and the end-to-end tests build one object and start every service from it (a subclass each
would mean one build per service, or one class that inherits all of them and is flat again); and a
section says in the type whose knob a field is, so a service cannot come to depend on another's.

Environment variable names do not change with the sections: every field, top-level or in a
section, is read from `REVIEWGUARD_<FIELD>` (the two connection strings from `DATABASE_URL` and
`NATS_URL` as well). For that, a section field keeps its flat name (`settings.ingest.max_title_chars`
is `REVIEWGUARD_MAX_TITLE_CHARS`), `_SectionEnv` reads the sections' variables, and one router
(`Settings._into_sections`) puts flat names into their section, for variables and keyword
arguments alike: `Settings(max_title_chars=10)` and `Settings(ingest={"max_title_chars": 10})` are
the same. An unknown name inside a section is an error (`extra="forbid"`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict


# NOTE: the services whose every piece of state is in PostgreSQL or JetStream; the gateway binds
# an HTTP port of its own and is scaled behind a load balancer instead.
REPLICABLE = ("ingest", "nlp", "alerting", "resolution")
# What a gRPC message needs beyond the request body it carries (field tags, the other fields).
GRPC_HEADROOM_BYTES = 1024 * 1024
REPLICA_METRICS_PORT_STEP = 100


class Section(BaseModel):
    """One service's knobs; a field keeps its flat name, which is its variable's (`REVIEWGUARD_<FIELD>`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(Section):
    # Validation limits (characters), and reviews per request (the gateway's batch routes too).
    max_title_chars: int = 500
    max_body_chars: int = 20_000
    max_reviews_per_request: int = 500
    # File imports, webhooks and the source scheduler.
    max_import_bytes: int = 1024 * 1024 * 1024
    import_spool_dir: Path | None = None
    webhook_tolerance_seconds: float = 300.0
    webhook_replay_retention_days: float = 7.0
    source_tick_seconds: float = 5.0
    # A review posted this many days before it is captured is history: counted, never paged on.
    ingest_history_age_days: float = 14.0


class NlpSettings(Section):
    # Languages the detector chooses among (ISO 639-1). Fewer is faster and more accurate.
    nlp_languages: str = "en,de,fr,es,it,ja,zh,pt,nl,pl,sv,tr,ko,ar"
    # The shipped star model unless a path is given: a ReviewGuard model.onnx, or the directory of a
    # Hugging Face-style ONNX sequence-classification export with its tokenizer.json.
    nlp_star_model: str = ""
    # How often the NLP service looks for tenants' newly promoted models.
    nlp_model_refresh_seconds: float = 30.0
    # How often the translation worker looks for due retries (new work wakes it at once).
    nlp_translation_poll_seconds: float = 15.0


class AlertingSettings(Section):
    # How often the alerting service judges trends without waiting for a review.
    trend_interval_seconds: float = 300.0
    # How often the alerting dispatcher flushes groups, escalates and delivers.
    dispatch_interval_seconds: float = 0.25
    # Report schedules (issue 14): how often each alerting replica looks for report mails due.
    report_schedule_tick_seconds: float = Field(60.0, gt=0)


class ResolutionSettings(Section):
    # Default SLA hours by severity (a tenant's policy overrides them).
    sla_high_hours: float = 6.0
    sla_normal_hours: float = 12.0
    sla_first_response_hours: float = 24.0
    # How often the scheduled loop checks SLAs, reassigns away owners, sends review requests and
    # relays case events.
    resolution_tick_seconds: float = 30.0


class GatewaySettings(Section):
    # How long the gateway remembers a verified (or unknown) API key: a revoked key stops working
    # within this time, and a flood of requests does not look every key up in the database.
    api_key_cache_seconds: float = Field(5.0, ge=0, le=300)
    # Per API key, in the `limits` package's notation, ";"-separated: a burst and a sustained rate
    # ("" turns them off). Counted per gateway process.
    rate_limit_per_key: str = "100/second;3000/minute"
    # Requests per tenant per UTC day through one gateway process (0 turns the quota off).
    daily_quota_per_tenant: int = Field(1_000_000, ge=0)
    # OIDC single sign-on (services/gateway/sso/): how long a provider's discovery document and
    # JWKS are reused before they are fetched again, and how long a person has between the start
    # of a sign-in and the provider's redirect back (the signed state cookie's lifetime).
    sso_discovery_ttl_seconds: float = Field(300.0, ge=0)
    sso_state_max_age_seconds: int = Field(600, gt=0)
    sso_http_timeout_seconds: float = Field(10.0, gt=0)
    # People's sessions (services/gateway/people/): a session unused this long is over (idle
    # timeout), and none outlives `session_lifetime_seconds` however busy; after
    # `login_max_failures` failed sign-ins for one account or from one address within
    # `login_failure_window_seconds`, sign-ins there are refused (429) until the window moves on.
    session_idle_seconds: float = Field(1800.0, gt=0)
    session_lifetime_seconds: float = Field(12 * 3600.0, gt=0)
    login_max_failures: int = Field(5, ge=1)
    login_failure_window_seconds: float = Field(900.0, gt=0)
    # Failed sign-ins one address may make over all accounts within the window (0: ten times
    # `login_max_failures`): a guesser spreading tries over many accounts is stopped too, an
    # office behind one NAT address is not locked out by a few people's typos.
    login_max_failures_per_address: int = Field(0, ge=0)
    # How often the console's inbox asks for new reviews (services/gateway/console/).
    console_poll_seconds: float = Field(3.0, gt=0)


# NOTE: the sections by attribute name; `Settings` has one field of each, and a flat name belongs
# to exactly one section (checked below), so routing a flat name is never ambiguous.
SECTIONS: dict[str, type[Section]] = {
    "ingest": IngestSettings,
    "nlp": NlpSettings,
    "alerting": AlertingSettings,
    "resolution": ResolutionSettings,
    "gateway": GatewaySettings,
}
_SECTION_OF: dict[str, str] = {name: section for section, model in SECTIONS.items() for name in model.model_fields}
assert len(_SECTION_OF) == sum(len(m.model_fields) for m in SECTIONS.values()), "a field name in two sections"


class _SectionEnv(PydanticBaseSettingsSource):
    """Reads the sections' fields from their flat variables (`REVIEWGUARD_<FIELD>`, any case, as
    pydantic-settings reads the top-level ones); `Settings._into_sections` nests them."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = self.settings_cls.model_config.get("env_prefix", "").lower()
        env = {key.lower(): value for key, value in os.environ.items()}
        return {name: env[f"{prefix}{name}"] for name in _SECTION_OF if f"{prefix}{name}" in env}


class Settings(BaseSettings):
    """Every knob of every service: shared infrastructure at the top, each service's own in its section.

    Variables are prefixed `REVIEWGUARD_` except the two connection strings, which keep the
    names every tool uses (`DATABASE_URL`, `NATS_URL`).
    """

    model_config = SettingsConfigDict(env_prefix="REVIEWGUARD_", extra="ignore", frozen=True)

    ingest: IngestSettings = Field(default_factory=IngestSettings)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    resolution: ResolutionSettings = Field(default_factory=ResolutionSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource, file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # NOTE: first wins: keyword arguments, then the top-level variables, then the sections' ones.
        return init_settings, env_settings, _SectionEnv(settings_cls), dotenv_settings, file_secret_settings

    @model_validator(mode="before")
    @classmethod
    def _into_sections(cls, data: Any) -> Any:
        """Moves flat names (`max_title_chars`) into their section; what a section is given by name wins."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section in SECTIONS:
            flat = {name: data.pop(name) for name in list(data) if _SECTION_OF.get(name) == section}
            if not flat:
                continue
            given = data.get(section) or {}
            if isinstance(given, BaseModel):
                given = given.model_dump(exclude_unset=True)
            data[section] = {**flat, **given}
        return data

    # NOTE: SecretStr keeps passwords in a DSN out of logs and reprs.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "REVIEWGUARD_DATABASE_URL")
    )
    # NOTE: one URL, or a comma-separated list of a JetStream cluster's servers
    # ("nats://n1:4222,nats://n2:4222,nats://n3:4222"): the client connects to any of them and
    # reconnects to another when the one it is on goes away.
    nats_url: str | None = Field(default=None, validation_alias=AliasChoices("NATS_URL", "REVIEWGUARD_NATS_URL"))
    db_pool_min: int = 1
    db_pool_max: int = 10

    # Where `reviewguard run` keeps embedded PostgreSQL and NATS data between runs.
    data_dir: Path = Path(".data")
    embedded_nats_port: int = 4222

    # Address every server binds to.
    host: str = "127.0.0.1"
    # Where each service is dialled (a Kubernetes Service name in a cluster).
    ingest_host: str = "127.0.0.1"
    nlp_host: str = "127.0.0.1"
    alerting_host: str = "127.0.0.1"
    resolution_host: str = "127.0.0.1"
    ingest_port: int = 50051
    nlp_port: int = 50052
    alerting_port: int = 50053
    resolution_port: int = 50054
    gateway_port: int = 8080
    # A service stops within 5 s of SIGTERM (libs/runtime.py): in-flight calls get this grace,
    # background loops this long to finish, and each close step is bounded after.
    grpc_grace_seconds: float = 1.5
    stop_tasks_seconds: float = 1.5

    # Processes per service for `reviewguard run`, e.g. "nlp=2,alerting=2" (Kubernetes: `replicas:`).
    # Replicas share their service's durable consumers and its gRPC port (SO_REUSEPORT).
    replicas: str = ""

    # JetStream consumers: how often and how patiently a message is retried before the DLQ.
    bus_max_deliver: int = 5
    bus_ack_wait_seconds: float = 30.0
    bus_fetch_batch: int = 64
    # Seconds the duplicate window of each stream spans (Nats-Msg-Id de-duplication).
    bus_duplicate_window_seconds: float = 600.0
    bus_stream_replicas: int = Field(
        1,
        ge=1,
        le=5,
        description=(
            "REVIEWGUARD_BUS_STREAM_REPLICAS: copies JetStream keeps of every stream (and so of its consumers): "
            "3 on a 3-node JetStream cluster, so that losing one node loses no message and no consumer; "
            "1 on a laptop's single nats-server. An existing stream is brought to this count at start."
        ),
    )
    # Seconds a publish keeps retrying while JetStream cannot take it (a stream leader being
    # elected after a node died, the client reconnecting to another node).
    bus_publish_retry_seconds: float = Field(10.0, ge=0)

    # Outbox relay: poll interval when no NOTIFY arrives, and rows per publish batch.
    outbox_poll_seconds: float = 1.0
    outbox_batch: int = 200

    # Gateway request limits (the reviews per request: `ingest.max_reviews_per_request`).
    max_request_bytes: int = 8 * 1024 * 1024
    # Largest gRPC message a channel or server sends or receives; raised to the HTTP body limit
    # plus headroom when that is larger (grpc_message_limit), so any body the gateway accepts fits.
    grpc_max_message_bytes: int = 32 * 1024 * 1024

    # Internal gRPC security (libs/grpc_auth.py, README "Internal gRPC").
    # Mutual TLS when all three files are set (PEM; on Kubernetes a mounted Secret): servers demand a
    # client certificate signed by the CA, channels present this certificate and check the server's.
    grpc_tls_cert_file: Path | None = None
    grpc_tls_key_file: Path | None = None
    grpc_tls_ca_file: Path | None = None
    # Name checked against the server certificate instead of the dialled host (tests, IP targets).
    grpc_tls_server_name: str = ""
    # Client-certificate names (CN or DNS SAN) trusted as peer services without a token (mTLS only).
    grpc_tls_peer_names: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # NOTE: without TLS a gRPC server refuses to bind to anything but loopback unless this is set
    # (deploy/k8s sets it next to REVIEWGUARD_HOST=0.0.0.0, where NetworkPolicies fence the ports),
    # so a deployment that forgot its certificates does not expose plaintext gRPC by accident.
    grpc_allow_plaintext_remote: bool = False
    # The token every internal channel sends (`authorization: Bearer ...`) and every backend accepts
    # with full access; `reviewguard run` makes one in the data folder when none is set.
    grpc_service_token: SecretStr | None = None
    # HMAC key the internal teams' client tokens (auth.grpc_clients) are hashed with; the API key
    # pepper when unset.
    grpc_client_pepper: SecretStr | None = None
    # How long a backend remembers a verified (or unknown) client token: a revocation takes this long.
    grpc_client_cache_seconds: float = Field(5.0, ge=0, le=300)

    @field_validator("grpc_tls_peer_names", mode="before")
    @classmethod
    def _split_peer_names(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("grpc_tls_cert_file", "grpc_tls_key_file", "grpc_tls_ca_file", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value):
        return None if value == "" else value

    def grpc_tls_enabled(self) -> bool:
        """True when certificate, key and CA are all configured; a partial set is an error."""
        files = (self.grpc_tls_cert_file, self.grpc_tls_key_file, self.grpc_tls_ca_file)
        if all(f is None for f in files):
            return False
        if any(f is None for f in files):
            raise ValueError("REVIEWGUARD_GRPC_TLS_CERT_FILE, _KEY_FILE and _CA_FILE are set together or not at all")
        return True

    def grpc_client_pepper_value(self) -> str | None:
        pepper = self.grpc_client_pepper or self.api_key_pepper
        return pepper.get_secret_value() if pepper is not None else None

    # Fernet keys (comma-separated; the first encrypts) for credentials stored in the database.
    # `reviewguard run` makes one in the data folder when none is set.
    secret_keys: SecretStr | None = None
    # HMAC key ("pepper") API keys are hashed with, so a copy of the database does not let anyone
    # test guessed keys offline. `reviewguard run` and `reviewguard tenant create` make one in the
    # data folder when none is set; on Kubernetes it comes from a Secret.
    api_key_pepper: SecretStr | None = None
    # Base URL people open from a notification's link.
    # NOTE: empty means the gateway this process would dial (host and gateway_port), so a laptop run
    # on another port still links right; behind a proxy or ingress, set the address people open.
    public_base_url: str = ""

    # Outbound HTTP (receiver webhooks, pull sources, translation endpoints; libs/outbound.py):
    # destinations whose resolved address is loopback, private, link-local (cloud metadata
    # included), multicast or reserved are refused, except these hosts.
    outbound_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "REVIEWGUARD_OUTBOUND_ALLOW_HOSTS: comma-separated hosts (exact name or address, or host:port) "
            "that outbound requests may reach even though they resolve to a loopback, private, "
            "link-local or reserved address, e.g. 'hooks.internal:8443,10.0.4.7'. Empty by default: "
            "only public addresses are reached."
        ),
    )

    @field_validator("outbound_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # Demo tenant created by `reviewguard run`.
    demo_api_key: SecretStr | None = None
    demo_tenant_name: str = "demo"

    log_level: str = "INFO"
    log_json: bool = True
    # Tracing exporter: "none", "console", "jsonl" (one file per service in trace_dir), or "otlp"
    # (OTLP/gRPC to OTEL_EXPORTER_OTLP_ENDPOINT, e.g. the OpenTelemetry Collector in deploy/).
    trace_exporter: str = "none"
    # NOTE: unset means `<data_dir>/traces`, never a folder under whatever the working directory is.
    trace_dir: Path = Field(default=None, validate_default=True)

    @field_validator("trace_dir", mode="before")
    @classmethod
    def _trace_dir_under_data_dir(cls, value, info):
        if value is None or value == "":
            return Path(info.data.get("data_dir", Path(".data"))) / "traces"
        return value

    def database_dsn(self) -> str:
        """The PostgreSQL DSN; raises when none was configured or started."""
        if self.database_url is None:
            raise RuntimeError("DATABASE_URL is not set")
        return self.database_url.get_secret_value()

    def secret_key_list(self) -> list[str]:
        return [k for k in (self.secret_keys.get_secret_value().split(",") if self.secret_keys else []) if k.strip()]

    def public_url(self) -> str:
        """The base URL people open from a notification's or a letter's link, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.gateway_port}").rstrip("/")

    def replica_counts(self) -> dict[str, int]:
        """How many processes `reviewguard run` starts per service, from `replicas` ("nlp=2,alerting=2")."""
        counts = {}
        for item in filter(None, (part.strip() for part in self.replicas.split(","))):
            name, sep, value = item.partition("=")
            if not sep or not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"REVIEWGUARD_REPLICAS: {item!r} is not service=N with N >= 1")
            if name.strip() not in REPLICABLE:
                raise ValueError(f"REVIEWGUARD_REPLICAS: {name.strip()!r} cannot run as replicas (only {', '.join(REPLICABLE)})")
            counts[name.strip()] = int(value)
        return counts

    def grpc_message_limit(self) -> int:
        """Bytes a gRPC message may hold: above the HTTP body limit, with 1 MiB for the envelope."""
        return max(self.grpc_max_message_bytes, self.max_request_bytes + GRPC_HEADROOM_BYTES)

    def grpc_target(self, service: str) -> str:
        """host:port that a client dials for one backend service."""
        return f"{getattr(self, f'{service}_host')}:{getattr(self, f'{service}_port')}"

    # Prometheus metrics ports of the backends (libs/metrics.py; 0 turns one off); the gateway's
    # metrics are at GET /metrics on its own port. Ingest's is `ingest_metrics_port` below.
    # `reviewguard run` moves a replica's port up by REPLICA_METRICS_PORT_STEP per replica
    # ("nlp-2" serves 9202, "nlp-3" 9302), so replicas never take each other's or another service's.
    nlp_metrics_port: int = 9102
    alerting_metrics_port: int = 9103
    resolution_metrics_port: int = 9104
    # How often a service reads its consumers' lag and DLQ depth and its outbox backlog for metrics.
    metrics_sample_seconds: float = Field(10.0, gt=0)

    def metrics_port(self, service: str) -> int:
        """The Prometheus port of a backend service (0: none)."""
        return getattr(self, f"{service}_metrics_port", 0)

    # Prometheus metrics port of the ingest service (0 turns it off).
    ingest_metrics_port: int = 9101
