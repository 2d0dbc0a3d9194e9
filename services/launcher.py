"""The whole system on one machine: embedded PostgreSQL and NATS, then every service as a process.

`reviewguard run` uses this, and so do the end-to-end tests, which also kill and restart
services through it. `restart_dead` restarts whatever died: a service, NATS or PostgreSQL
(the services reconnect by themselves). `stop` stops everything in order within 10 s.

Children run in process groups of their own (a terminal's Ctrl-C reaches only the launcher,
which stops them in order) and get SIGTERM from the kernel if the launcher dies (PR_SET_PDEATHSIG);
PostgreSQL, which pg_ctl detaches, is stopped then by a small watcher (libs/reaper.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from libs.crypto import SecretBox, local_secret
from libs.embedded import EmbeddedNats, EmbeddedPostgres, child_of_this_process, ensure_database
from libs.grpc_auth import local_service_token
from libs.settings import REPLICA_METRICS_PORT_STEP, Settings
from services.gateway.api_keys import local_pepper

log = logging.getLogger(__name__)

SERVICES = ("ingest", "nlp", "alerting", "resolution", "gateway")
DATABASE = "reviewguard"
# How `stop` spends its 10 s: the gateway first, then the backends together, NATS, PostgreSQL.
STOP_GATEWAY_SECONDS = 2.5
STOP_BACKENDS_SECONDS = 4.0
STOP_NATS_SECONDS = 1.5
STOP_TOTAL_SECONDS = 10.0


@dataclass
class LocalSystem:
    settings: Settings
    # Where each service's output goes; None means this terminal.
    log_dir: Path | None = None
    restart_crashed: bool = True
    _processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _postgres: EmbeddedPostgres | None = None
    _nats: EmbeddedNats | None = None
    _reaper: subprocess.Popen | None = None
    dsn: str = ""
    nats_url: str = ""

    def start_infrastructure(self) -> None:
        """Starts embedded PostgreSQL and NATS unless DATABASE_URL / NATS_URL are configured."""
        data = self.settings.data_dir.resolve()
        if self.settings.database_url is None:
            self._postgres = EmbeddedPostgres(data / "postgres")
            admin = self._postgres.start()
            self._watch_postgres()
            self.dsn = asyncio.run(ensure_database(admin, DATABASE))
            log.info("embedded PostgreSQL started", extra={"fields": {"data": str(data / "postgres"), "pid": self._postgres.pid}})
        else:
            self.dsn = self.settings.database_dsn()
        if self.settings.nats_url is None:
            self._nats = EmbeddedNats(data / "nats", port=self.settings.embedded_nats_port)
            self.nats_url = self._nats.start()
            log.info("embedded NATS started", extra={"fields": {"url": self.nats_url}})
        else:
            self.nats_url = self.settings.nats_url

    def _watch_postgres(self) -> None:
        """Tells the watcher (started once) which postmaster to stop should this process die."""
        pid = self._postgres.pid if self._postgres is not None else None
        if pid is None:
            return
        if self._reaper is None or self._reaper.poll() is not None:
            self._reaper = subprocess.Popen(
                [sys.executable, "-m", "libs.reaper"], stdin=subprocess.PIPE, process_group=0,
                cwd=str(Path(__file__).resolve().parents[1]),
            )
        try:
            self._reaper.stdin.write(f"pg {pid}\n".encode())
            self._reaper.stdin.flush()
        except OSError:
            pass

    def _unwatch_postgres(self) -> None:
        if self._reaper is None:
            return
        try:
            self._reaper.stdin.write(b"done\n")
            self._reaper.stdin.close()
        except OSError:
            pass
        try:
            self._reaper.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self._reaper.kill()
        self._reaper = None

    @property
    def child_pids(self) -> list[int]:
        """Every process this launcher started that should end with it (services, NATS, PostgreSQL, watcher)."""
        pids = [p.pid for p in self._processes.values()]
        for server in (self._nats, self._postgres):
            if server is not None and server.pid is not None:
                pids.append(server.pid)
        if self._reaper is not None:
            pids.append(self._reaper.pid)
        return pids

    def service_env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.dsn,
                "NATS_URL": self.nats_url,
                "REVIEWGUARD_HOST": s.host,
                "REVIEWGUARD_INGEST_PORT": str(s.ingest_port),
                "REVIEWGUARD_NLP_PORT": str(s.nlp_port),
                "REVIEWGUARD_ALERTING_PORT": str(s.alerting_port),
                "REVIEWGUARD_RESOLUTION_PORT": str(s.resolution_port),
                "REVIEWGUARD_GATEWAY_PORT": str(s.gateway_port),
                "REVIEWGUARD_INGEST_METRICS_PORT": str(s.ingest_metrics_port),
                "REVIEWGUARD_NLP_METRICS_PORT": str(s.nlp_metrics_port),
                "REVIEWGUARD_ALERTING_METRICS_PORT": str(s.alerting_metrics_port),
                "REVIEWGUARD_RESOLUTION_METRICS_PORT": str(s.resolution_metrics_port),
                "REVIEWGUARD_METRICS_SAMPLE_SECONDS": str(s.metrics_sample_seconds),
                "REVIEWGUARD_DATA_DIR": str(s.data_dir.resolve()),
                "REVIEWGUARD_TRACE_EXPORTER": s.trace_exporter,
                "REVIEWGUARD_TRACE_DIR": str(s.trace_dir.resolve()),
                "REVIEWGUARD_LOG_JSON": "true" if s.log_json else "false",
                "REVIEWGUARD_SECRET_KEYS": self.secret_keys(),
                "REVIEWGUARD_API_KEY_PEPPER": self.api_key_pepper(),
                # NOTE: every backend demands it and every internal channel sends it (libs/grpc_auth.py).
                "REVIEWGUARD_GRPC_SERVICE_TOKEN": self.grpc_service_token(),
                "REVIEWGUARD_API_KEY_CACHE_SECONDS": str(s.gateway.api_key_cache_seconds),
                "REVIEWGUARD_RATE_LIMIT_PER_KEY": s.gateway.rate_limit_per_key,
                "REVIEWGUARD_DAILY_QUOTA_PER_TENANT": str(s.gateway.daily_quota_per_tenant),
                "REVIEWGUARD_OUTBOUND_ALLOW_HOSTS": ",".join(s.outbound_allow_hosts),
                "REVIEWGUARD_BUS_STREAM_REPLICAS": str(s.bus_stream_replicas),
                "REVIEWGUARD_BUS_PUBLISH_RETRY_SECONDS": str(s.bus_publish_retry_seconds),
                "REVIEWGUARD_BUS_ACK_WAIT_SECONDS": str(s.bus_ack_wait_seconds),
            }
        )
        return env

    def secret_keys(self) -> str:
        """The configured keys, else a key kept in the data folder (made on first run)."""
        if self.settings.secret_keys is not None:
            return self.settings.secret_keys.get_secret_value()
        return local_secret(self.settings.data_dir.resolve() / "secret.key", SecretBox.new_key)

    def grpc_service_token(self) -> str:
        """The configured service token, else one kept in the data folder (made on first run)."""
        return local_service_token(self.settings)

    def api_key_pepper(self) -> str:
        """The configured pepper, else one kept in the data folder (made on first run)."""
        return local_pepper(self.settings)

    def replicas(self, name: str) -> int:
        return self.settings.replica_counts().get(name, 1)

    def instances(self, name: str) -> list[str]:
        """The process names of a service: "nlp", then "nlp-2", "nlp-3"… for its replicas."""
        return [name] + [f"{name}-{i}" for i in range(2, self.replicas(name) + 1)]

    def metrics_port(self, instance: str) -> int:
        """The Prometheus port one process serves ("nlp-2": nlp's port plus one step); 0 for none.

        The gateway's metrics are at GET /metrics on its HTTP port.
        """
        name, _, number = instance.partition("-")
        base = self.settings.metrics_port(name)
        return base + (int(number) - 1) * REPLICA_METRICS_PORT_STEP if base and number else base

    def start_service(self, instance: str) -> None:
        """Starts one process: a service name ("nlp") or one of its replicas ("nlp-2")."""
        name, _, number = instance.partition("-")
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{instance}.log").open("ab")
        env = self.service_env()
        if number and self.settings.metrics_port(name):
            # NOTE: each replica serves its own metrics port, a step above the one before.
            env[f"REVIEWGUARD_{name.upper()}_METRICS_PORT"] = str(self.metrics_port(instance))
        self._processes[instance] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], env=env, stdout=out, stderr=subprocess.STDOUT,
            process_group=0, preexec_fn=child_of_this_process(),
        )
        if out is not None:
            out.close()

    def start_services(self) -> None:
        for name in SERVICES:
            for instance in self.instances(name):
                self.start_service(instance)

    def running(self, instance: str) -> bool:
        process = self._processes.get(instance)
        return process is not None and process.poll() is None

    def kill_service(self, instance: str) -> None:
        """Kills one process at once (SIGKILL), as a crash would."""
        process = self._processes.pop(instance)
        process.kill()
        process.wait()

    def stop_service(self, instance: str, timeout: float = 15.0) -> None:
        process = self._processes.pop(instance, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _stop_together(self, instances: list[str], deadline: float) -> None:
        """SIGTERM to each (in the order given), then waits for all until `deadline`; SIGKILL after."""
        stopping = []
        for instance in instances:
            process = self._processes.pop(instance, None)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                stopping.append((instance, process))
        for instance, process in stopping:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.05))
            except subprocess.TimeoutExpired:
                log.warning("service did not stop in time; killed", extra={"fields": {"service": instance}})
                process.kill()
                process.wait()

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Waits until the gateway reports every dependency serving."""
        url = f"http://{self.settings.host}:{self.settings.gateway_port}/healthz"
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self.restart_dead()
            self._raise_if_a_service_exited()
            try:
                response = httpx.get(url, timeout=2.0)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as error:
                last = str(error)
            time.sleep(0.3)
        raise TimeoutError(f"system not ready after {timeout}s: {last}")

    def _raise_if_a_service_exited(self) -> None:
        """Without restarts a service that exited never comes back: say so at once, with its log's tail."""
        if self.restart_crashed:
            return
        for instance, process in self._processes.items():
            if process.poll() is None:
                continue
            tail = ""
            if self.log_dir is not None and (self.log_dir / f"{instance}.log").exists():
                tail = "\n".join((self.log_dir / f"{instance}.log").read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"{instance} exited with code {process.returncode} before the system was ready:\n{tail}")

    def restart_dead(self) -> None:
        """Restarts PostgreSQL or NATS if it died, then any service that exited."""
        if not self.restart_crashed:
            return
        if self._postgres is not None and not self._postgres.alive():
            log.warning("embedded PostgreSQL exited; restarting")
            self._postgres.restart()
            self._watch_postgres()
            log.info("embedded PostgreSQL restarted", extra={"fields": {"pid": self._postgres.pid}})
        if self._nats is not None and not self._nats.alive():
            code = self._nats._process.returncode
            log.warning("embedded NATS exited; restarting", extra={"fields": {"code": code}})
            self._nats.start()
            log.info("embedded NATS restarted", extra={"fields": {"url": self.nats_url, "pid": self._nats.pid}})
        for name, process in list(self._processes.items()):
            if process.poll() is not None:
                log.warning("service exited; restarting", extra={"fields": {"service": name, "code": process.returncode}})
                self.start_service(name)

    def stop(self) -> None:
        """Stops the gateway, then the backends, then NATS, then PostgreSQL, within 10 s; data stays.

        Each child gets SIGTERM and a deadline, SIGKILL after it.
        """
        start = time.monotonic()
        steps: dict[str, float] = {}

        def step(name: str, began: float) -> None:
            steps[name] = round(time.monotonic() - began, 2)

        began = time.monotonic()
        self._stop_together(self.instances("gateway"), start + STOP_GATEWAY_SECONDS)
        step("gateway", began)
        backends = [i for name in ("resolution", "alerting", "nlp", "ingest") for i in self.instances(name)]
        backends += [i for i in self._processes if i not in backends]
        began = time.monotonic()
        self._stop_together(backends, began + STOP_BACKENDS_SECONDS)
        step("backends", began)
        if self._nats is not None:
            began = time.monotonic()
            self._nats.stop(timeout=STOP_NATS_SECONDS)
            step("nats", began)
        if self._postgres is not None:
            began = time.monotonic()
            self._postgres.stop(timeout=max(start + STOP_TOTAL_SECONDS - 2.0 - time.monotonic(), 0.5))
            step("postgres", began)
        self._unwatch_postgres()
        log.info("stopped", extra={"fields": {"seconds": round(time.monotonic() - start, 2), **steps}})
