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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas.schedule import ContainerMove

# plan fields a kept move can change (``truck_minutes`` is the plan's driving time)
COMPARED = ("depart", "ready", "km", "truck_minutes")


@dataclass(frozen=True)
class MoveDiff:
    """One difference between two plans' moves of a container, in plan terms.

    ``changed`` names the plan fields that differ (``COMPARED``); the
    logistics service turns each into a ``hubplan.container-move.*`` event.
    """

    kind: Literal["planned", "changed", "cancelled"]
    container: str
    before: ContainerMove | None
    after: ContainerMove | None
    changed: tuple[str, ...] = ()

    @property
    def move(self) -> ContainerMove:
        """The move as it is now (planned, changed) or was (cancelled)."""
        found = self.after or self.before
        assert found is not None
        return found


def _route(m: ContainerMove) -> tuple[str, str]:
    return (m.from_, m.to)


def _changed_fields(a: ContainerMove, b: ContainerMove) -> tuple[str, ...]:
    return tuple(name for name in COMPARED if getattr(a, name) != getattr(b, name))


def _diff_container(old: list[ContainerMove], new: list[ContainerMove]) -> list[MoveDiff]:
    box = (old or new)[0].container
    out: list[MoveDiff] = []
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
            out.append(MoveDiff("changed", box, a, b, fields))
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
        out.append(MoveDiff("changed", box, a, b, _changed_fields(a, b)))
    # 3. the rest
    out += [
        MoveDiff("cancelled", box, a, None) for i, a in enumerate(left_old) if i not in used_old
    ]
    out += [MoveDiff("planned", box, None, b) for j, b in enumerate(left_new) if j not in used_new]
    return out


def _when(d: MoveDiff) -> tuple[str, str]:
    return (d.container, d.move.depart.isoformat())


def diff_moves(old: Iterable[ContainerMove], new: Iterable[ContainerMove]) -> list[MoveDiff]:
    """What takes a listener from ``old`` to ``new``, by container and date.

    The order is part of the contract: the logistics service numbers its
    events by position, so the same two plans always give the same ids.
    """
    by_box: dict[str, tuple[list[ContainerMove], list[ContainerMove]]] = defaultdict(
        lambda: ([], [])
    )
    for m in old:
        by_box[m.container][0].append(m)
    for m in new:
        by_box[m.container][1].append(m)
    diffs: list[MoveDiff] = []
    for box in sorted(by_box):
        before, after = by_box[box]
        diffs += _diff_container(
            sorted(before, key=lambda m: m.depart), sorted(after, key=lambda m: m.depart)
        )
    return sorted(diffs, key=_when)
