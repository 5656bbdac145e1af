"""What changed between two plans, session by session, in words people use.

Sessions are matched by content, not by index (indices are renumbered when
a request's dates move): identical sessions are unchanged; the rest are
paired most-similar first and named by the biggest difference.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from schemas.schedule import ContainerMove, Session

ChangeKind = Literal["instructor", "unit", "date", "site", "dropped", "added"]
KIND_TEXT = {
    "instructor": "another instructor",
    "unit": "another unit, same date and slot",
    "date": "another date or slot, same site",
    "site": "another site",
    "dropped": "session cancelled",
    "added": "new session",
}


@dataclass(frozen=True)
class SessionChange:
    request: str
    kind: ChangeKind
    old: Session | None
    new: Session | None

    def describe(self) -> str:
        def show(s: Session | None) -> str:
            if s is None:
                return "-"
            staff = f" with {s.staff}" if s.staff else ""
            return f"{s.date} {s.slot} at {s.site} on {s.resource}{staff}"

        return f"{self.request}: {KIND_TEXT[self.kind]}: {show(self.old)} -> {show(self.new)}"


def _key(s: Session) -> tuple[object, ...]:
    return (s.date, s.slot, s.site, s.resource, s.staff)


def _kind(a: Session, b: Session) -> ChangeKind:
    if a.site != b.site:
        return "site"
    if (a.date, a.slot) != (b.date, b.slot):
        return "date"
    if a.resource != b.resource:
        return "unit"
    return "instructor"


_RANK = {"instructor": 0, "unit": 1, "date": 2, "site": 3}


def diff_sessions(old: Sequence[Session], new: Sequence[Session]) -> list[SessionChange]:
    before: dict[str, list[Session]] = defaultdict(list)
    after: dict[str, list[Session]] = defaultdict(list)
    for s in old:
        before[s.request].append(s)
    for s in new:
        after[s.request].append(s)
    changes: list[SessionChange] = []
    for rid in sorted(set(before) | set(after)):
        a = list(before.get(rid, []))
        b = list(after.get(rid, []))
        for s in list(a):
            twin = next((t for t in b if _key(t) == _key(s)), None)
            if twin is not None:
                a.remove(s)
                b.remove(twin)
        pairs = sorted(
            (
                (_RANK[_kind(x, y)], abs((x.date - y.date).days), i, j)
                for i, x in enumerate(a)
                for j, y in enumerate(b)
            )
        )
        used_a: set[int] = set()
        used_b: set[int] = set()
        for _, _, i, j in pairs:
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            changes.append(SessionChange(rid, _kind(a[i], b[j]), a[i], b[j]))
        changes += [
            SessionChange(rid, "dropped", x, None) for i, x in enumerate(a) if i not in used_a
        ]
        changes += [
            SessionChange(rid, "added", None, y) for j, y in enumerate(b) if j not in used_b
        ]
    return changes


@dataclass(frozen=True)
class MoveChange:
    """A container trip of the old plan and its counterpart in the new (None: none)."""

    container: str
    old: ContainerMove | None
    new: ContainerMove | None

    @property
    def when(self) -> dt.date:
        move = self.old if self.old is not None else self.new
        assert move is not None
        return move.depart

    def describe(self) -> str:
        def show(m: ContainerMove | None) -> str:
            return f"{m.from_}->{m.to} {m.depart}..{m.ready}" if m else "-"

        return f"{self.container}: {show(self.old)} -> {show(self.new)}"


def diff_moves(old: Sequence[ContainerMove], new: Sequence[ContainerMove]) -> list[MoveChange]:
    """Trips that differ: same container and route paired nearest departure first."""

    def key(m: ContainerMove) -> tuple[object, ...]:
        return (m.container, m.from_, m.to, m.depart, m.ready)

    same = {key(m) for m in old} & {key(m) for m in new}
    a = [m for m in old if key(m) not in same]
    b = [m for m in new if key(m) not in same]
    pairs = sorted(
        (abs((x.depart - y.depart).days), i, j)
        for i, x in enumerate(a)
        for j, y in enumerate(b)
        if key(x)[:3] == key(y)[:3]
    )
    changes: list[MoveChange] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            changes.append(MoveChange(a[i].container, a[i], b[j]))
    changes += [MoveChange(x.container, x, None) for i, x in enumerate(a) if i not in used_a]
    changes += [MoveChange(y.container, None, y) for j, y in enumerate(b) if j not in used_b]
    return sorted(changes, key=lambda c: (c.container, c.when))
