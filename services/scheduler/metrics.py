"""Prometheus metrics of the scheduler (names per the Prometheus naming guide).

One prefix (``hubplan_``), base units, ``_total`` on counters, and only
bounded labels: region, hub, equipment type, part, window, audience, school,
programme (top 20 per region), container, outcome/status/reason enums. A
request id is never a label. The agent calls the ``observe_*`` methods; the
figures behind the plan gauges come from :mod:`services.observability.planview`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Mapping
from typing import Any, get_args
from zoneinfo import ZoneInfo

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from schemas.common import Audience
from schemas.events import BookingConfirmed, BookingRequested
from schemas.wire import DEADLETTER_REASONS, WIRE_REASONS
from services.observability.planview import RegionFigures, region_figures
from services.scheduler.handlers import Outcome
from services.scheduler.state import RegionRuntime

DECIDED = ("confirmed", "waitlisted", "rejected", "cancelled")
PROMOTED_VIA = {"optimised": "optimiser", "catalogue": "catalogue"}
SOLVER_STATUSES = ("optimal", "feasible", "seed", "fcfs", "error")


def deadletter_counter(registry: CollectorRegistry) -> Counter:
    """``hubplan_deadletter_messages_total`` by reason, every reason at 0 from the start.

    Every reason: ``schemas.wire.DEADLETTER_REASONS``, the Literal that WireError
    and InvalidEvent are typed with. At 0 from the start, so the first dead
    letter is an increase Prometheus can see, not a new series that starts at 1.

    One family for every service that dead-letters (the scheduler, logistics),
    so the dead-letter panels and the DLQ alert see them all.
    """
    counter = Counter(
        "hubplan_deadletter_messages_total",
        "Messages sent to the dead-letter topic.",
        ["reason"],
        registry=registry,
    )
    for reason in DEADLETTER_REASONS:
        counter.labels(reason)
    return counter


OSLO = ZoneInfo("Europe/Oslo")
CELL = ["region", "hub", "equipment_type", "part", "window"]


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # None means the process-wide registry that ``start_http_server`` serves
        # (passing registry=None to a metric would register it nowhere)
        r = registry if registry is not None else REGISTRY
        # no ``*_created`` series: prometheus_client adds one (the child's start
        # time) beside every counter and histogram child, as a series of its own
        # such as ``hubplan_decisions_created``; nothing reads it (rate() sees a
        # restart as a counter reset). The switch is process-wide: each service
        # turns it off where it builds its metrics.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
        self._decision_series: set[str] = set()  # regions whose series are exported at 0
        self.events = Counter(
            "hubplan_events_total",
            "Events handled by the scheduler.",
            ["type", "outcome"],
            registry=r,
        )
        for reason in WIRE_REASONS:  # the agent counts ("undecodable", reason): at 0, as above
            self.events.labels("undecodable", reason)
        self.decisions = Counter(
            "hubplan_decisions_total",
            "First decisions on requests and cancellations.",
            ["region", "outcome", "audience", "equipment_type"],
            registry=r,
        )
        self.latency = Histogram(
            "hubplan_decision_latency_seconds",
            "Request event time to decision sent.",
            ["region"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
            registry=r,
        )
        self.deadletters = deadletter_counter(r)
        self.solver = Histogram(
            "hubplan_solver_duration_seconds",
            "Background optimiser runs (wall time).",
            ["region"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.solver_runs = Counter(
            "hubplan_solver_runs_total",
            "Optimiser runs by solver status.",
            ["region", "status"],
            registry=r,
        )
        self.solver_limit_hits = Counter(
            "hubplan_solver_time_limit_hits_total",
            "Optimiser runs that used their whole time limit; plan=none: nothing to promote.",
            ["region", "plan"],
            registry=r,
        )
        self.solver_limit = Gauge(
            "hubplan_solver_time_limit_seconds",
            "Configured CP-SAT time limit per run.",
            registry=r,
        )
        self.workers_expected = Gauge(
            "hubplan_scheduler_workers_expected",
            "Scheduler workers the deployment runs (HUBPLAN_EXPECTED_WORKERS).",
            registry=r,
        )
        self.solver_gap = Gauge(
            "hubplan_solver_gap_ratio",
            "Relative gap of the last optimiser run.",
            ["region"],
            registry=r,
        )
        self.promoted = Counter(
            "hubplan_promotions_total",
            "Waitlisted requests promoted.",
            ["region", "via"],
            registry=r,
        )
        self.waitlist = Gauge(
            "hubplan_waitlist_size", "Waitlisted requests.", ["region"], registry=r
        )
        self.served_share = Gauge(
            "hubplan_served_value_ratio", "Served / requested value.", ["region"], registry=r
        )
        self._plan_gauges(r)

    def _plan_gauges(self, r: CollectorRegistry) -> None:
        g: dict[str, Gauge] = {}
        for name, doc, labels in (
            ("hubplan_slot_capacity_sessions", "Bookable sessions (unit-slots) in a window.", CELL),
            ("hubplan_slot_booked_sessions", "Confirmed sessions in a window.", CELL),
            ("hubplan_planned_utilisation_ratio", "Booked / bookable sessions.", CELL),
            (
                "hubplan_demand_sessions",
                "Sessions asked for by active requests.",
                ["region", "equipment_type", "part"],
            ),
            (
                "hubplan_capacity_sessions",
                "Bookable sessions in the horizon per type.",
                ["region", "equipment_type", "part"],
            ),
            (
                "hubplan_waitlisted_requests",
                "Waitlisted requests by school and programme.",
                ["region", "school", "programme"],
            ),
            (
                "hubplan_planned_container_moves",
                "Moves in the current plan.",
                ["region", "container"],
            ),
            (
                "hubplan_planned_container_travel_meters",
                "Truck distance of the planned moves.",
                ["region", "container"],
            ),
            (
                "hubplan_container_location_info",
                "1 at the site a container stands on today.",
                ["region", "container", "site"],
            ),
            (
                "hubplan_container_next_move_timestamp_seconds",
                "Departure of the next move.",
                ["region", "container"],
            ),
            ("hubplan_plan_version", "Version of the region's live plan.", ["region"]),
        ):
            g[name] = Gauge(name, doc, labels, registry=r)
        self.plan_gauges = g
        self._series: dict[str, dict[str, set[tuple[str, ...]]]] = {}  # region -> gauge -> labels
        self._seen: dict[str, tuple[int, int, dt.date]] = {}

    # -- per event -----------------------------------------------------------
    def observe_outcome(
        self,
        outcome: Outcome,
        payload: Any,
        rt: RegionRuntime | None,
        started: float,
        event_time: dt.datetime,
    ) -> None:
        """Count a handled event's decisions and promotions (waitlist size and served
        share come from the plan summaries, see ``publish_plans`` in the agents)."""
        region = outcome.region or "unknown"
        if rt is not None and region not in self._decision_series:
            self._zero_decisions(region, rt)
        if outcome.kind in DECIDED:
            audience, kind = "unknown", "unknown"
            if isinstance(payload, BookingRequested):
                audience = payload.request.audience
                asked_for = payload.request.equipment_type
                kind = asked_for if asked_for in _types(rt) else "other"  # bounded by catalogue
            self.decisions.labels(region, outcome.kind, audience, kind).inc()
            age = (dt.datetime.now(dt.UTC) - event_time).total_seconds()
            self.latency.labels(region).observe(max(age, time.perf_counter() - started))
        via = PROMOTED_VIA.get(outcome.kind)
        if via:
            n = sum(1 for m in outcome.messages if m.event.type == BookingConfirmed.TYPE)
            if n:
                self.promoted.labels(region, via).inc(n)
        if outcome.promoted_after_cancel:
            self.promoted.labels(region, "cancellation").inc(outcome.promoted_after_cancel)

    def _zero_decisions(self, region: str, rt: RegionRuntime) -> None:
        """Export a region's decision and promotion series at 0 once its catalogue is known.

        Why: a series born at 1 has no increase Prometheus can see, so the
        first burst of confirmations would never show in ``rate()`` panels.
        Bounded: outcomes x audiences x the catalogue's equipment types.
        """
        self._decision_series.add(region)
        for kind in (*_types(rt), "other"):
            for audience in get_args(Audience):
                for outcome in ("confirmed", "waitlisted", "rejected"):
                    self.decisions.labels(region, outcome, audience, kind)
        self.decisions.labels(region, "cancelled", "unknown", "unknown")
        for via in ("cancellation", *PROMOTED_VIA.values()):
            self.promoted.labels(region, via)

    # -- optimiser -------------------------------------------------------------
    def observe_solver(self, region: str, result: Mapping[str, Any], time_limit: float) -> None:
        """One optimiser run: duration, status, gap, and whether it hit the limit for nothing."""
        seconds = float(result["seconds"])
        self.solver_limit.set(time_limit)
        self.solver.labels(region).observe(seconds)
        status = str(result.get("status", "")).lower()
        self.solver_runs.labels(region, status if status in SOLVER_STATUSES else "other").inc()
        if result.get("gap") is not None:
            self.solver_gap.labels(region).set(result["gap"])
        if seconds >= 0.95 * time_limit:
            plan = "promoted" if result.get("promote") else "none"
            self.solver_limit_hits.labels(region, plan).inc()

    def observe_solver_error(self, region: str) -> None:
        self.solver_runs.labels(region, "error").inc()

    # -- periodic: plan figures -------------------------------------------------
    def observe_regions(
        self, cache: Mapping[str, RegionRuntime], today: dt.date | None = None
    ) -> None:
        """Refresh the plan gauges of the regions this worker owns; drop the others.

        Called from a timer, not per event: the figures cost time per region,
        and a region whose version and day did not change is skipped.
        """
        day = today or dt.datetime.now(OSLO).date()
        for region in [r for r in self._series if r not in cache]:  # moved to another worker
            self._replace(region, {})
            self._seen.pop(region, None)
            for gauge in (self.waitlist, self.served_share, self.solver_gap):
                _remove(gauge, (region,))
        for region, rt in list(cache.items()):
            key = (rt.version, len(rt.status), day)
            if self._seen.get(region) == key:
                continue
            self._seen[region] = key
            sessions = [
                s for r, st in rt.status.items() if st == "confirmed" for s in rt.live.sessions(r)
            ]
            figures = region_figures(rt.catalogue, rt.requests, rt.status, sessions, rt.moves, day)
            self._replace(region, _series_of(region, rt.version, figures))
            for plan in ("none", "promoted"):  # zero, not absent, until it happens
                self.solver_limit_hits.labels(region, plan)

    def _replace(self, region: str, new: dict[str, dict[tuple[str, ...], float]]) -> None:
        old = self._series.get(region, {})
        for name, gauge in self.plan_gauges.items():
            values = new.get(name, {})
            for labels in old.get(name, set()) - set(values):
                _remove(gauge, labels)
            for labels, value in values.items():
                gauge.labels(*labels).set(value)
        self._series[region] = {name: set(v) for name, v in new.items()}


def _types(rt: RegionRuntime | None) -> set[str]:
    if rt is None:
        return set()
    return {e.type for e in rt.catalogue.equipment} | {
        t for c in rt.catalogue.containers for t in c.types
    }


def _remove(gauge: Gauge, labels: tuple[str, ...]) -> None:
    with contextlib.suppress(KeyError):  # never set, or removed already
        gauge.remove(*labels)


def _series_of(
    region: str, version: int, f: RegionFigures
) -> dict[str, dict[tuple[str, ...], float]]:
    """Gauge name -> label values -> value, for one region's figures."""
    out: dict[str, dict[tuple[str, ...], float]] = {
        "hubplan_slot_capacity_sessions": {(region, *c): v for c, v in f.capacity.items()},
        "hubplan_slot_booked_sessions": {(region, *c): f.booked.get(c, 0) for c in f.capacity},
        "hubplan_planned_utilisation_ratio": {(region, *c): v for c, v in f.utilisation().items()},
        "hubplan_demand_sessions": {(region, *k): v for k, v in f.demand.items()},
        "hubplan_capacity_sessions": {(region, *k): v for k, v in f.type_capacity.items()},
        "hubplan_waitlisted_requests": {(region, *k): v for k, v in f.waitlist.items()},
        "hubplan_plan_version": {(region,): version},
    }
    Series = dict[tuple[str, ...], float]
    moves: Series = {}
    meters: Series = {}
    where: Series = {}
    nxt: Series = {}
    for cid, c in f.containers.items():
        moves[(region, cid)] = c.moves
        meters[(region, cid)] = c.meters
        where[(region, cid, c.site)] = 1
        if c.next_move is not None:
            midnight = dt.datetime.combine(c.next_move, dt.time(), OSLO)
            nxt[(region, cid)] = midnight.timestamp()
    out["hubplan_planned_container_moves"] = moves
    out["hubplan_planned_container_travel_meters"] = meters
    out["hubplan_container_location_info"] = where
    out["hubplan_container_next_move_timestamp_seconds"] = nxt
    return out
