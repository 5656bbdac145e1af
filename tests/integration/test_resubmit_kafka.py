"""A request the scheduler does not decide in time is published again, and booked once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from schemas.events import INTAKE, BookingRequested
from schemas.wire import WireError, decode
from services.stack import Stack, StackConfig, default_tokens
from tests.integration.helpers import decision, headers, load, req, submit

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


async def _requested_events(bootstrap: str, rid: str, want: int, seconds: float) -> int:
    """How many BookingRequested for ``rid`` are on the intake (waits for ``want``)."""
    consumer = AIOKafkaConsumer(INTAKE, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found, deadline = 0, time.monotonic() + seconds
    try:
        while found < want and time.monotonic() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                for m in msgs:
                    try:
                        _, payload = decode(m.value)
                    except WireError:  # the shared intake also holds the DLQ tests' garbage
                        continue
                    if isinstance(payload, BookingRequested) and payload.request.id == rid:
                        found += 1
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
        assert asyncio.run(_requested_events(stack.bootstrap, late["id"], 2, 20)) >= 2
    finally:
        worker.send_signal(signal.SIGCONT)
    got = decision(stack, late["id"], late["site"], wait=30)
    assert got["status"] == "confirmed" and len(got["sessions"]) == 1
    plan = httpx.get(
        f"{stack.gateway_url}/v1/plan", params={"region": "rs"}, headers=headers(stack, "operator")
    ).json()
    booked = [s for s in plan["sessions"] if s["request"] == late["id"]]
    assert len(booked) == 1  # delivered twice, booked once
