"""What the scheduler does not answer in time is published again, and applied once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from schemas.events import INTAKE, BookingRequested, Envelope, ResourceChanged
from schemas.wire import WireError, decode
from services.stack import Stack, StackConfig, default_tokens
from tests.integration.helpers import decision, headers, load, receipt, req, submit

pytestmark = pytest.mark.integration
DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}


@pytest.fixture(scope="module")
def stalled_stack(kafka_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = Path(tmp_path_factory.mktemp("resubmit"))
    config = StackConfig(
        data_dir=data_dir,
        bootstrap=kafka_broker,
        partitions=6,
        workers=1,
        tokens=default_tokens(data_dir, ["rs-near"]),
        session_timeout=10.0,
        gateway_env={"HUBPLAN_RESUBMIT_AFTER": "2"},
        group_prefix=f"test-{data_dir.name}",
    )
    s = Stack(config).start(on_step=lambda _: None)
    yield s
    s.stop()


async def _copies_on_intake(
    bootstrap: str, match: Callable[[Envelope, Any], bool], want: int, seconds: float
) -> int:
    """How many events ``match`` on the intake (waits until there are ``want``)."""
    consumer = AIOKafkaConsumer(INTAKE, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found, deadline = 0, time.monotonic() + seconds
    try:
        while found < want and time.monotonic() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                for m in msgs:
                    try:
                        event, payload = decode(m.value)
                    except WireError:  # the shared intake also holds the DLQ tests' garbage
                        continue
                    found += match(event, payload)
    finally:
        await consumer.stop()
    return found


def test_an_undecided_request_is_published_again_and_booked_once(stalled_stack: Stack) -> None:
    stack = stalled_stack
    load(stack, "rs")
    first = req("rs", "first", **DAY)
    assert submit(stack, first).status_code == 202
    assert decision(stack, first["id"], first["site"])["status"] == "confirmed"
    worker = stack.workers[0]
    worker.send_signal(signal.SIGSTOP)  # as if the worker had lost the event
    try:
        late = req("rs", "late", **DAY)
        assert submit(stack, late).status_code == 202
        # the gateway publishes it again after 2 s without a decision
        asks = lambda _, p: isinstance(p, BookingRequested) and p.request.id == late["id"]  # noqa: E731
        assert asyncio.run(_copies_on_intake(stack.bootstrap, asks, 2, 20)) >= 2
    finally:
        worker.send_signal(signal.SIGCONT)
    got = decision(stack, late["id"], late["site"], wait=30)
    assert got["status"] == "confirmed" and len(got["sessions"]) == 1
    plan = httpx.get(
        f"{stack.gateway_url}/v1/plan", params={"region": "rs"}, headers=headers(stack, "operator")
    ).json()
    booked = [s for s in plan["sessions"] if s["request"] == late["id"]]
    assert len(booked) == 1  # delivered twice, booked once


def test_an_operator_event_without_receipt_is_published_again_with_its_id(
    stalled_stack: Stack,
) -> None:
    stack = stalled_stack
    load(stack, "rs2")
    unit = {"type": "dry-room", "site": "rs2-hub", "seats": 8, "parts": ["day"]}
    worker = stack.workers[0]
    worker.send_signal(signal.SIGSTOP)  # as if the worker had lost the event
    try:
        r = httpx.post(
            f"{stack.gateway_url}/v1/catalogue/rs2/changes",
            json={"kind": "equipment", "op": "upsert", "id": "rs2-dry-2", "value": unit},
            headers=headers(stack, "operator"),
        )
        assert r.status_code == 202, r.text
        event_id = r.json()["event_id"]
        same_id = lambda e, _: e.id == event_id  # noqa: E731
        assert asyncio.run(_copies_on_intake(stack.bootstrap, same_id, 2, 20)) >= 2
    finally:
        worker.send_signal(signal.SIGCONT)
    got = receipt(stack, r.json()["status_url"])
    assert got["status"] == "applied", got
    # the copies were deduplicated on the event id: answered, not applied again
    assert _events_counted(stack, ResourceChanged.TYPE, "duplicate") >= 1


def _events_counted(stack: Stack, event_type: str, outcome: str) -> float:
    """The worker's ``hubplan_events_total`` for one type and outcome (waits for it)."""
    from prometheus_client.parser import text_string_to_metric_families

    deadline = time.monotonic() + 20
    count = 0.0
    while time.monotonic() < deadline:
        text = httpx.get(f"http://127.0.0.1:{stack.worker_metrics[0]}/metrics").text
        count = sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "hubplan_events_total"
            and sample.labels.get("type") == event_type
            and sample.labels.get("outcome") == outcome
        )
        if count:
            break
        time.sleep(0.5)
    return count
