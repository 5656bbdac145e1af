"""Fetch Apache Kafka's jars with Maven into ``deploy/kafka/lib/``, once.

Why Maven and not a downloaded tarball: the machines that run hubplan reach
Maven Central but not the Apache download mirrors, and a pom pins the exact
version in review-able text. ``lib/`` is gitignored; a marker file holding a
hash of the pom says the copy finished and matches the pom, so an
interrupted fetch or a version bump triggers a clean re-fetch.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .errors import BrokerDependencyMissing, BrokerError, BrokerStartFailed

#: ``deploy/kafka`` of this checkout: holds pom.xml, log4j2.properties and lib/.
DEFAULT_KAFKA_HOME = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
_MARKER = ".complete"
_MVN_TIMEOUT_S = 900


def _pom_hash(kafka_home: Path) -> str:
    # Comments and layout don't change what Maven fetches; ignoring them means
    # editing a comment does not trigger a 90 MB re-fetch under running brokers.
    pom = (kafka_home / "pom.xml").read_text(encoding="utf-8")
    essence = " ".join(re.sub(r"<!--.*?-->", " ", pom, flags=re.DOTALL).split())
    return hashlib.sha256(essence.encode()).hexdigest()


def lib_is_complete(kafka_home: Path) -> bool:
    """True if ``lib/`` was fully fetched for the current pom."""
    lib = kafka_home / "lib"
    marker = lib / _MARKER
    if not marker.is_file() or marker.read_text().strip() != _pom_hash(kafka_home):
        return False
    return any(lib.glob("kafka_2.13-*.jar"))


@contextlib.contextmanager
def _fetch_lock(kafka_home: Path) -> Iterator[None]:
    # Two processes (e.g. parallel test workers) may start a broker at the same
    # time; only one should run Maven, the other waits and reuses its result.
    with open(kafka_home / ".fetch.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_jars(kafka_home: Path = DEFAULT_KAFKA_HOME) -> Path:
    """Return ``kafka_home/lib``, running Maven first if it is missing or stale."""
    if not (kafka_home / "pom.xml").is_file():
        raise BrokerError(f"no pom.xml in {kafka_home}: cannot fetch Kafka's jars")
    if lib_is_complete(kafka_home):
        return kafka_home / "lib"
    lib = kafka_home / "lib"
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerDependencyMissing(
            "mvn", f"install Maven (`apt-get install maven`) to fetch Kafka's jars into {lib}"
        )
    with _fetch_lock(kafka_home):
        if lib_is_complete(kafka_home):
            return lib
        staging = kafka_home / "lib.partial"
        shutil.rmtree(staging, ignore_errors=True)
        argv = [
            mvn, "-q", "-B", "-f", str(kafka_home / "pom.xml"),
            "dependency:copy-dependencies", f"-DoutputDirectory={staging}",
        ]  # fmt: skip
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=_MVN_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerStartFailed(f"mvn did not finish within {_MVN_TIMEOUT_S} s") from exc
        if done.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
            output = (done.stdout + done.stderr).strip().splitlines()[-30:]
            raise BrokerStartFailed(
                f"fetching Kafka's jars with Maven failed (exit {done.returncode}); "
                "is Maven Central reachable?",
                log_tail="\n".join(output),
            )
        (staging / _MARKER).write_text(_pom_hash(kafka_home) + "\n")
        shutil.rmtree(lib, ignore_errors=True)
        staging.rename(lib)
    return lib
