"""Valid inequalities: redundant for whole plans, they tighten the LP relaxation.

Every constraint here is implied by the hard rules in ``rules`` for 0/1
values, so no plan is lost; what they remove are fractional points the LP
relaxation (CP-SAT's own with ``linearization_level=2``, and the independent
GLOP/SCIP bound in ``benchmarks``) would otherwise reach.

Where the LP was loose (measured on ``generate(1, 800, 2)``, see
``docs/planner.md``, "Valid inequalities"): with each region's container
itinerary fixed, the LP bound is within 0.2% of the integer optimum; left
free, the LP spreads the container over several pads at once (0.55 at one,
0.45 at another for weeks) and serves each pad's requests from that
fraction. Rule 6 links sessions to the container only per (day, slot, pad),
summed over requests, so one request may take 0.45 of a session on each of
many days and be served whole by a container that is never wholly there.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from services.planner.instance import Instance
from services.planner.model.variables import PlanVars
from services.planner.options import CONTAINER


def container_presence(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """A request's container sessions at a pad need the container there.

    For request ``r``, container ``b`` and pad ``s``, let ``first`` and
    ``last`` be the first and last day ``r`` has an option on ``b`` at ``s``
    and ``m`` the most sessions ``r`` can hold there (its session count, and
    no more than its dates ``min_gap_days`` apart allow). Then

        sum of r's options on b at s  <=  m * (at[b, first, s] + arrivals),

    where ``arrivals`` are the move variables that bring ``b`` to ``s`` with
    a ready day in ``(first, last]``.

    Valid: the left side is at most ``m`` in any plan (whole-or-nothing and
    the gap rule). If it is positive, ``r`` has a session on ``b`` at ``s``
    on some day ``j`` in ``[first, last]``, so ``at[b, j, s] = 1``
    (``container_positions`` links every session to its pad). Either
    ``at[b, first, s] = 1``, or the container was elsewhere on ``first`` and
    there is a first day ``k`` in ``(first, j]`` with ``at[b, k - 1, s] = 0``
    and ``at[b, k, s] = 1``; the flow equation of day ``k`` then reads
    ``at[b, k, s] = sum(arrivals on k)`` (nothing can leave a pad the
    container is not at), so a move arriving at ``s`` on ``k`` is chosen.
    Either way the right side is at least ``m``.

    What it cuts: a fractional container (``at`` 0.45 at a pad for weeks)
    can no longer serve any one request there for more than 0.45 of its
    sessions; the rest must come from elsewhere or go unserved. One row per
    (request, container, pad) with options - a few hundred per region.
    """
    if not v.at:
        return
    arrivals: dict[tuple[int, str, int], list[cp_model.IntVar]] = defaultdict(list)
    for move, var in v.moves.items():
        arrivals[(move.box, move.target, move.ready)].append(var)
    sessions: dict[tuple[int, int, str], dict[int, list[cp_model.IntVar]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for o, var in zip(v.options, v.x, strict=True):
        if o.kind == CONTAINER:
            sessions[(o.request, o.resource, o.site)][o.day].append(var)
    for (r, b, s), by_day in sessions.items():
        days = sorted(by_day)
        first, last = days[0], days[-1]
        most = min(inst.requests[r].sessions, _spaced(inst, days, inst.requests[r].min_gap_days))
        into = [var for k in range(first + 1, last + 1) for var in arrivals.get((b, s, k), [])]
        terms = [var for k in days for var in by_day[k]]
        model.add(sum(terms) <= most * (v.at[(b, first, s)] + sum(into)))


def _spaced(inst: Instance, days: list[int], min_gap_days: int) -> int:
    """Most of ``days`` (sorted) pairwise at least ``max(gap, 1)`` calendar days apart.

    Taking the earliest day that fits, then the next one far enough from
    it, is optimal on a line (an exchange argument).
    """
    spacing = max(min_gap_days, 1)
    count, last = 0, None
    for k in days:
        if last is None or (inst.days[k] - inst.days[last]).days >= spacing:
            count, last = count + 1, k
    return count
