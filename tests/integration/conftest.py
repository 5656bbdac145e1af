"""Fixtures for the integration tier: real processes, never mocks.

Each group below is self-contained; add new groups after the existing ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from services.broker import EmbeddedKafka

# --- Kafka broker (services.broker) ---------------------------------------
# One real single-node Kafka for the whole session: starting a JVM per test
# would cost ~1-2 s each. Set KAFKA_BOOTSTRAP_SERVERS to run the tier against
# a broker you started yourself (e.g. `python -m services.broker`).


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address (``host:port``) of a real Kafka broker for this session."""
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    with EmbeddedKafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker.bootstrap_servers


# --- end of Kafka broker fixtures -------------------------------------------
