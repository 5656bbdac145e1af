"""Which container moves a new plan added, shifted or dropped: pure, no Kafka.

A move has no id in the plan, so identity is inferred, in this order, per
container:

1. same route and departure day: the same move (``changed`` if its ready
   day, km or driving time differ, silent otherwise);
2. same route, different day: the move was rescheduled (``changed``);
   among several candidates the departures closest in time are paired;
3. whatever is left: old moves were ``cancelled``, new ones ``planned``.

A new destination is a new move, not a change: the receiving site is a
different party that has to hear "planned", and the old one "cancelled".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.events import PlanChanged
from schemas.schedule import ContainerMove
from services.logistics.events import MoveCancelled, MoveChanged, MoveEvent, MoveField, MovePlanned

_COMPARED: tuple[tuple[MoveField, str], ...] = (
    ("depart", "depart"),
    ("ready", "ready"),
    ("km", "km"),
    ("truck_minutes", "truck_minutes"),
)


def _route(m: ContainerMove) -> tuple[str, str]:
    return (m.from_, m.to)


def _changed_fields(a: ContainerMove, b: ContainerMove) -> list[MoveField]:
    return [name for name, attr in _COMPARED if getattr(a, attr) != getattr(b, attr)]


def _diff_container(
    old: list[ContainerMove], new: list[ContainerMove], region: str, version: int
) -> list[MoveEvent]:
    box = (old or new)[0].container
    out: list[MoveEvent] = []
    left_old, left_new = list(old), list(new)
    # 1. same route, same departure
    for a in list(left_old):
        b = next((m for m in left_new if _route(m) == _route(a) and m.depart == a.depart), None)
        if b is None:
            continue
        left_old.remove(a)
        left_new.remove(b)
        fields = _changed_fields(a, b)
        if fields:
            out.append(
                MoveChanged(
                    region=region,
                    container=box,
                    plan_version=version,
                    before=a,
                    after=b,
                    changed=fields,
                )
            )
    # 2. same route, closest departures first
    pairs = sorted(
        (
            (abs((a.depart - b.depart).days), i, j)
            for i, a in enumerate(left_old)
            for j, b in enumerate(left_new)
            if _route(a) == _route(b)
        ),
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, i, j in pairs:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        a, b = left_old[i], left_new[j]
        out.append(
            MoveChanged(
                region=region,
                container=box,
                plan_version=version,
                before=a,
                after=b,
                changed=_changed_fields(a, b),
            )
        )
    # 3. the rest
    out += [
        MoveCancelled(region=region, container=box, plan_version=version, move=a)
        for i, a in enumerate(left_old)
        if i not in used_old
    ]
    out += [
        MovePlanned(region=region, container=box, plan_version=version, move=b)
        for j, b in enumerate(left_new)
        if j not in used_new
    ]
    return out


def _when(event: MoveEvent) -> tuple[str, str]:
    move = event.after if isinstance(event, MoveChanged) else event.move
    return (event.container, move.depart.isoformat())


def diff_moves(
    old: Iterable[ContainerMove], new: Iterable[ContainerMove], *, region: str, version: int
) -> list[MoveEvent]:
    """Events that take a listener from ``old`` to ``new``, by container and date."""
    by_box: dict[str, tuple[list[ContainerMove], list[ContainerMove]]] = defaultdict(
        lambda: ([], [])
    )
    for m in old:
        by_box[m.container][0].append(m)
    for m in new:
        by_box[m.container][1].append(m)
    events: list[MoveEvent] = []
    for box in sorted(by_box):
        before, after = by_box[box]
        events += _diff_container(
            sorted(before, key=lambda m: m.depart),
            sorted(after, key=lambda m: m.depart),
            region,
            version,
        )
    return sorted(events, key=_when)


@dataclass
class MoveBook:
    """The latest known moves and plan version of each region.

    Plain data (lists of models keyed by region) so a restart can rebuild it
    by replaying ``hubplan.plans`` silently; see ``service.py``.
    """

    moves: dict[str, list[ContainerMove]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)

    def apply(self, plan: PlanChanged) -> list[MoveEvent]:
        """Record ``plan``; events for what changed (none for a stale or repeated version)."""
        if plan.version <= self.versions.get(plan.region, -1):
            return []
        events = diff_moves(
            self.moves.get(plan.region, []), plan.moves, region=plan.region, version=plan.version
        )
        self.moves[plan.region] = list(plan.moves)
        self.versions[plan.region] = plan.version
        return events

    def latest(self, region: str, container: str | None = None) -> Sequence[ContainerMove]:
        """The region's current moves, optionally of one container."""
        return [m for m in self.moves.get(region, []) if container in (None, m.container)]
