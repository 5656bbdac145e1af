"""A region's waitlist: request ids grouped by shape, each group in first-come order.

Why groups: promotion retries waitlisted requests whenever capacity frees,
and requests of one *shape* (same site, type, audience, size, sessions, gap,
window and travel limit) fit or fail together. So a retry tries the first
request of each shape, in first-come order across shapes, and a shape whose
first request does not fit is done. Why kept sorted: a cancellation used to
sort the whole waitlist and retry every shape of its type; with thousands
waiting that cost ~9 ms per cancellation (docs/benchmarks.md).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections.abc import Callable, Collection, Iterator

from schemas.scenario import Request

Shape = tuple[object, ...]
Key = tuple[dt.datetime, str]  # (submitted_at in UTC, request id): first come first


def shape_of(req: Request) -> Shape:
    return (
        req.site,
        req.equipment_type,
        req.audience,
        req.group_size,
        req.sessions,
        req.min_gap_days,
        req.earliest,
        req.latest,
        req.max_travel_minutes,
    )


def fcfs_key(req: Request) -> Key:
    return (req.submitted_at.astimezone(dt.UTC), req.id)


class Waitlist:
    """Behaves as a set of request ids; ``add`` takes the request (for its shape and order)."""

    def __init__(self) -> None:
        self._where: dict[str, tuple[Shape, Key]] = {}
        self._groups: dict[Shape, list[Key]] = {}
        self._of_type: dict[object, set[Shape]] = {}  # equipment type -> its shapes

    def add(self, req: Request) -> None:
        if req.id in self._where:
            return
        shape, key = shape_of(req), fcfs_key(req)
        bisect.insort(self._groups.setdefault(shape, []), key)
        self._of_type.setdefault(req.equipment_type, set()).add(shape)
        self._where[req.id] = (shape, key)

    def discard(self, rid: str) -> None:
        found = self._where.pop(rid, None)
        if found is None:
            return
        shape, key = found
        group = self._groups[shape]
        del group[bisect.bisect_left(group, key)]
        if not group:
            del self._groups[shape]
            self._of_type[shape[1]].discard(shape)

    def __contains__(self, rid: object) -> bool:
        return rid in self._where

    def __len__(self) -> int:
        return len(self._where)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def in_order(self) -> list[str]:
        """Every waitlisted id, first come first."""
        return [rid for _, rid in heapq.merge(*self._groups.values())]

    def promote(
        self,
        fits: Callable[[str], bool],
        worth_trying: Callable[[str], bool],
        types: Collection[str] | None = None,
    ) -> list[str]:
        """Retry shapes in first-come order; the ids that now fit leave the waitlist.

        ``types``: only shapes of these equipment types (None: all);
        ``worth_trying(id)`` is asked once per shape, of its first request
        (e.g. "could it use the capacity just freed?"); ``fits(id)`` books
        the request when it fits and says whether it did.
        """
        shapes = (
            self._groups
            if types is None
            else [shape for t in types for shape in self._of_type.get(t, ())]
        )
        heads = [
            (self._groups[shape][0], shape)
            for shape in shapes
            if worth_trying(self._groups[shape][0][1])
        ]
        heapq.heapify(heads)
        promoted = []
        while heads:
            (_, rid), shape = heapq.heappop(heads)
            if not fits(rid):
                continue  # the rest of its shape would not fit either
            promoted.append(rid)
            self.discard(rid)
            group = self._groups.get(shape)
            if group:
                heapq.heappush(heads, (group[0], shape))
        return promoted
