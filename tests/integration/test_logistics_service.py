"""The logistics service (Faust) end to end on a real Kafka: plans in, move events out.

The test plays the scheduler: it puts a region's catalogue on the intake
and plans on ``hubplan.plans``, runs ``python -m services.logistics`` as
``hubplan up`` does, and reads ``hubplan.logistics`` and the dead-letter
topic. Its region and consumer group are its own, so it shares the broker
with the other tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.events import (
    DEADLETTER,
    INTAKE,
    PLANS,
    CatalogueLoaded,
    PlanChanged,
    RegionCatalogue,
    envelope,
)
from schemas.logistics import LOGISTICS, MoveCancelled, MoveChanged, MovePlanned, decode_logistics
from schemas.schedule import ContainerMove
from schemas.wire import decode, encode
from services.common.topics import ensure_topics
from services.logistics.app import changelog_topics
from services.stack import free_port
from tests.builders import container
from tests.integration.helpers import regional_world

pytestmark = pytest.mark.integration
REGION = "lsvc"


class Service:
    """``python -m services.logistics`` with its own group, started and stopped at will."""

    def __init__(self, bootstrap: str, data_dir: Path) -> None:
        self.group = f"test-logistics-{uuid.uuid4().hex[:8]}"
        self.metrics = free_port()
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "HUBPLAN_LOGISTICS_GROUP_ID": self.group,
            "HUBPLAN_LOGISTICS_PARTITIONS": "6",
            "HUBPLAN_LOGISTICS_DATA_DIR": str(data_dir / "faust"),
            "HUBPLAN_LOGISTICS_SESSION_TIMEOUT": "6",
            "HUBPLAN_LOGISTICS_METRICS_PORT": str(self.metrics),
            "HUBPLAN_LOGISTICS_LOG_LEVEL": "INFO",
        }
        self.log = data_dir / "logistics.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.logistics"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def metric(self, name: str, **labels: str) -> float | None:
        text = httpx.get(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5).text
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in text.splitlines():
            if line.startswith(f"{name}{{{want}}} ") or line.startswith(f"{name} ") and not want:
                return float(line.rsplit(" ", 1)[1])
        return None


@pytest.fixture
def service(kafka_broker: str, tmp_path: Path) -> Iterator[Service]:
    svc = Service(kafka_broker, tmp_path)
    asyncio.run(ensure_topics(kafka_broker, 6, compacted=tuple(changelog_topics(svc.group))))
    yield svc
    svc.stop()


def catalogue() -> RegionCatalogue:
    data = regional_world(REGION)
    data["containers"] = [container(f"{REGION}-box", start_site=f"{REGION}-depot")]
    fields = set(RegionCatalogue.model_fields)
    return RegionCatalogue.model_validate_json(
        json.dumps({k: v for k, v in data.items() if k in fields})
    )


def move(depart: str, ready: str) -> ContainerMove:
    return ContainerMove.model_validate(
        {
            "container": f"{REGION}-box",
            "from": f"{REGION}-depot",
            "to": f"{REGION}-far",
            "depart": depart,
            "ready": ready,
            "km": 182.0,
            "truck_minutes": 168.0,
        },
        strict=False,
    )


def plan(version: int, moves: list[ContainerMove]) -> PlanChanged:
    return PlanChanged(
        region=REGION,
        version=version,
        cause="optimiser",
        served_value=1,
        requested_value=1,
        sessions=1,
        waitlisted=0,
        moves=moves,
    )


class Kafka:
    """The test's producer, and readers of what the service wrote."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    async def send(self, topic: str, value: bytes, key: str = REGION) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key.encode())
        finally:
            await producer.stop()

    async def read(self, topic: str, keep: Any, want: int, seconds: float = 60) -> list[Any]:
        """Everything on ``topic`` that ``keep`` maps to non-None; waits for ``want`` of them,
        then reads on briefly so an extra one (a duplicate) would be seen too."""
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=self.bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        found: list[Any] = []
        deadline = time.monotonic() + seconds
        quiet_until = None
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for r in records:
                        kept = keep(r)
                        if kept is not None:
                            found.append(kept)
                if len(found) >= want:
                    quiet_until = quiet_until or time.monotonic() + 2.0
                    if time.monotonic() >= quiet_until:
                        break
        finally:
            await consumer.stop()
        return found


def ours(record: Any) -> tuple[str, Any] | None:
    env, payload = decode_logistics(record.value)
    if payload.region != REGION:
        return None
    assert record.key.decode() == env.key == payload.container  # keyed by container
    return env.id, payload


def once_each(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The events with duplicates dropped, after checking every duplicate is exact.

    Delivery is at least once: an event sent again carries the same id and the same
    payload, so a listener drops it. A different payload under a known id is a bug.
    """
    first: dict[str, Any] = {}
    for event_id, payload in events:
        assert first.setdefault(event_id, payload) == payload, (event_id, payload)
    return list(first.items())


def dead_of_ours(record: Any) -> Any:
    _, dead = decode(record.value)
    return dead if getattr(dead, "original_key", None) == REGION else None


async def test_plans_become_move_events_and_survive_a_restart(
    service: Service, kafka_broker: str
) -> None:
    kafka = Kafka(kafka_broker)
    service.start()
    await kafka.send(
        INTAKE,
        encode(
            envelope(
                CatalogueLoaded(region=REGION, catalogue=catalogue()), key=REGION, source="test"
            )
        ),
    )
    first, later = move("2027-01-05", "2027-01-07"), move("2027-01-12", "2027-01-14")

    await kafka.send(PLANS, encode(envelope(plan(1, [first]), key=REGION, source="scheduler")))
    (planned,) = once_each(await kafka.read(LOGISTICS, ours, 1, seconds=90))
    assert planned[0] == f"logistics:{REGION}:v1:0"
    assert isinstance(planned[1], MovePlanned)
    assert (planned[1].move.transit_days, planned[1].move.setup_days) == (1, 1)

    await kafka.send(PLANS, encode(envelope(plan(2, [later]), key=REGION, source="scheduler")))
    events = once_each(await kafka.read(LOGISTICS, ours, 2))
    changed = events[1][1]
    assert isinstance(changed, MoveChanged) and changed.changed == ["depart", "ready"]
    assert (changed.before.depart, changed.after.depart) == (first.depart, later.depart)
    assert (changed.after.ready, changed.after.transit_days, changed.after.setup_days) == (
        later.ready,
        1,
        1,
    )

    await kafka.send(PLANS, b"{not json")
    (dead,) = await kafka.read(DEADLETTER, dead_of_ours, 1)
    assert dead.topic == PLANS and dead.reason == "not-json"
    # at least once: a rebalance under load may hand a plan over again before its
    # offset is committed (same ids, see once_each), so the counters may count it twice
    assert (service.metric("hubplan_logistics_move_events_total", kind="changed") or 0) >= 1
    assert service.metric("hubplan_logistics_plans_total", outcome="dead-letter") == 1.0

    # a clean restart: the table comes back from its changelog, the offsets from the group
    assert service.stop() == 0
    service.start()
    await kafka.send(PLANS, encode(envelope(plan(2, [later]), key=REGION, source="scheduler")))
    await kafka.send(PLANS, encode(envelope(plan(3, []), key=REGION, source="scheduler")))
    events = once_each(await kafka.read(LOGISTICS, ours, 3, seconds=90))
    ids = [event_id for event_id, _ in events]
    # nothing new for the redelivered plan 2: a service that forgot its state would
    # announce the move again as planned, under v2:0 with another payload
    assert ids == [f"logistics:{REGION}:v{v}:0" for v in (1, 2, 3)], ids
    cancelled = events[2][1]
    # cancelled, not silent: the service remembered the move it announced before the restart
    assert isinstance(cancelled, MoveCancelled) and cancelled.move.depart == later.depart
    assert len(await kafka.read(DEADLETTER, dead_of_ours, 1)) == 1  # not dead-lettered again
    assert service.proc is not None and service.proc.poll() is None
