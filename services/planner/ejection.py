"""Make room for a request by moving other requests (a short ejection chain).

Greedy placement fails for a request when every date it could use is taken.
Often a competitor could go elsewhere: take that competitor out, place the
request, put the competitor back on its smallest change - if need be by
moving one of *its* competitors the same way (depth 2); keep the swap only
when all fit, else undo it. Repair uses this for bookings a disruption
broke, so its seed keeps them and the solver starts from a plan that loses
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from services.planner.greedy import place_request
from services.planner.instance import Instance
from services.planner.ledger import Booking, Ledger
from services.planner.options import Candidate, Option

MAX_TRIES = 40  # competitors tried per step of a chain
MAX_PLACEMENTS = 300  # greedy placements per request: bounded work when no chain exists


def place_with_ejection(
    inst: Instance,
    plan: list[Booking],
    r: int,
    options_of: Callable[[int], Sequence[Option]],
    cands_of: Callable[[int], Sequence[Candidate]],
    movable: Callable[[int], bool],
    droppable: Callable[[int], bool],
    prefer: Callable[[int, int, Candidate], float] | None = None,
    depth: int = 2,
) -> list[Booking] | None:
    """Serve request ``r`` whole, moving up to ``depth`` other requests; the new plan or None.

    ``options_of(q)`` and ``cands_of(q)`` are a request's options and candidates;
    ``movable(q)`` says whether q may move (not locked, not frozen);
    ``droppable(q)`` whether q may lose its place when it fits nowhere else
    (repair: a request that was not booked before, placed by the seed only);
    ``prefer(q, day, candidate)`` ranks a moved request's new dates;
    ``depth`` is how many requests a chain may move (1: only direct competitors).
    """
    chain = _Chain(inst, plan, options_of, cands_of, movable, droppable, prefer)
    if not chain.place(r, depth, frozenset({r})):
        return None
    return [b for bookings in chain.held.values() for b in bookings]


class _Chain:
    """One search: a ledger and who holds what, changed in place and undone on failure."""

    def __init__(
        self,
        inst: Instance,
        plan: list[Booking],
        options_of: Callable[[int], Sequence[Option]],
        cands_of: Callable[[int], Sequence[Candidate]],
        movable: Callable[[int], bool],
        droppable: Callable[[int], bool],
        prefer: Callable[[int, int, Candidate], float] | None,
    ) -> None:
        self.inst, self.options_of, self.cands_of = inst, options_of, cands_of
        self.movable, self.droppable, self.prefer = movable, droppable, prefer
        self.ledger = Ledger(inst)
        self.held: dict[int, list[Booking]] = defaultdict(list)
        for b in plan:
            self.ledger.book(b)
            self.held[b.request].append(b)
        self.budget = MAX_PLACEMENTS

    def place(self, r: int, depth: int, fixed: frozenset[int]) -> bool:
        """Place r (booked and held on success); ``fixed``: requests this chain must not move."""
        if self._direct(r):
            return True
        if depth == 0:
            return False
        wanted = {(o.kind, o.resource, o.day, o.slot) for o in self.options_of(r)}
        blockers = sorted(
            q
            for q, bookings in self.held.items()
            if q not in fixed
            and self.movable(q)
            and any((b.kind, b.resource, b.day, b.slot) in wanted for b in bookings)
        )
        # first move a competitor elsewhere; only then drop one that may be dropped
        for drop in (False, True):
            for q in [q for q in blockers if not drop or self.droppable(q)][:MAX_TRIES]:
                if self.budget <= 0:
                    return False
                old = self.held.pop(q)
                for b in old:
                    self.ledger.release(b)
                if self._direct(r):
                    if drop or self.place(q, depth - 1, fixed | {r, q}):
                        return True
                    for b in self.held.pop(r):
                        self.ledger.release(b)
                for b in old:
                    self.ledger.book(b)
                self.held[q] = old
        return False

    def _direct(self, r: int) -> bool:
        self.budget -= 1
        prefer = self.prefer
        rank = None if prefer is None else (lambda k, c: prefer(r, k, c))
        placed = place_request(self.inst, self.ledger, r, self.cands_of(r), prefer=rank)
        if placed is None:
            return False
        self.held[r] = placed
        return True
