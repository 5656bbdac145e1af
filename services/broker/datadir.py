"""The embedded broker's data dir: its layout, its lock, its remembered state.

Everything lives in one dir (default ``~/.hubplan/kafka``)::

    broker.json        cluster id and ports, reused on restart
    server.properties  written on every start
    broker.log         Kafka's own log (log4j2: warnings, errors, start/stop)
    jvm.log            the JVM's stdout/stderr (crashes before logging starts)
    data/              Kafka's log.dirs: topics, offsets, KRaft metadata
    .owner.lock        held by the Python process that runs the broker

Why our own lock as well as Kafka's ``data/.lock``: Kafka 4 starts the KRaft
controller, which writes the metadata log, *before* it takes that lock. A
second broker on the same dir therefore writes to the first one's metadata
and makes it hang on shutdown before failing itself. So we refuse early.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import uuid
from pathlib import Path
from typing import IO

from .errors import BrokerStartFailed

DEFAULT_DATA_DIR = Path.home() / ".hubplan" / "kafka"

State = dict[str, int | str]


def new_cluster_id() -> str:
    """A cluster id in Kafka's ``Uuid.randomUuid()`` format.

    URL-safe base64 of 16 random bytes without padding, never starting with
    "-" (StorageTool would read it as a flag).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class DataDir:
    """Paths inside one broker data dir, and exclusive use of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.kafka_logs = root / "data"
        self.state_file = root / "broker.json"
        self.properties = root / "server.properties"
        self.broker_log = root / "broker.log"
        self.jvm_log = root / "jvm.log"
        self._lock: IO[str] | None = None

    def is_formatted(self) -> bool:
        """True once StorageTool has written ``meta.properties``."""
        return (self.kafka_logs / "meta.properties").is_file()

    def claim(self) -> None:
        """Take the dir for this process, or raise if another broker uses it."""
        if self._lock is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        busy = BrokerStartFailed(f"another broker is already using {self.root}")
        handle = open(self.root / ".owner.lock", "w")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise busy from None
        # A broker whose Python parent died (no PDEATHSIG when started from a
        # thread) still holds Kafka's own lock: a POSIX record lock, which
        # lockf can test without disturbing it.
        kafka_lock = self.kafka_logs / ".lock"
        if kafka_lock.exists():
            with open(kafka_lock, "a") as probe:
                try:
                    fcntl.lockf(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.close()
                    raise busy from None
                fcntl.lockf(probe, fcntl.LOCK_UN)
        self._lock = handle

    def release(self) -> None:
        """Give the dir up (after the broker process has exited)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def load_state(self) -> State:
        """Cluster id and ports of the last run (a new cluster id if none)."""
        state: State = {}
        if self.state_file.is_file():
            with contextlib.suppress(OSError, ValueError):
                state = json.loads(self.state_file.read_text())
        meta = self.kafka_logs / "meta.properties"
        if meta.is_file():
            # The formatted storage is the truth: Kafka refuses to start with
            # a cluster id that differs from the one on disk.
            for line in meta.read_text().splitlines():
                if line.startswith("cluster.id="):
                    state["cluster_id"] = line.split("=", 1)[1].strip()
        state.setdefault("cluster_id", new_cluster_id())
        return state

    def save_state(self, state: State) -> None:
        """Remember ``state`` for the next start (atomically)."""
        tmp = self.state_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, self.state_file)
