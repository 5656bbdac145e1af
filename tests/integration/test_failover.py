"""Workers die and brokers restart; no booking is lost or made twice."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.scenario import Scenario
from schemas.schedule import Schedule
from services.common.topics import wait_for_group
from services.stack import Stack, StackConfig, default_tokens
from services.validator import validate
from tests.integration.helpers import decision, headers, load, regional_world, req, submit

pytestmark = pytest.mark.integration
REGIONS = [f"fo{i}" for i in range(6)]


@pytest.fixture(scope="module")
def two_workers(kafka_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = Path(tmp_path_factory.mktemp("failover"))
    sites = [f"{r}-{s}" for r in REGIONS for s in ("near", "hub", "far")]
    config = StackConfig(
        data_dir=data_dir,
        bootstrap=kafka_broker,
        partitions=6,
        workers=2,
        tokens=default_tokens(data_dir, sites),
        session_timeout=6.0,
        # INFO: rebalances and table recovery in the worker logs, should this ever
        # hang; HUBPLAN_TEST_WORKER_LOG_LEVEL=DEBUG adds every fetch
        scheduler_env={
            "HUBPLAN_OPTIMISER_TIME_LIMIT": "1",
            "HUBPLAN_LOG_LEVEL": os.environ.get("HUBPLAN_TEST_WORKER_LOG_LEVEL", "INFO"),
        },
        group_prefix=f"test-{data_dir.name}",  # own groups and changelogs on the shared broker
    )
    s = Stack(config).start(on_step=lambda _: None)
    yield s
    s.stop()


def _scenario(region: str, bodies: list[dict[str, Any]]) -> Scenario:
    data = regional_world(region)
    data["requests"] = bodies
    return Scenario.model_validate_json(json.dumps(data))


def test_sigkill_a_worker_mid_stream(two_workers: Stack) -> None:
    stack = two_workers
    for region in REGIONS:
        load(stack, region)
    bodies: dict[str, list[dict[str, Any]]] = {r: [] for r in REGIONS}
    for i in range(60):
        region = REGIONS[i % len(REGIONS)]
        day = f"2027-01-{4 + (i // len(REGIONS)) % 5:02d}"
        body = req(
            region,
            f"k{i}",
            earliest=day,
            latest="2027-01-08",
            sessions=1 + i % 2,
            submitted_at=f"2026-11-01T10:{i:02d}:00+01:00",
        )
        bodies[region].append(body)
        assert submit(stack, body, **{"Idempotency-Key": body["id"]}).status_code == 202
        if i == 25:
            stack.kill_worker(0)  # SIGKILL: no goodbye to the group, no flush
    for region, items in bodies.items():
        for body in items:
            got = decision(stack, body["id"], body["site"], wait=90)
            assert got["status"] in ("confirmed", "waitlisted"), (body["id"], got)
        plan = httpx.get(
            f"{stack.gateway_url}/v1/plan",
            params={"region": region},
            headers=headers(stack, "operator"),
        ).json()
        plan["unserved"] = [u for u in plan["unserved"] if u["request"].startswith(f"{region}-")]
        schedule = Schedule.model_validate_json(json.dumps(plan))
        problems = validate(_scenario(region, items), schedule)
        assert [p for p in problems if p.rule != "metrics"] == []


def test_a_dead_worker_is_started_again_and_rejoins(two_workers: Stack) -> None:
    """What ``hubplan up`` does once a second (revive_exited), here called directly."""
    stack = two_workers
    port = stack.worker_metrics[1]
    stack.kill_worker(1)
    said = stack.revive_exited()
    assert any(line.startswith("scheduler worker 1 exited (code -9)") for line in said), said
    assert all(p.poll() is None for p in stack.workers)
    assert stack.worker_metrics[1] == port  # Prometheus scrapes the same target
    wait_for_group(stack.bootstrap, stack.config.app_id, 2)
    assert stack.revive_exited() == []  # nothing else had exited
    # and the revived worker serves: a new request is decided (its region loaded
    # here too, so the test does not rely on the one before it)
    load(stack, REGIONS[1])
    body = req(REGIONS[1], "after-revive", earliest="2027-01-05", latest="2027-01-08")
    assert submit(stack, body).status_code == 202
    assert decision(stack, body["id"], body["site"], wait=60)["status"] in (
        "confirmed",
        "waitlisted",
    )


def test_restart_keeps_every_booking(tmp_path: Path) -> None:
    """Embedded broker with its data dir on disk: stop everything, start again."""
    tokens = default_tokens(tmp_path, ["keep-near"])
    config = StackConfig(
        data_dir=tmp_path, partitions=2, workers=1, tokens=tokens, session_timeout=6.0
    )
    stack = Stack(config).start(on_step=lambda _: None)
    try:
        load(stack, "keep")
        first = req("keep", "before", earliest="2027-01-05", latest="2027-01-05")
        assert submit(stack, first).status_code == 202
        assert decision(stack, first["id"], first["site"])["status"] == "confirmed"
    finally:
        stack.stop()
    stack = Stack(config).start(on_step=lambda _: None)
    try:
        after = decision(stack, first["id"], first["site"])
        assert after["status"] == "confirmed" and len(after["sessions"]) == 1
        more = [
            req("keep", f"after{i}", earliest="2027-01-05", latest="2027-01-05") for i in range(2)
        ]
        for body in more:
            assert submit(stack, body).status_code == 202
        states = sorted(decision(stack, b["id"], b["site"])["status"] for b in more)
        # one unit, one date, two day slots: the booking made before the restart still counts
        assert states == ["confirmed", "waitlisted"]
    finally:
        stack.stop()
