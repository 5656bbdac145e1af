"""Start and stop the whole hubplan stack as separate processes.

Used by ``hubplan up``/``hubplan demo`` and by the integration tests, so the
tests exercise exactly what a user starts: an embedded Kafka (unless
``KAFKA_BOOTSTRAP_SERVERS`` points elsewhere), the topics, N scheduler
workers, the gateway (with its read side) and the logistics service, each
its own process.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from services.common.topics import ensure_topics_sync, wait_for_group
from services.logistics.app import changelog_topics as logistics_changelogs
from services.observability.prometheus import LocalPrometheus, PrometheusOptions
from services.scheduler.app import changelog_topics

MAX_RESTARTS = 5
RESTART_WINDOW = 120.0


class StackError(RuntimeError):
    """A part of the stack did not start; the message says which and where its log is."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StackConfig:
    data_dir: Path
    bootstrap: str | None = None  # None: start the embedded broker
    partitions: int = 6
    workers: int = 1
    gateway_port: int = 0
    metrics_ports: list[int] = field(default_factory=list)
    tokens: dict[str, dict[str, Any]] | None = None
    scheduler_env: dict[str, str] = field(default_factory=dict)
    gateway_env: dict[str, str] = field(default_factory=dict)
    logistics_env: dict[str, str] = field(default_factory=dict)
    session_timeout: float = 10.0
    prometheus: PrometheusOptions | None = None  # None: no local Prometheus
    # consumer groups and changelogs are "<prefix>-scheduler" / "<prefix>-logistics";
    # tests sharing one broker each take their own prefix, so no stack restores
    # (or rebalances with) another's state
    group_prefix: str = "hubplan"

    @property
    def app_id(self) -> str:
        return f"{self.group_prefix}-scheduler"

    @property
    def logistics_id(self) -> str:
        return f"{self.group_prefix}-logistics"


@dataclass
class Stack:
    config: StackConfig
    bootstrap: str = ""
    broker: Any = None
    broker_note: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    gateway: subprocess.Popen[bytes] | None = None
    logistics: subprocess.Popen[bytes] | None = None
    logistics_metrics: int = 0  # its /metrics port (kept across restarts)
    gateway_url: str = ""
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    worker_metrics: list[int] = field(default_factory=list)
    prometheus: LocalPrometheus | None = None
    restarts: dict[str, list[float]] = field(default_factory=dict)  # name -> restart times

    # -- lifecycle -------------------------------------------------------
    def start(self, on_step: Any = print) -> Stack:
        """Start everything; on any failure stop what already runs, then re-raise."""
        try:
            return self._start(on_step)
        except BaseException:
            self.stop()
            raise

    def _start(self, on_step: Any) -> Stack:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.bootstrap = cfg.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        if not self.bootstrap:
            on_step("starting the embedded Kafka broker ...")
            self.broker, self.broker_note = _embedded_broker(cfg.data_dir / "kafka", cfg.partitions)
            self.bootstrap = self.broker.bootstrap_servers
        changelogs = (*changelog_topics(cfg.app_id), *logistics_changelogs(cfg.logistics_id))
        ensure_topics_sync(self.bootstrap, cfg.partitions, changelogs)
        self.tokens = cfg.tokens or default_tokens(cfg.data_dir)
        for i in range(cfg.workers):
            self.start_worker(i)
        try:
            wait_for_group(self.bootstrap, cfg.app_id, cfg.workers)
        except TimeoutError as exc:
            raise StackError(f"{exc}; see {cfg.data_dir}/worker-*.log") from None
        on_step(f"started {cfg.workers} scheduler worker(s)")
        self._start_gateway()
        self._start_logistics()
        on_step(f"gateway at {self.gateway_url}")
        if cfg.prometheus is not None:
            try:
                self.prometheus = self._prometheus(cfg.prometheus).start()
            except Exception:
                self.stop()  # no half-started stack left behind
                raise
            on_step(f"prometheus at {self.prometheus.url}")
        return self

    def _prometheus(self, options: PrometheusOptions) -> LocalPrometheus:
        gateway = self.gateway_url.removeprefix("http://")
        workers = [f"127.0.0.1:{p}" for p in self.worker_metrics]
        logistics = [f"127.0.0.1:{self.logistics_metrics}"] if self.logistics_metrics else []
        targets = {"gateway": [gateway], "scheduler": workers, "logistics": logistics}
        return LocalPrometheus(self.config.data_dir / "prometheus", targets, options)

    def start_worker(self, i: int) -> subprocess.Popen[bytes]:
        cfg = self.config
        if i < len(self.worker_metrics):  # a restart: Prometheus scrapes the same port
            port = self.worker_metrics[i]
        else:
            port = cfg.metrics_ports[i] if i < len(cfg.metrics_ports) else free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "HUBPLAN_PARTITIONS": str(cfg.partitions),
            "HUBPLAN_DATA_DIR": str(cfg.data_dir / f"worker-{i}"),
            "HUBPLAN_METRICS_PORT": str(port),
            "HUBPLAN_SESSION_TIMEOUT": str(cfg.session_timeout),
            "HUBPLAN_APP_ID": cfg.app_id,
            "HUBPLAN_EXPECTED_WORKERS": str(cfg.workers),  # fewer up: an alert
            "HUBPLAN_TANSU": "1" if getattr(self.broker, "kind", "kafka") == "tansu" else "0",
            **cfg.scheduler_env,
        }
        log = open(cfg.data_dir / f"worker-{i}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.scheduler"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if i < len(self.workers):
            self.workers[i] = proc
        else:
            self.workers.append(proc)
            self.worker_metrics.append(port)
        return proc

    def _start_logistics(self) -> None:
        """The Faust service that turns plan changes into move events for logistics staff."""
        cfg = self.config
        self.logistics_metrics = self.logistics_metrics or free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "HUBPLAN_LOGISTICS_METRICS_PORT": str(self.logistics_metrics),
            "HUBPLAN_LOGISTICS_GROUP_ID": cfg.logistics_id,
            "HUBPLAN_LOGISTICS_PARTITIONS": str(cfg.partitions),
            "HUBPLAN_LOGISTICS_DATA_DIR": str(cfg.data_dir / "logistics"),
            "HUBPLAN_LOGISTICS_SESSION_TIMEOUT": str(cfg.session_timeout),
            "HUBPLAN_LOGISTICS_TANSU": "1"
            if getattr(self.broker, "kind", "kafka") == "tansu"
            else "0",
            **cfg.logistics_env,
        }
        log = open(cfg.data_dir / "logistics.log", "ab")  # noqa: SIM115 - owned by the child
        self.logistics = subprocess.Popen(
            [sys.executable, "-m", "services.logistics"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def _start_gateway(self) -> None:
        cfg = self.config
        # a restart keeps the URL the user was given
        kept = int(self.gateway_url.rsplit(":", 1)[1]) if self.gateway_url else None
        port = cfg.gateway_port or kept or free_port()
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "HUBPLAN_PORT": str(port),
            "HUBPLAN_TOKENS": json.dumps(self.tokens),
            "HUBPLAN_GROUP_PREFIX": cfg.group_prefix,
            **cfg.gateway_env,
        }
        log = open(cfg.data_dir / "gateway.log", "ab")  # noqa: SIM115 - owned by the child
        self.gateway = subprocess.Popen(
            [sys.executable, "-m", "services.gateway"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.gateway_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gateway.poll() is not None:
                raise StackError(f"gateway exited; see {cfg.data_dir / 'gateway.log'}")
            try:
                if httpx.get(f"{self.gateway_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise StackError(f"gateway not ready after 60 s; see {cfg.data_dir / 'gateway.log'}")

    def revive_exited(self, now: float | None = None) -> list[str]:
        """Start again every service process that exited by itself; say which, in words.

        What a container runtime's restart policy does in production
        (docker-compose.yml): a worker stops on purpose when it must not commit
        (kafka_transport.py), and a stack that then ran on without it would
        leave its regions undecided. Restarts in a row wait 1, 2, 4, 8 s. A
        process that needs more than :data:`MAX_RESTARTS` restarts within
        :data:`RESTART_WINDOW` seconds is left alone and reported as a
        :class:`StackError`: it would only exit again.
        """
        now = time.monotonic() if now is None else now
        logs = self.config.data_dir
        services: list[tuple[str, subprocess.Popen[bytes] | None, Callable[[], object], Path]] = [
            (f"scheduler worker {i}", p, partial(self.start_worker, i), logs / f"worker-{i}.log")
            for i, p in enumerate(self.workers)
        ]
        services.append(("gateway", self.gateway, self._start_gateway, logs / "gateway.log"))
        services.append(
            ("logistics service", self.logistics, self._start_logistics, logs / "logistics.log")
        )
        said = []
        for name, proc, start, log in services:
            code = None if proc is None else proc.poll()
            if code is None:  # running, or never started
                continue
            recent = [t for t in self.restarts.get(name, []) if now - t < RESTART_WINDOW]
            if len(recent) >= MAX_RESTARTS:
                raise StackError(
                    f"{name} exited {len(recent) + 1} times in {RESTART_WINDOW:.0f} s "
                    f"(last exit code {code}); see {log}"
                )
            if recent and now - recent[-1] < 2 ** (len(recent) - 1):
                continue  # back off: 1, 2, 4, 8 s between restarts in a row
            self.restarts[name] = [*recent, now]
            try:
                start()
            except (StackError, OSError) as exc:  # counted: tried again on the next call
                said.append(f"{name} exited (code {code}); starting it again failed: {exc}")
            else:
                said.append(f"{name} exited (code {code}) and was started again; see {log}")
        return said

    def kill_worker(self, i: int) -> None:
        """SIGKILL one worker (for failover tests)."""
        self.workers[i].send_signal(signal.SIGKILL)
        self.workers[i].wait(10)

    def stop(self) -> None:
        if self.prometheus is not None:
            self.prometheus.stop()
            self.prometheus = None
        running = [self.logistics, self.gateway, *self.workers]
        procs = [p for p in running if p is not None and p.poll() is None]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None

    def token(self, role: str, site: str | None = None) -> str:
        for token, p in self.tokens.items():
            if p["role"] == role and (site is None or p.get("site") == site):
                return token
        raise KeyError(f"no {role} token{' for ' + site if site else ''}")


def default_tokens(data_dir: Path, sites: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Dev tokens, kept in the data dir so they survive restarts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "tokens.json"
    tokens: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    roles = {(p["role"], p.get("site")) for p in tokens.values()}
    for role in ("operator", "logistics"):
        if (role, None) not in roles:
            tokens[f"{role}-{secrets.token_hex(8)}"] = {"name": role, "role": role}
    for site in sites or []:
        if ("school", site) not in roles:
            tokens[f"school-{secrets.token_hex(8)}"] = {
                "name": site,
                "role": "school",
                "site": site,
            }
    path.write_text(json.dumps(tokens, indent=2))
    return tokens


def _embedded_broker(data_dir: Path, partitions: int) -> tuple[Any, str]:
    """A real Kafka when Java is here, else Tansu (memory only: say so)."""
    from services.broker import start_broker

    broker = start_broker(data_dir)
    note = "" if broker.persistent else f"NOTE: {broker.limits}"
    return broker, note
