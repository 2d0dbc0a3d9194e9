"""The `reviewguard` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time

from libs.logs import configure_logging
from libs.settings import Settings

log = logging.getLogger("reviewguard")


def _run(settings: Settings) -> int:
    from services.gateway.tenants import provision_tenant
    from services.launcher import LocalSystem

    try:
        settings.replica_counts()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    system = LocalSystem(settings=settings)

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    # NOTE: SIGTERM (systemd, docker, kill) stops in order like Ctrl-C does, instead of dying at once.
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        system.start_infrastructure()
        api_key = settings.demo_api_key.get_secret_value() if settings.demo_api_key else None
        _, key = asyncio.run(provision_tenant(system.dsn, settings.demo_tenant_name, api_key, pepper=system.api_key_pepper()))
        # NOTE: a key the operator chose (REVIEWGUARD_DEMO_API_KEY) is theirs to know; it is not printed.
        shown = "(the one in REVIEWGUARD_DEMO_API_KEY)" if api_key else key
        example = "$REVIEWGUARD_DEMO_API_KEY" if api_key else key
        system.start_services()
        system.wait_ready()
        base = f"http://{settings.host}:{settings.gateway_port}"
        print(
            f"""
ReviewGuard is running.  API docs: {base}/docs   (Ctrl-C stops everything; data stays in {settings.data_dir})

Demo tenant '{settings.demo_tenant_name}', API key: {shown}

  curl -s -X POST {base}/v1/reviews -H "Authorization: Bearer {example}" -H 'Content-Type: application/json' \\
    -d '{{"reviews":[{{"platform":"amazon","marketplace":"DE","external_id":"demo-1","product_id":"B0DEMO","rating":1,"title":"Kaputt angekommen","body":"Das Gerät kam beschädigt an und funktioniert nicht. Totaler Betrug!","posted_at":"2026-11-20T09:30:00+01:00"}}]}}'
  curl -s {base}/v1/cases -H "Authorization: Bearer {example}"
""",
            flush=True,
        )
        while True:
            time.sleep(1.0)
            system.restart_dead()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    finally:
        # NOTE: a second Ctrl-C must not break off the ordered stop with a traceback; it takes at most 10 s.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        started = time.monotonic()
        system.stop()
        print(f"stopped in {time.monotonic() - started:.1f} s", flush=True)


def _serve(name: str) -> int:
    import importlib

    from libs.runtime import run_service

    module = importlib.import_module(f"services.{name}.app")
    run_service(name, module.serve)
    return 0


def _tenant(settings: Settings, args: argparse.Namespace) -> int:
    from services.gateway.api_keys import local_pepper
    from services.gateway.tenants import provision_tenant, revoke_api_key

    pepper = local_pepper(settings)
    if args.tenant_command == "revoke-key":
        key = sys.stdin.readline().strip()
        if not asyncio.run(revoke_api_key(settings.database_dsn(), key, pepper=pepper)):
            print("no such active API key", file=sys.stderr)
            return 1
        print(f"revoked {key[:8]}… (the gateway refuses it within {settings.gateway.api_key_cache_seconds:g} s)")
        return 0
    scopes = tuple(sorted({s.strip() for s in args.scopes.split(",") if s.strip()}))
    tenant_id, key = asyncio.run(provision_tenant(settings.database_dsn(), args.name, args.api_key, pepper=pepper, scopes=scopes))
    print(f"tenant {args.name} ({tenant_id})\napi key: {key}\nscopes: {', '.join(scopes)}")
    return 0


def _scopes(value: str) -> str:
    from services.gateway.people.permissions import SCOPES

    unknown = {s.strip() for s in value.split(",") if s.strip()} - set(SCOPES)
    if unknown or not value.strip():
        raise argparse.ArgumentTypeError(f"scopes are a comma-separated list of {', '.join(SCOPES)}")
    return value


def _grpc_client(settings: Settings, args: argparse.Namespace) -> int:
    """Creates, revokes or lists internal teams' gRPC client tokens (libs/grpc_auth.py)."""
    import asyncpg

    from libs import grpc_auth
    from libs.crypto import TokenHasher
    from services.gateway.api_keys import local_pepper

    # NOTE: the pepper the backends hash with: REVIEWGUARD_GRPC_CLIENT_PEPPER, else the API key pepper
    # (for a laptop run, the one `reviewguard run` keeps in the data folder).
    pepper = settings.grpc_client_pepper.get_secret_value() if settings.grpc_client_pepper else local_pepper(settings)

    async def go() -> int:
        dsn = settings.database_dsn()
        await grpc_auth.migrate(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            if args.grpc_client_command == "create":
                split = lambda text: [part.strip() for part in text.split(",") if part.strip()]  # noqa: E731
                try:
                    token = await grpc_auth.create_client(
                        conn, name=args.name, tenants=split(args.tenants), methods=split(args.methods),
                        hasher=TokenHasher(pepper, setting="REVIEWGUARD_GRPC_CLIENT_PEPPER"),
                    )
                except ValueError as error:
                    print(error, file=sys.stderr)
                    return 2
                print(f"client {args.name}: tenants {args.tenants}, methods {args.methods}")
                print(f"token (shown once; send it as 'authorization: Bearer <token>'): {token}")
                return 0
            if args.grpc_client_command == "revoke":
                if not await grpc_auth.revoke_client(conn, args.name):
                    print(f"no live client named {args.name!r}", file=sys.stderr)
                    return 1
                print(f"revoked {args.name} (backends refuse it within {settings.grpc_client_cache_seconds:g} s)")
                return 0
            for row in await grpc_auth.list_clients(conn):
                state = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "live"
                print(f"{row['name']}\t{state}\ttenants={','.join(row['tenants'])}\tmethods={','.join(row['methods'])}")
            return 0
        finally:
            await conn.close()

    return asyncio.run(go())


def _import(settings: Settings, args: argparse.Namespace) -> int:
    """Streams a file to the ingest service over gRPC, then follows the job until it ends."""
    from pathlib import Path

    from libs.grpc_auth import local_service_token
    from libs.grpc_client import open_peer_channel
    from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    mapping_json = args.mapping_json or ""
    if mapping_json.startswith("@"):
        mapping_json = Path(mapping_json[1:]).read_text(encoding="utf-8")
    fmt = args.format or next((f for f in ("jsonl", "json", "csv") if path.name.lower().endswith("." + f)), "csv")

    async def go() -> int:
        import grpc

        channel = open_peer_channel(settings, "ingest", token=local_service_token(settings))
        stub = ingest_pb2_grpc.IngestServiceStub(channel)

        async def chunks():
            yield ingest_pb2.ImportChunk(
                start=ingest_pb2.ImportStart(
                    tenant_id=args.tenant, format=fmt, mapping=args.mapping, mapping_json=mapping_json,
                    file_name=path.name, encoding=args.encoding or "", competitor=args.competitor, live=args.live,
                )
            )
            with path.open("rb") as f:
                while data := f.read(256 * 1024):
                    yield ingest_pb2.ImportChunk(data=data)

        try:
            job = await stub.StartImport(chunks())
            print(f"import {job.id} queued ({job.bytes} bytes)", flush=True)
            while not args.no_wait and job.status in ("queued", "running"):
                await asyncio.sleep(1.0)
                job = await stub.GetImport(ingest_pb2.GetImportRequest(tenant_id=args.tenant, import_id=job.id))
                print(f"  {job.status}: {job.rows_read} rows read, {job.rows_good} good, {job.rows_bad} bad", flush=True)
        except grpc.aio.AioRpcError as error:
            print(f"import refused: {error.details()}", file=sys.stderr)
            return 1
        finally:
            await channel.close()
        print(f"{job.status}: {job.created} new, {job.updated} changed, {job.rows_bad} bad rows" + (f"; {job.error}" if job.error else ""))
        for e in job.errors:
            print(f"  line {e.line}: {e.reason}")
        return 1 if job.status == "failed" else 0

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reviewguard", description="ReviewGuard: review defence for cross-border sellers.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole system (embedded PostgreSQL and NATS unless configured)")
    run.add_argument(
        "--replicas", help='processes per service, e.g. "nlp=2,alerting=2" (default: REVIEWGUARD_REPLICAS, else one each)'
    )
    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=["ingest", "nlp", "alerting", "resolution", "gateway"])
    tenant = commands.add_parser("tenant", help="manage tenants")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_commands.add_parser("create", help="create a tenant (if missing) and print an API key for it")
    create.add_argument("name")
    create.add_argument("--api-key", help="register this key instead of generating one")
    create.add_argument("--scopes", type=_scopes, default="read,write,admin",
                        help="comma-separated scopes of the key: read, write, admin (default: all three)")
    # NOTE: the key is read from standard input so it stays out of the shell history and `ps`.
    tenant_commands.add_parser("revoke-key", help="revoke the API key read from standard input")
    grpc_client = commands.add_parser("grpc-client", help="manage internal teams' tokens for the gRPC APIs")
    grpc_client_commands = grpc_client.add_subparsers(dest="grpc_client_command", required=True)
    gc_create = grpc_client_commands.add_parser("create", help="register a client and print its token once")
    gc_create.add_argument("name")
    gc_create.add_argument("--tenants", required=True, help="comma-separated tenant ids (UUIDs), or '*' for all")
    gc_create.add_argument(
        "--methods", required=True,
        help="comma-separated full method names or service prefixes, e.g. '/reviewguard.alerting.v1.AlertingService/', or '*'",
    )
    gc_revoke = grpc_client_commands.add_parser("revoke", help="revoke the live client of that name")
    gc_revoke.add_argument("name")
    grpc_client_commands.add_parser("list", help="list clients (never their tokens)")
    imp = commands.add_parser("import", help="import a CSV, JSON or JSONL export of reviews (through the ingest service)")
    imp.add_argument("file")
    imp.add_argument("--tenant", required=True, help="the tenant's id (UUID)")
    imp.add_argument("--format", choices=["csv", "json", "jsonl"], help="taken from the file name when omitted")
    imp.add_argument("--mapping", choices=["amazon", "judgeme", "custom"], default="amazon")
    imp.add_argument("--mapping-json", help="custom column mapping or preset options as JSON, or @file.json")
    imp.add_argument("--encoding", help="the file's encoding (e.g. cp932, gb18030, cp1252); without it the file must be UTF-8")
    imp.add_argument("--competitor", action="store_true", help="a competitor's reviews: analysed, never alerted on")
    imp.add_argument(
        "--live",
        action="store_true",
        help="the file holds new reviews: they may alert and open cases (by default an import is history: analysed, counted, paging no one)",
    )
    imp.add_argument("--no-wait", action="store_true", help="print the job id and return at once")
    nlp = commands.add_parser("nlp", help="train, evaluate and run the review models", add_help=False)
    nlp.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    settings = Settings(**({"replicas": args.replicas} if getattr(args, "replicas", None) else {}))
    if args.command == "run":
        # NOTE: the launcher's lines go where the services' go (a log collector reads stderr): JSON
        # like theirs unless REVIEWGUARD_LOG_JSON=false; the banner with the API key stays text on stdout.
        configure_logging("launcher", level=settings.log_level, json_lines=settings.log_json)
    else:
        configure_logging("cli", level=settings.log_level, json_lines=False)
    if args.command == "run":
        return _run(settings)
    if args.command == "serve":
        return _serve(args.service)
    if args.command == "tenant":
        return _tenant(settings, args)
    if args.command == "import":
        return _import(settings, args)
    if args.command == "grpc-client":
        return _grpc_client(settings, args)
    if args.command == "nlp":
        from services.nlp.cli import main as nlp_main

        return nlp_main(args.args)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
