"""A real single-node Apache Kafka (KRaft) that hubplan starts by itself.

Why a real broker: Faust tables depend on log compaction, the idempotent
producer and exact end offsets; a lookalike that lacks them hides bugs until
production. The JVM is started as a subprocess from the jars that
:mod:`services.broker.jars` fetched; no Docker, no ZooKeeper.

The data dir layout and its lock are described in :mod:`.datadir`.

Restarting on the same data dir keeps every topic and committed offset, and
reuses the previous port when it is still free, so a client config that
pointed at the old address keeps working.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType

from . import jars, jvm, probe, process
from .datadir import DEFAULT_DATA_DIR, DataDir, State
from .errors import BrokerError, BrokerStartFailed

_HOST = "127.0.0.1"


class EmbeddedKafka:
    """One local Kafka broker+controller process bound to a data dir.

    Use as a context manager or call :meth:`start` and :meth:`stop`. ``port``
    pins the client port; otherwise the port from the last run is reused if
    free, else a free one is picked. ``num_partitions`` is the broker default
    for auto-created topics.
    """

    kind = "kafka"
    persistent = True
    limits = ""
    faust_overrides: Mapping[str, object] = MappingProxyType({})

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        port: int | None = None,
        num_partitions: int = 1,
        heap: str = "512m",
        start_timeout: float = 90.0,
        kafka_home: Path = jars.DEFAULT_KAFKA_HOME,
    ) -> None:
        self.data_dir = Path(data_dir if data_dir is not None else DEFAULT_DATA_DIR).expanduser()
        self._dir = DataDir(self.data_dir)
        self.num_partitions = num_partitions
        self.heap = heap
        self.start_timeout = start_timeout
        self.kafka_home = kafka_home
        self._requested_port = port
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._cds: jvm.CdsArchive | None = None

    # -- public surface ---------------------------------------------------
    @property
    def port(self) -> int:
        """The client (PLAINTEXT) port; only valid while running."""
        if self._port is None or not self.is_running():
            raise BrokerError("the embedded Kafka broker is not running")
        return self._port

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for Kafka clients (aiokafka, Faust ``kafka://`` URLs)."""
        return f"{_HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """Kafka's own log file; read it when something looks wrong."""
        return self._dir.broker_log

    def is_running(self) -> bool:
        """True while the broker process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> EmbeddedKafka:
        """Fetch jars if needed, format storage once, start the JVM, wait until it serves."""
        if self.is_running():
            return self
        java = jvm.find_java()
        lib = jars.ensure_jars(self.kafka_home)
        self._dir.claim()
        try:
            self._launch(java, lib)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Shut the broker down cleanly (SIGTERM); SIGKILL it after ``timeout`` seconds."""
        if self._proc is not None:
            clean = process.terminate(self._proc, timeout)
            if self._cds is not None:
                self._cds.adopt(clean)
        self._proc = None
        self._dir.release()

    def __enter__(self) -> EmbeddedKafka:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals --------------------------------------------------------
    def _launch(self, java: str, lib: Path) -> None:
        state = self._dir.load_state()
        port, controller_port = self._choose_ports(state)
        state.update(port=port, controller_port=controller_port)
        self._dir.save_state(state)
        props = self._write_properties(port, controller_port)
        base = [java, f"-Xmx{self.heap}", *jvm.JVM_FLAGS, *self._log_flags(), "-cp", f"{lib}/*"]
        if not self._dir.is_formatted():
            self._format(base, str(state["cluster_id"]), props)

        self._cds = jvm.CdsArchive(lib)
        started = time.monotonic()
        self._proc = process.spawn(
            [*base, *self._cds.flags(), "kafka.Kafka", str(props)], log_path=self._dir.jvm_log
        )
        self._port = port
        ready = probe.wait_for_kafka(
            _HOST, port, deadline=started + self.start_timeout, still_alive=self.is_running
        )
        if not ready:
            exited = not self.is_running()
            why = "exited during startup" if exited else f"did not answer in {self.start_timeout}s"
            raise BrokerStartFailed(
                f"Kafka broker on {_HOST}:{port} {why}" + self._hint(),
                log_path=self.log_path,
                log_tail=self._log_tail(),
            )

    def _choose_ports(self, state: State) -> tuple[int, int]:
        port = self._requested_port
        if port is None:
            old = state.get("port")
            port = old if isinstance(old, int) and probe.port_is_free(_HOST, old) else None
        if port is None:
            port = probe.free_port(_HOST)
        elif not probe.port_is_free(_HOST, port):
            raise BrokerStartFailed(f"port {port} on {_HOST} is already in use")
        old_ctl = state.get("controller_port")
        if isinstance(old_ctl, int) and old_ctl != port and probe.port_is_free(_HOST, old_ctl):
            return port, old_ctl
        return port, probe.free_port(_HOST, avoid=(port,))

    def _write_properties(self, port: int, controller_port: int) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{_HOST}:{controller_port}",
            "listeners": f"PLAINTEXT://{_HOST}:{port},CONTROLLER://{_HOST}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{_HOST}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self._dir.kafka_logs),
            "num.partitions": str(self.num_partitions),
            "auto.create.topics.enable": "true",
            # A single node: every internal topic must make do with one replica.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Nobody else will join the group: don't wait 3 s for them.
            "group.initial.rebalance.delay.ms": "0",
        }
        path = self._dir.properties
        body = "".join(f"{key}={value}\n" for key, value in props.items())
        path.write_text("# Written by services/broker/embedded.py on each start.\n" + body)
        return path

    def _log_flags(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.kafka_home / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.data_dir}",
        ]

    def _format(self, base: list[str], cluster_id: str, props: Path) -> None:
        argv = [*base, "kafka.tools.StorageTool", "format", "--ignore-formatted",
                "-t", cluster_id, "-c", str(props)]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise BrokerStartFailed(
                f"formatting Kafka storage in {self._dir.kafka_logs} failed",
                log_tail=(done.stdout + done.stderr).strip(),
            )

    def _log_tail(self) -> str:
        parts = [process.tail(self.log_path), process.tail(self._dir.jvm_log, 15)]
        return "\n".join(part for part in parts if part)

    def _hint(self) -> str:
        text = self._log_tail()
        if "UnsupportedClassVersionError" in text:
            return " (this Kafka needs Java 17 or newer)"
        if "Failed to acquire lock" in text:
            return f" (another broker is already using {self.data_dir})"
        return ""
