"""A region's state: plain JSON records in tables, and a live planning cache.

Tables (Faust tables in production, dicts in tests) hold only JSON-able
values (faust-streaming #556/#632: custom serialisers are ignored in tables):

* ``catalogues[region]`` -> the region's catalogue (scenario format);
* ``regions[region]``    -> ``{"version", "moves"}`` (``version``: see
  :data:`VERSION_STRIDE`);
* ``bookings[request]``  -> ``{"region", "request", "status", "sessions",
  "reason", "detail", "seq"}``;
* ``seen[event_id]``     -> 1, for at-least-once dedupe; for an operator's
                            event, its receipt (``EventHandled``) instead.

The :class:`RegionRuntime` (a ``LivePlan`` plus indexes) is derived from the
tables and can be dropped and rebuilt at any time, e.g. after a rebalance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from schemas.events import RegionCatalogue
from schemas.scenario import SCENARIO_FORMAT, LockedSession, Request, Scenario
from schemas.schedule import SCHEDULE_FORMAT, ContainerMove, Session
from services.planner.insert import LivePlan
from services.planner.ledger import Booking
from services.planner.locks import lock_of
from services.scheduler.waitlist import Waitlist

Status = Literal["confirmed", "waitlisted", "rejected", "cancelled"]

# A region's version goes up with every change; proposals carry the version
# they were computed on and apply only to it. Writing it to the table on every
# event was a changelog message per event, so it is written at most once per
# VERSION_STRIDE - 1 changes, and a runtime rebuilt from the table starts
# VERSION_STRIDE above what it finds: above every version handed out before,
# so a proposal from before a restart or rebalance is always stale, and plan
# versions only ever go up.
VERSION_STRIDE = 1000
Table = MutableMapping[str, Any]


@dataclass
class Store:
    catalogues: Table
    regions: Table
    bookings: Table
    seen: Table


@dataclass
class RegionRuntime:
    region: str
    catalogue: RegionCatalogue
    requests: dict[str, Request]
    status: dict[str, Status]
    live: LivePlan
    moves: list[ContainerMove]
    version: int
    version_saved: int | None = None  # last version written to the table by this runtime
    dirty: bool = True  # the optimiser has not looked at it since the last change
    solving: bool = False
    changed_at: float = 0.0
    waitlist: Waitlist = field(default_factory=Waitlist)
    plan_sent: int = -1  # version of the last PlanChanged sent
    repair: str | None = None  # pending disruption(s) to repair, in words
    repair_failures: int = 0  # repair runs in a row that failed (a bug): back off
    repair_not_before: float = 0.0  # time.monotonic() before which no repair is tried
    plan_cause: str = "catalogue"
    # capacity freed by cancellations and not yet offered to the waitlist, and the
    # token of the RetryWaitlist command on its way (see cancel_handlers.py)
    freed: list[Booking] = field(default_factory=list)
    retry_token: str | None = None
    # confirmed bookings the catalogue can no longer keep whole (a unit, slot or
    # instructor gone or changed): their good sessions are held in ``live``,
    # they stay confirmed until the repair reschedules or displaces them, and
    # this keeps all their old sessions for it (see ``_split``)
    unkept: dict[str, list[Session]] = field(default_factory=dict)


def scenario_of(catalogue: RegionCatalogue, requests: list[Request], name: str) -> Scenario:
    return Scenario.model_validate(
        {
            "format": SCENARIO_FORMAT,
            "name": name,
            **{k: getattr(catalogue, k) for k in RegionCatalogue.model_fields},
            "requests": requests,
        }
    )


def load_runtime(store: Store, region: str) -> RegionRuntime | None:
    """Rebuild a region's cache from the tables (None: no catalogue yet)."""
    raw = store.catalogues.get(region)
    if raw is None:
        return None
    catalogue = RegionCatalogue.model_validate(raw, strict=False)
    meta = store.regions.get(region) or {"moves": []}
    requests: dict[str, Request] = {}
    status: dict[str, Status] = {}
    confirmed: dict[str, list[Session]] = {}
    for rid, rec in list(store.bookings.items()):
        if rec.get("region") != region or rec["status"] not in ("confirmed", "waitlisted"):
            continue
        requests[rid] = Request.model_validate(rec["request"], strict=False)
        status[rid] = rec["status"]
        if rec["status"] == "confirmed":
            confirmed[rid] = [Session.model_validate(s, strict=False) for s in rec["sessions"]]
    moves = [ContainerMove.model_validate(m, strict=False) for m in meta.get("moves", [])]
    scenario = scenario_of(catalogue, list(requests.values()), region)
    held, unkept = _split(scenario, requests, confirmed)
    live = LivePlan(scenario, held, moves, not_before=dt.date.today())
    runtime = RegionRuntime(
        region=region,
        catalogue=catalogue,
        requests=requests,
        status=status,
        live=live,
        moves=moves,
        version=int(meta["version"]) + VERSION_STRIDE if "version" in meta else 0,
        version_saved=int(meta["version"]) if "version" in meta else None,
        repair=meta.get("repair"),
    )
    for rid, s in status.items():
        if s == "waitlisted":
            runtime.waitlist.add(requests[rid])
    runtime.unkept = {rid: confirmed[rid] for rid in unkept}
    return runtime


def _split(
    scenario: Scenario, requests: dict[str, Request], confirmed: dict[str, list[Session]]
) -> tuple[dict[str, list[Session]], set[str]]:
    """(sessions the live plan holds, bookings the catalogue can no longer keep whole).

    A session is kept if its slot, date, unit and instructor still exist and
    the unit still fits the request (type, seats, part). A booking with any
    other session is *unkept*: its good sessions are still held (so nothing
    else takes them before the repair decides), and the repair reschedules
    or displaces it.
    """
    slots = {s.id: s.part for s in scenario.slots}
    units = {e.id: (e.type, e.seats, e.parts) for e in scenario.equipment}
    boxes = {c.id: (c.types, c.seats) for c in scenario.containers}
    staff = {p.id for p in scenario.staff or []}
    h = scenario.horizon

    def fits(req: Request, s: Session) -> bool:
        if slots.get(s.slot) != req.part or not h.start <= s.date <= h.end:
            return False
        if s.staff is not None and s.staff not in staff:
            return False
        if s.resource in units:
            kind, seats, parts = units[s.resource]
            return kind == req.equipment_type and seats >= req.group_size and req.part in parts
        if s.resource in boxes:
            kinds, seats = boxes[s.resource]
            return req.equipment_type in kinds and seats >= req.group_size
        return False

    held: dict[str, list[Session]] = {}
    unkept: set[str] = set()
    for rid, sessions in confirmed.items():
        good = [s for s in sessions if fits(requests[rid], s)]
        held[rid] = good
        if len(good) < len(sessions):
            unkept.add(rid)
    return held, unkept


def locks_of(runtime: RegionRuntime) -> list[LockedSession]:
    """Every confirmed session as a lock pinned to its site (for the optimiser)."""
    return [
        lock_of(s)
        for rid, status in runtime.status.items()
        if status == "confirmed"
        for s in runtime.live.sessions(rid)
    ]


def snapshot(runtime: RegionRuntime) -> Scenario:
    """The region as a scenario: confirmed + waitlisted requests, confirmed sessions locked."""
    active = [
        runtime.requests[r] for r, s in runtime.status.items() if s in ("confirmed", "waitlisted")
    ]
    base = scenario_of(runtime.catalogue, active, f"{runtime.region}@v{runtime.version}")
    return base.model_copy(update={"locked": locks_of(runtime)})


def plan_document(runtime: RegionRuntime) -> dict[str, Any]:
    """The region's current plan in the schedule format (for exports and tests)."""
    sessions = [
        s for r, st in runtime.status.items() if st == "confirmed" for s in runtime.live.sessions(r)
    ]
    served = {s.request for s in sessions}
    value = sum(runtime.requests[r].value for r in served)
    return {
        "format": SCHEDULE_FORMAT,
        "scenario": f"{runtime.region}@v{runtime.version}",
        "sessions": [s.model_dump(mode="json", exclude_none=True) for s in sessions],
        "container_moves": [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in runtime.moves
        ],
        "metrics": {
            "served_value": value,
            "requested_value": sum(
                runtime.requests[r].value
                for r in runtime.status
                if runtime.status[r] in ("confirmed", "waitlisted")
            ),
            "container_km": round(sum(m.km for m in runtime.moves), 1),
            "solve_seconds": 0.0,
        },
    }
