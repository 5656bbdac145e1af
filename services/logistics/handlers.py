"""The logistics service's flow: one message in, messages to send and table writes out.

No Faust here (the agents in ``agents.py`` are the thin layer), so tests
drive it with plain dicts as tables. A handler never writes a table itself:
it returns a :class:`Step` whose messages the agent sends - and waits for -
before it writes the tables. A crash between the two repeats the messages
(same ids) instead of losing them: at-least-once.

State, all plain JSON (Faust tables ignore custom serializers):

* ``catalogues[region]``: the region's catalogue as the scheduler holds it -
  the ``CatalogueLoaded`` of the intake, with every ``ResourceChanged`` and
  ``DisruptionReported`` since applied by the scheduler's own pure functions
  (a change the scheduler would refuse is refused here too).
* ``sessions["{region}/{request}"]``: the sessions a request holds on
  containers, from its latest decision on ``hubplan.decisions``.
* ``regions[region]``: the latest plan version and its moves, each
  container's itinerary (stays with the sessions held, moves with transit,
  setup, driving time and notice lock), and, while move events wait for a
  catalogue that names every container and site, the moves last announced.

Move events are numbered along the diff (``schemas.logistics.move_event_id``),
so a plan handled again yields the same ids; an older or repeated plan
version yields nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from schemas.disruptions import BookingWithdrawn
from schemas.events import (
    DEADLETTER,
    BookingCancellationConfirmed,
    BookingConfirmed,
    BookingDisplaced,
    BookingRejected,
    BookingRescheduled,
    BookingWaitlisted,
    CatalogueLoaded,
    DeadLettered,
    DisruptionReported,
    Envelope,
    PlanChanged,
    RegionCatalogue,
    ResourceChanged,
    dead_letter_original,
    envelope,
)
from schemas.logistics import LOGISTICS, move_event_id
from schemas.schedule import ContainerMove
from services.logistics.book import (
    checked_catalogue,
    container_sessions,
    move_events,
    region_itineraries,
    scenario_of_catalogue,
    unknown_references,
)
from services.logistics.diff import diff_moves
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS
from services.planner.calendar import reference_day
from services.planner.disruptions import DisruptionError, apply_disruptions
from services.scheduler.catalogue_edit import CatalogueChangeError, NothingToRemove, apply_change

OSLO = ZoneInfo("Europe/Oslo")
OperatorEvent = CatalogueLoaded | ResourceChanged | DisruptionReported
Decision = (
    BookingConfirmed
    | BookingRescheduled
    | BookingWaitlisted
    | BookingRejected
    | BookingDisplaced
    | BookingCancellationConfirmed
)
DECISIONS_READ = (
    BookingConfirmed,
    BookingRescheduled,
    BookingWaitlisted,
    BookingRejected,
    BookingDisplaced,
    BookingCancellationConfirmed,
)


class Store(Protocol):
    catalogues: MutableMapping[str, Any]
    sessions: MutableMapping[str, Any]
    regions: MutableMapping[str, Any]


@dataclass
class Tables:
    """The three tables as plain dicts (tests; ``app.py`` passes Faust tables)."""

    catalogues: MutableMapping[str, Any] = field(default_factory=dict)
    sessions: MutableMapping[str, Any] = field(default_factory=dict)
    regions: MutableMapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Out:
    topic: str
    event: Envelope

    @property
    def kind(self) -> str:
        """planned / changed / cancelled for a move event (a bounded metric label)."""
        return self.event.type.split(".")[2] if self.topic == LOGISTICS else "dead-letter"


@dataclass
class Step:
    """What one message led to: send ``messages`` first, then apply ``writes``."""

    outcome: str
    messages: list[Out] = field(default_factory=list)
    # (table, key, value); None deletes the key
    writes: list[tuple[str, str, Any]] = field(default_factory=list)


def oslo_today() -> dt.date:
    return dt.datetime.now(OSLO).date()


class Logistics:
    def __init__(
        self,
        store: Store,
        *,
        source: str = "logistics",
        notice_days: int = DEFAULT_NOTICE_DAYS,
        today: Callable[[], dt.date] = oslo_today,
    ) -> None:
        self.store, self.source = store, source
        self.notice_days, self.today = notice_days, today

    # -- hubplan.plans ---------------------------------------------------------------
    def on_plan(self, plan: PlanChanged) -> Step:
        region = plan.region
        state = self.store.regions.get(region) or {"version": -1, "moves": []}
        if plan.version <= state["version"]:
            return Step("stale")  # a redelivery or an older plan: said already
        baseline = state.get("announced") or {"version": state["version"], "moves": state["moves"]}
        new = {
            "version": plan.version,
            "moves": [
                m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in plan.moves
            ],
        }
        return self._settle(region, new, baseline, self.store.catalogues.get(region), "ok")

    def _settle(
        self,
        region: str,
        state: dict[str, Any],
        announced: dict[str, Any],
        catalogue: dict[str, Any] | None,
        outcome: str,
        sessions: Iterable[dict[str, Any]] | None = None,
    ) -> Step:
        """Announce what changed since ``announced`` if the catalogue allows; refresh the
        itineraries. Returns the region's new state as a write."""
        scenario = checked_catalogue(region, catalogue) if catalogue is not None else None
        moves = [ContainerMove.model_validate(m, strict=False) for m in state["moves"]]
        missing = unknown_references(scenario, moves) if scenario is not None else ["catalogue"]
        # the scheduler's reference day: before the term opens its first trips are locked
        today = reference_day(scenario, self.today()) if scenario is not None else self.today()
        messages: list[Out] = []
        state = {k: v for k, v in state.items() if k not in ("announced", "waiting_for")}
        if state["version"] > announced["version"]:
            if scenario is not None and not missing:
                old = [ContainerMove.model_validate(m, strict=False) for m in announced["moves"]]
                events = move_events(
                    scenario,
                    diff_moves(old, moves),
                    region=region,
                    version=state["version"],
                    today=today,
                    notice_days=self.notice_days,
                )
                messages = [
                    Out(
                        LOGISTICS,
                        envelope(
                            e,
                            key=e.container,
                            source=self.source,
                            event_id=move_event_id(region, state["version"], n),
                        ),
                    )
                    for n, e in enumerate(events)
                ]
            else:
                # held back until the catalogue names every container and site of the
                # moves: the intake and the plans are read independently
                state["announced"] = announced
                state["waiting_for"] = missing
                outcome = "held"
        if scenario is not None:
            held = self._region_sessions(region) if sessions is None else sessions
            state["itineraries"] = region_itineraries(
                scenario, moves, held, today, self.notice_days
            )
            state["as_of"] = today.isoformat()
        return Step(outcome, messages, [("regions", region, state)])

    def _region_sessions(
        self, region: str, override: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every container session of ``region``, with ``override`` (key -> sessions) applied."""
        prefix = f"{region}/"
        found = {k: v for k, v in self.store.sessions.items() if k.startswith(prefix)}
        found.update(override or {})
        return [s for held in found.values() if held for s in held]

    def _refresh(self, region: str, outcome: str, **changes: Any) -> Step:
        """Re-settle a region after its catalogue or sessions changed."""
        state = self.store.regions.get(region)
        if state is None:
            return Step(outcome)  # no plan yet: the first one builds the itineraries
        announced = state.get("announced") or {"version": state["version"], "moves": state["moves"]}
        return self._settle(
            region,
            dict(state),
            announced,
            changes.get("catalogue", self.store.catalogues.get(region)),
            outcome,
            changes.get("sessions"),
        )

    # -- hubplan.intake: the catalogue -------------------------------------------------
    def on_operator_event(self, payload: OperatorEvent) -> Step:
        region = payload.region
        current = self.store.catalogues.get(region)
        new = self._catalogue_after(payload, current)
        if new is None or new == current:
            return Step("catalogue-unchanged")
        step = self._refresh(region, "catalogue", catalogue=new)
        step.writes.insert(0, ("catalogues", region, new))
        return step

    def _catalogue_after(
        self, p: OperatorEvent, current: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """The catalogue after ``p``, as the scheduler computes it; None if it would refuse."""
        try:
            if isinstance(p, CatalogueLoaded):
                new = p.catalogue.model_dump(mode="json", by_alias=True, exclude_none=True)
            elif current is None:
                return None
            elif isinstance(p, ResourceChanged):
                new = apply_change(current, p)
            elif isinstance(p.disruption, BookingWithdrawn):
                return None  # a cancellation: the decisions say what it freed
            else:
                state = self.store.regions.get(p.region) or {"moves": []}
                moves = [ContainerMove.model_validate(m, strict=False) for m in state["moves"]]
                scenario = scenario_of_catalogue(p.region, current)
                today = reference_day(scenario, self.today())  # as the scheduler does
                after, _, _ = apply_disruptions(scenario, [p.disruption], moves, today)
                kept = {k: getattr(after, k) for k in RegionCatalogue.model_fields}
                new = RegionCatalogue.model_validate(kept).model_dump(
                    mode="json", by_alias=True, exclude_none=True
                )
        except (
            CatalogueChangeError,
            NothingToRemove,
            DisruptionError,
            ValidationError,
            ValueError,
        ):
            return None
        return new if checked_catalogue(p.region, new) is not None else None

    # -- hubplan.decisions: sessions held on containers --------------------------------
    def on_decision(self, region: str, payload: Decision) -> Step:
        rid = payload.request_id
        if isinstance(payload, BookingConfirmed | BookingRescheduled):
            catalogue = self.store.catalogues.get(region)
            boxes = {c["id"] for c in catalogue.get("containers", [])} if catalogue else None
            held = container_sessions(payload.sessions, boxes)
        else:
            held = []  # waitlisted, rejected, displaced or cancelled: holds nothing
        key = f"{region}/{rid}"
        if (self.store.sessions.get(key) or []) == held:
            return Step("sessions-unchanged")
        step = self._refresh(
            region, "sessions", sessions=self._region_sessions(region, {key: held})
        )
        step.writes.insert(0, ("sessions", key, held or None))
        return step

    # -- anything we cannot read -------------------------------------------------------
    def dead_letter(
        self,
        raw: bytes | None,
        key: bytes | str | None,
        where: tuple[str, int, int],
        reason: str,
        errors: list[dict[str, str]],
    ) -> Step:
        topic, partition, offset = where
        dead = DeadLettered(
            topic=topic,
            partition=partition,
            offset=offset,
            reason=reason,
            errors=errors,
            original_base64=dead_letter_original(raw),
            original_key=key.decode(errors="replace") if isinstance(key, bytes) else key,
        )
        event = envelope(dead, key="deadletter", source=self.source)
        return Step("dead-letter", [Out(DEADLETTER, event)])
