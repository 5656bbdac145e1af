"""Scheduler metrics on a fresh registry per test (STYLE.md rule 10)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from schemas.events import (
    BookingCancelled,
    BookingRequested,
    CatalogueLoaded,
    RegionCatalogue,
    RetryWaitlist,
    envelope,
)
from schemas.scenario import Request
from services.scheduler.app import build
from services.scheduler.config import SchedulerSettings
from services.scheduler.handlers import Outcome, Scheduler
from services.scheduler.metrics import SchedulerMetrics
from services.scheduler.state import Store
from tests.builders import request, world

DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}
BEFORE = dt.date(2026, 11, 27)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def sched() -> Scheduler:
    s = Scheduler(Store({}, {}, {}, {}))
    data = {k: v for k, v in world().items() if k not in ("format", "name", "requests")}
    payload = CatalogueLoaded(
        region="r", catalogue=RegionCatalogue.model_validate_json(json.dumps(data))
    )
    s.handle(envelope(payload, key="r", source="t"), payload)
    return s


def ask(sched: Scheduler, m: SchedulerMetrics, rid: str, **fields: Any) -> Outcome:
    req = Request.model_validate_json(json.dumps(request(rid, **fields)))
    payload = BookingRequested(request=req, requested_by="t")
    event = envelope(payload, key="r", source="t")
    outcome = sched.handle(event, payload)
    m.observe_outcome(outcome, payload, sched.cache.get("r"), time.perf_counter(), event.time)
    return outcome


def test_decisions_count_by_outcome_audience_and_a_bounded_type(
    registry: CollectorRegistry, sched: Scheduler
) -> None:
    m = SchedulerMetrics(registry)
    for rid in ("a", "b", "c"):
        ask(sched, m, rid, **DAY)
    unknown = ask(sched, m, "d", equipment_type="no-such-type", **DAY).kind
    get = registry.get_sample_value
    labels = {"region": "r", "audience": "pupils", "equipment_type": "dry-room"}
    assert get("hubplan_decisions_total", {**labels, "outcome": "confirmed"}) == 2
    assert get("hubplan_decisions_total", {**labels, "outcome": "waitlisted"}) == 1
    # an id the catalogue does not know never becomes a label value
    other = {**labels, "equipment_type": "other", "outcome": unknown}
    assert get("hubplan_decisions_total", other) == 1
    assert get("hubplan_decision_latency_seconds_count", {"region": "r"}) == 4


def test_a_cancellation_counts_the_promotion_it_caused(
    registry: CollectorRegistry, sched: Scheduler
) -> None:
    m = SchedulerMetrics(registry)
    for rid in ("a", "b", "c"):
        ask(sched, m, rid, **DAY)
    cancel = BookingCancelled(request_id="a", cancelled_by="t")
    event = envelope(cancel, key="r", source="t")
    outcome = sched.handle(event, cancel)
    m.observe_outcome(outcome, cancel, sched.cache.get("r"), time.perf_counter(), event.time)
    get = registry.get_sample_value
    assert get("hubplan_promotions_total", {"region": "r", "via": "cancellation"}) == 0
    (retry,) = [o for o in outcome.messages if o.topic == "hubplan.intake"]
    command = RetryWaitlist.model_validate(retry.event.data)
    retried = sched.handle(retry.event, command)
    m.observe_outcome(retried, command, sched.cache.get("r"), time.perf_counter(), event.time)
    assert get("hubplan_promotions_total", {"region": "r", "via": "cancellation"}) == 1
    cancelled = {
        "region": "r",
        "outcome": "cancelled",
        "audience": "unknown",
        "equipment_type": "unknown",
    }
    assert get("hubplan_decisions_total", cancelled) == 1


def test_solver_runs_gap_and_time_limit_hits(registry: CollectorRegistry) -> None:
    m = SchedulerMetrics(registry)
    m.observe_solver(
        "r", {"seconds": 0.4, "status": "OPTIMAL", "gap": 0.0, "promote": {"x": []}}, 5
    )
    m.observe_solver("r", {"seconds": 4.9, "status": "FEASIBLE", "gap": 0.25, "promote": {}}, 5)
    m.observe_solver(
        "r", {"seconds": 5.0, "status": "FEASIBLE", "gap": None, "promote": {"y": []}}, 5
    )
    m.observe_solver_error("r")
    get = registry.get_sample_value
    assert get("hubplan_solver_duration_seconds_count", {"region": "r"}) == 3
    assert get("hubplan_solver_runs_total", {"region": "r", "status": "feasible"}) == 2
    assert get("hubplan_solver_runs_total", {"region": "r", "status": "error"}) == 1
    assert get("hubplan_solver_gap_ratio", {"region": "r"}) == 0.25  # None keeps the last
    assert get("hubplan_solver_time_limit_hits_total", {"region": "r", "plan": "none"}) == 1
    assert get("hubplan_solver_time_limit_hits_total", {"region": "r", "plan": "promoted"}) == 1
    assert get("hubplan_solver_time_limit_seconds") == 5


def test_plan_gauges_follow_the_regions_this_worker_owns(
    registry: CollectorRegistry, sched: Scheduler
) -> None:
    m = SchedulerMetrics(registry)
    for rid in ("a", "b", "c"):
        ask(sched, m, rid, **DAY)
    m.observe_regions(sched.cache, BEFORE)
    get = registry.get_sample_value
    cell = {"region": "r", "hub": "hub", "equipment_type": "dry-room", "part": "day"}
    assert get("hubplan_slot_booked_sessions", {**cell, "window": "week1"}) == 2
    assert get("hubplan_slot_capacity_sessions", {**cell, "window": "week1"}) == 10
    assert get("hubplan_planned_utilisation_ratio", {**cell, "window": "week1"}) == 0.2
    assert (
        get("hubplan_demand_sessions", {"region": "r", "equipment_type": "dry-room", "part": "day"})
        == 3
    )
    waiting = {"region": "r", "school": "near", "programme": "vg2-intro"}
    assert get("hubplan_waitlisted_requests", waiting) == 1
    assert get("hubplan_solver_time_limit_hits_total", {"region": "r", "plan": "none"}) == 0
    m.observe_regions({}, BEFORE)  # partitions moved away: nothing stale stays behind
    assert get("hubplan_planned_utilisation_ratio", {**cell, "window": "week1"}) is None
    assert get("hubplan_waitlisted_requests", waiting) is None


def test_without_a_registry_the_metrics_go_where_the_http_server_looks() -> None:
    """``start_http_server`` serves the default registry; metrics given
    ``registry=None`` would be registered nowhere and never scraped. Checked in
    a child process so this process' default registry stays untouched."""
    code = (
        "from prometheus_client import generate_latest\n"
        "from services.scheduler.metrics import SchedulerMetrics\n"
        "SchedulerMetrics()\n"
        "print(generate_latest().decode())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "# TYPE hubplan_decisions_total counter" in done.stdout, done.stderr


def test_a_worker_exports_how_many_workers_the_deployment_runs(
    registry: CollectorRegistry, tmp_path: Any
) -> None:
    """HubplanSchedulerWorkersMissing compares the workers up with this count."""
    settings = SchedulerSettings(
        bootstrap="127.0.0.1:1", data_dir=str(tmp_path), expected_workers=3
    )
    build(settings, SchedulerMetrics(registry))
    assert registry.get_sample_value("hubplan_scheduler_workers_expected") == 3


def test_known_dead_letter_reasons_start_at_zero(registry: CollectorRegistry) -> None:
    """So the first dead letter is an increase, and the DLQ alert sees it."""
    m = SchedulerMetrics(registry)
    assert (
        registry.get_sample_value("hubplan_deadletter_messages_total", {"reason": "not-json"}) == 0
    )
    m.deadletters.labels("not-json").inc()
    assert (
        registry.get_sample_value("hubplan_deadletter_messages_total", {"reason": "not-json"}) == 1
    )


def test_a_regions_decision_series_start_at_zero(
    registry: CollectorRegistry, sched: Scheduler
) -> None:
    """So the first burst of confirmations is an increase ``rate()`` can see."""
    m = SchedulerMetrics(registry)
    ask(sched, m, "a", audience="adults", **DAY)
    get = registry.get_sample_value
    labels = {"region": "r", "equipment_type": "dry-room"}
    assert (
        get("hubplan_decisions_total", {**labels, "audience": "adults", "outcome": "confirmed"})
        == 1
    )
    assert (
        get("hubplan_decisions_total", {**labels, "audience": "pupils", "outcome": "confirmed"})
        == 0
    )
    assert (
        get("hubplan_decisions_total", {**labels, "audience": "pupils", "outcome": "waitlisted"})
        == 0
    )
    cancelled = {
        "region": "r",
        "outcome": "cancelled",
        "audience": "unknown",
        "equipment_type": "unknown",
    }
    assert get("hubplan_decisions_total", cancelled) == 0
    # bounded by the catalogue: an unknown type is never a label
    assert (
        get(
            "hubplan_decisions_total",
            {
                **labels,
                "equipment_type": "no-such-type",
                "audience": "pupils",
                "outcome": "confirmed",
            },
        )
        is None
    )
