"""Finding Java and starting Kafka's JVM quickly.

Startup time matters: tests and ``hubplan`` start a broker often. Measured on
a 2-core box, time until the broker answers a Metadata request:

    plain JVM                          ~3.0 s
    C1-only JIT (TieredStopAtLevel=1)  ~1.5-2 s   (a dev broker never needs C2)
    ... plus an AppCDS class archive   ~0.8-1.2 s

Serial GC was tried too: no faster and ~50 MiB more resident memory, so the
default G1 stays.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from .errors import BrokerDependencyMissing

JVM_FLAGS = (
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
    "-Djava.awt.headless=true",
    # A missing, stale or foreign CDS archive is ignored by the JVM; keep its
    # warnings about that out of jvm.log.
    "-Xlog:cds*=off",
)
_CDS_ARCHIVE = "kafka-broker.jsa"


def find_java() -> str:
    """Path of the ``java`` to use: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BrokerDependencyMissing(
            "java", "install a Java 17+ runtime, e.g. `apt-get install openjdk-17-jre-headless`"
        )
    return found


def java_available() -> bool:
    """True if a ``java`` executable can be found (``JAVA_HOME`` or ``PATH``)."""
    try:
        find_java()
    except BrokerDependencyMissing:
        return False
    return True


class CdsArchive:
    """An AppCDS archive of the classes Kafka loads, kept next to the jars.

    The first run records the classes it loads (the JVM writes the archive
    at exit); later runs map it instead of parsing ~5000 classes again. It
    lives in ``lib/`` so a re-fetch of the jars throws it away with them.
    """

    def __init__(self, lib: Path) -> None:
        self.path = lib / _CDS_ARCHIVE
        self._pending: Path | None = None

    def flags(self) -> list[str]:
        """JVM flags that use the archive, or record it if there is none yet."""
        if self.path.is_file():
            return [f"-XX:SharedArchiveFile={self.path}"]
        if not os.access(self.path.parent, os.W_OK):
            return []
        # Recorded under a private name and renamed after a clean exit, so a
        # broker starting meanwhile never maps a half-written archive.
        self._pending = self.path.with_name(f"{_CDS_ARCHIVE}.{uuid.uuid4().hex[:8]}")
        return [f"-XX:ArchiveClassesAtExit={self._pending}"]

    def adopt(self, clean_exit: bool) -> None:
        """After the JVM has exited: keep the recorded archive if it is complete."""
        pending, self._pending = self._pending, None
        if pending is None or not pending.exists():
            return
        if clean_exit and pending.stat().st_size > 0:
            os.replace(pending, self.path)
        else:
            pending.unlink(missing_ok=True)
