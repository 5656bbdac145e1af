"""Shared fixtures: one real Kafka broker per test session (started here)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a real broker: KAFKA_BOOTSTRAP_SERVERS, or an embedded Kafka."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    from services.broker import start_broker

    broker = start_broker(tmp_path_factory.mktemp("kafka"), prefer="kafka", fallback=False)
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()
