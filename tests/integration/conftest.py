"""Fixtures for the integration tier: real processes, never mocks.

Each group below is self-contained; add new groups after the existing ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.broker import EmbeddedKafka
from services.stack import Stack, StackConfig, default_tokens
from tests.integration.helpers import SCHOOL_REGIONS

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


# --- a running stack (services.stack) ----------------------------------------
# One per test module: broker shared (kafka_broker), workers and gateway its own.


@pytest.fixture(scope="module")
def stack(kafka_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("stack")
    sites = [f"{r}-{s}" for r in SCHOOL_REGIONS for s in ("near", "hub", "far")]
    config = StackConfig(
        data_dir=Path(data_dir),
        bootstrap=kafka_broker,
        partitions=6,
        workers=2,
        tokens=default_tokens(Path(data_dir), sites),
        session_timeout=6.0,
        # INFO: rebalances and table recovery in worker-*.log, for when a test hangs
        scheduler_env={"HUBPLAN_OPTIMISER_TIME_LIMIT": "2", "HUBPLAN_LOG_LEVEL": "INFO"},
        group_prefix=f"test-{data_dir.name}",  # own groups and changelogs on the shared broker
    )
    s = Stack(config).start(on_step=lambda _: None)
    yield s
    s.stop()
