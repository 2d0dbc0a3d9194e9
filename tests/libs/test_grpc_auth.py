"""Internal gRPC identity on real servers on 127.0.0.1: mutual TLS with certificates made here, the
service token, scoped and revocable client tokens (auth.grpc_clients), open health, guarded plaintext."""

from __future__ import annotations

import datetime
import ipaddress
import uuid
from pathlib import Path

import asyncpg
import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs import db, grpc_auth
from libs.crypto import TokenHasher
from libs.grpc_auth import ClientTokens, GrpcAuth
from libs.grpc_client import open_channel, open_peer_channel
from libs.grpc_server import GrpcServer, is_loopback_bind
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2, alerting_pb2_grpc
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc

SERVICE_TOKEN = "service-token-for-tests-0123456789"
PEPPER = "pepper-for-grpc-client-tests"
TENANT_A = str(uuid.uuid4())
TENANT_B = str(uuid.uuid4())
ALERTING = "reviewguard.alerting.v1.AlertingService"
INGEST = "reviewguard.ingest.v1.IngestService"


class FakeAlerting(alerting_pb2_grpc.AlertingServiceServicer):
    async def ListAlerts(self, request, context):
        return alerting_pb2.ListAlertsResponse()

    async def ListReceivers(self, request, context):
        return alerting_pb2.ListReceiversResponse()


class FakeIngest(ingest_pb2_grpc.IngestServiceServicer):
    async def StartImport(self, request_iterator, context):
        size = 0
        first = None
        async for chunk in request_iterator:
            first = first or chunk
            size += len(chunk.data)
        return ingest_pb2.ImportJob(id="job-1", tenant_id=first.start.tenant_id, bytes=size)


async def _serve(auth: GrpcAuth | None, *, credentials: grpc.ServerCredentials | None = None) -> GrpcServer:
    server = GrpcServer(bind="127.0.0.1:0", service_names=[ALERTING, INGEST], auth=auth, credentials=credentials)
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(FakeAlerting(), server.server)
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(FakeIngest(), server.server)
    await server.start()
    await server.set_serving()
    return server


@pytest.fixture
async def auth_pool(database_url: str):
    await grpc_auth.migrate(database_url)
    pool = await db.create_pool(database_url, schema="auth", min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def token_server(auth_pool):
    clients = ClientTokens(pool=auth_pool, hasher=TokenHasher(PEPPER), ttl=0)
    server = await _serve(GrpcAuth(service_token=SERVICE_TOKEN, clients=clients))
    yield server
    await server.stop(0)


async def _code(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def _create(conn_or_dsn, name: str, tenants: list[str], methods: list[str]) -> str:
    conn = await asyncpg.connect(conn_or_dsn)
    try:
        return await grpc_auth.create_client(conn, name=name, tenants=tenants, methods=methods, hasher=TokenHasher(PEPPER))
    finally:
        await conn.close()


async def test_tokens_decide_who_may_call_what_for_which_tenant(token_server, database_url) -> None:
    target = f"127.0.0.1:{token_server.port}"
    team = await _create(database_url, "team-a", [TENANT_A], [f"/{ALERTING}/ListAlerts"])
    everything = await _create(database_url, "ops", ["*"], [f"/{ALERTING}/"])
    async with (
        open_channel(target) as anonymous,
        open_channel(target, token="not-a-known-token") as unknown,
        open_channel(target, token=SERVICE_TOKEN) as service,
        open_channel(target, token=team) as team_a,
        open_channel(target, token=everything) as ops,
    ):
        stub = alerting_pb2_grpc.AlertingServiceStub
        assert await _code(stub(anonymous).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_A))) == grpc.StatusCode.UNAUTHENTICATED
        assert await _code(stub(unknown).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_A))) == grpc.StatusCode.UNAUTHENTICATED
        assert await _code(stub(service).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_B))) == grpc.StatusCode.OK
        # A client token: its tenant and method pass; another tenant, another method do not.
        assert await _code(stub(team_a).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_A))) == grpc.StatusCode.OK
        assert await _code(stub(team_a).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_B))) == grpc.StatusCode.PERMISSION_DENIED
        assert await _code(stub(team_a).ListAlerts(alerting_pb2.ListAlertsRequest())) == grpc.StatusCode.PERMISSION_DENIED
        assert await _code(stub(team_a).ListReceivers(alerting_pb2.ListReceiversRequest(tenant_id=TENANT_A))) == grpc.StatusCode.PERMISSION_DENIED
        # A service prefix with every tenant; nothing outside the prefix.
        assert await _code(stub(ops).ListReceivers(alerting_pb2.ListReceiversRequest(tenant_id=TENANT_B))) == grpc.StatusCode.OK
        chunks = [ingest_pb2.ImportChunk(start=ingest_pb2.ImportStart(tenant_id=TENANT_A)), ingest_pb2.ImportChunk(data=b"x")]
        refused = ingest_pb2_grpc.IngestServiceStub(ops).StartImport(iter(chunks))
        assert await _code(refused) == grpc.StatusCode.PERMISSION_DENIED
        # Health and reflection need no token.
        health = await health_pb2_grpc.HealthStub(anonymous).Check(health_pb2.HealthCheckRequest())
        assert health.status == health_pb2.HealthCheckResponse.SERVING

    # Revoked: unknown from the next call on (cache 0 here; REVIEWGUARD_GRPC_CLIENT_CACHE_SECONDS in a service).
    conn = await asyncpg.connect(database_url)
    try:
        assert await grpc_auth.revoke_client(conn, "team-a")
        assert not await grpc_auth.revoke_client(conn, "team-a")
        stored = await conn.fetch("SELECT token_digest FROM auth.grpc_clients")
        assert all(team.encode() not in row["token_digest"] for row in stored)
    finally:
        await conn.close()
    async with open_channel(target, token=team) as team_a:
        call = alerting_pb2_grpc.AlertingServiceStub(team_a).ListAlerts(alerting_pb2.ListAlertsRequest(tenant_id=TENANT_A))
        assert await _code(call) == grpc.StatusCode.UNAUTHENTICATED


async def test_client_streams_are_checked_on_their_first_message(token_server, database_url) -> None:
    target = f"127.0.0.1:{token_server.port}"
    importer = await _create(database_url, "importer", [TENANT_A], [f"/{INGEST}/StartImport"])

    def chunks(tenant: str):
        return iter([ingest_pb2.ImportChunk(start=ingest_pb2.ImportStart(tenant_id=tenant)), ingest_pb2.ImportChunk(data=b"abc")])

    async with open_channel(target, token=importer) as channel, open_channel(target, token=SERVICE_TOKEN) as service:
        stub = ingest_pb2_grpc.IngestServiceStub(channel)
        job = await stub.StartImport(chunks(TENANT_A))
        assert job.tenant_id == TENANT_A and job.bytes == 3
        assert await _code(stub.StartImport(chunks(TENANT_B))) == grpc.StatusCode.PERMISSION_DENIED
        assert (await ingest_pb2_grpc.IngestServiceStub(service).StartImport(chunks(TENANT_B))).bytes == 3


async def test_scopes_are_validated_and_names_unique_while_live(database_url) -> None:
    await grpc_auth.migrate(database_url)
    with pytest.raises(ValueError, match="UUID"):
        await _create(database_url, "x", ["acme"], ["*"])
    with pytest.raises(ValueError, match="method"):
        await _create(database_url, "x", ["*"], ["ListAlerts"])
    await _create(database_url, "x", ["*"], ["*"])
    with pytest.raises(ValueError, match="revoke it first"):
        await _create(database_url, "x", ["*"], ["*"])


async def test_plaintext_binds_to_loopback_unless_allowed() -> None:
    assert is_loopback_bind("127.0.0.1:50051") and is_loopback_bind("[::1]:50051") and is_loopback_bind("localhost:1")
    assert not is_loopback_bind("0.0.0.0:50051") and not is_loopback_bind("[::]:50051")
    with pytest.raises(RuntimeError, match="REVIEWGUARD_GRPC_ALLOW_PLAINTEXT_REMOTE"):
        GrpcServer(bind="0.0.0.0:0", service_names=[ALERTING])
    GrpcServer(bind="0.0.0.0:0", service_names=[ALERTING], allow_plaintext_remote=True)
    with pytest.raises(RuntimeError, match="REVIEWGUARD_GRPC_SERVICE_TOKEN"):
        GrpcAuth.from_settings(Settings(), None)
    with pytest.raises(ValueError, match="together"):
        Settings(grpc_tls_cert_file="/x.pem").grpc_tls_enabled()


# --- mutual TLS --------------------------------------------------------------------------------


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, sans: list | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(item) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    return item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, rogue_key = _key(), _key()
    ca = _cert("reviewguard-test-ca", ca_key, "reviewguard-test-ca", ca_key, ca=True)
    rogue_ca = _cert("rogue-ca", rogue_key, "rogue-ca", rogue_key, ca=True)
    files = {"ca": _pem(ca)}
    server_key = _key()
    files["server.key"] = _pem(server_key)
    files["server.crt"] = _pem(_cert(
        "ingest", server_key, "reviewguard-test-ca", ca_key,
        sans=[x509.DNSName("localhost"), x509.DNSName("ingest"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    ))
    for name, issuer, issuer_key in (("gateway", "reviewguard-test-ca", ca_key), ("team", "reviewguard-test-ca", ca_key), ("rogue", "rogue-ca", rogue_key)):
        key = _key()
        files[f"{name}.key"] = _pem(key)
        files[f"{name}.crt"] = _pem(_cert(name, key, issuer, issuer_key, sans=[x509.DNSName(name)]))
    del rogue_ca
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


async def test_mutual_tls_refuses_clients_without_a_ca_signed_certificate(pki) -> None:
    settings = Settings(
        host="127.0.0.1", ingest_port=0, grpc_service_token=SERVICE_TOKEN, grpc_tls_peer_names="gateway",
        grpc_tls_cert_file=pki["server.crt"], grpc_tls_key_file=pki["server.key"], grpc_tls_ca_file=pki["ca"],
    )
    server = GrpcServer.for_service(settings, port=0, service_names=[ALERTING], auth=GrpcAuth.from_settings(settings, None))
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(FakeAlerting(), server.server)
    await server.start()
    target = f"127.0.0.1:{server.port}"
    ca = pki["ca"].read_bytes()
    request = alerting_pb2.ListAlertsRequest(tenant_id=TENANT_A)

    def creds(name: str | None) -> grpc.ChannelCredentials:
        if name is None:
            return grpc.ssl_channel_credentials(ca)
        return grpc.ssl_channel_credentials(ca, pki[f"{name}.key"].read_bytes(), pki[f"{name}.crt"].read_bytes())

    try:
        for refused in (None, "rogue"):
            async with open_channel(target, token=SERVICE_TOKEN, credentials=creds(refused)) as channel:
                code = await _code(alerting_pb2_grpc.AlertingServiceStub(channel).ListAlerts(request, timeout=5))
                assert code == grpc.StatusCode.UNAVAILABLE, refused
        async with open_channel(target, credentials=creds(None)) as channel:
            code = await _code(health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5))
            assert code == grpc.StatusCode.UNAVAILABLE
        # Plaintext to a TLS port gets nowhere either.
        async with open_channel(target, token=SERVICE_TOKEN) as channel:
            code = await _code(alerting_pb2_grpc.AlertingServiceStub(channel).ListAlerts(request, timeout=5))
            assert code == grpc.StatusCode.UNAVAILABLE
        # A CA-signed certificate gets in; named as a peer service, it needs no token; otherwise a token.
        async with open_channel(target, credentials=creds("gateway")) as channel:
            assert await _code(alerting_pb2_grpc.AlertingServiceStub(channel).ListAlerts(request, timeout=5)) == grpc.StatusCode.OK
        async with open_channel(target, credentials=creds("team")) as channel:
            stub = alerting_pb2_grpc.AlertingServiceStub(channel)
            assert await _code(stub.ListAlerts(request, timeout=5)) == grpc.StatusCode.UNAUTHENTICATED
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
        # The wiring: a channel built from the same settings (certificate, key, CA, service token).
        client_settings = settings.model_copy(update={"ingest_port": server.port, "grpc_tls_cert_file": pki["team.crt"], "grpc_tls_key_file": pki["team.key"]})
        async with open_peer_channel(client_settings, "ingest") as channel:
            assert await _code(alerting_pb2_grpc.AlertingServiceStub(channel).ListAlerts(request, timeout=5)) == grpc.StatusCode.OK
    finally:
        await server.stop(0)


async def test_the_cli_prints_a_token_once_that_backends_accept_until_revoked(database_url, tmp_path, monkeypatch, capsys) -> None:
    import asyncio

    from services.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REVIEWGUARD_API_KEY_PEPPER", PEPPER)
    monkeypatch.setenv("REVIEWGUARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REVIEWGUARD_GRPC_CLIENT_PEPPER", raising=False)
    run = lambda *argv: asyncio.to_thread(main, list(argv))  # noqa: E731 - main runs its own event loop
    assert await run("grpc-client", "create", "bi-team", "--tenants", TENANT_A, "--methods", f"/{ALERTING}/") == 0
    token = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert token.startswith(grpc_auth.CLIENT_TOKEN_PREFIX)
    pool = await db.create_pool(database_url, schema="auth", min_size=1, max_size=1)
    try:
        tokens = ClientTokens(pool=pool, hasher=TokenHasher(PEPPER), ttl=0)
        principal = await tokens.lookup(token)
        assert principal.name == "bi-team" and principal.may_act_for(TENANT_A) and not principal.may_act_for(TENANT_B)
        assert principal.may_call(f"/{ALERTING}/ListAlerts") and not principal.may_call(f"/{INGEST}/GetReview")
        assert await run("grpc-client", "list") == 0
        assert token not in capsys.readouterr().out
        assert await run("grpc-client", "revoke", "bi-team") == 0
        assert await tokens.lookup(token) is None
        assert await run("grpc-client", "create", "x", "--tenants", "acme", "--methods", "*") == 2
    finally:
        await pool.close()
