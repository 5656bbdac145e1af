"""Fair share between schools: the max-min policy and the Gini figure.

Policy (``SolveParams(fair_share=True)``, ``hubplan solve --fair-share``):
first maximise the smallest served share among requesting sites - share =
served value / value that site asked for that could be served at all - and
only then total value. It is the first level of a lexicographic max-min;
later levels are left to total value. Requests that cannot be served even
alone (no option) do not count against a school's share.

Every plan reports the Gini coefficient of the sites' served shares
(0 = all schools equally well served, 1 = one school got everything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from ortools.sat.python import cp_model

from services.planner.greedy import place_request
from services.planner.instance import Instance
from services.planner.ledger import Ledger
from services.planner.model.variables import PlanVars
from services.planner.options import candidates, staff_days

SCALE = 1000  # shares in thousandths


def servable_alone(inst: Instance, requests: Iterable[int]) -> set[int]:
    """Requests that fit an empty plan: only these count in a school's share."""
    staffed = staff_days(inst)
    return {
        r
        for r in requests
        if place_request(inst, Ledger(inst), r, candidates(inst, inst.requests[r], staffed))
        is not None
    }


def add_min_share(
    model: cp_model.CpModel, inst: Instance, v: PlanVars, servable: set[int]
) -> cp_model.IntVar:
    """A variable bounded by every site's served share (x1000); maximise it."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for r in v.served:
        if r in servable:
            by_site[inst.requests[r].site].append(r)
    z = model.new_int_var(0, SCALE, "min_share")
    for rs in by_site.values():
        asked = sum(inst.requests[r].value for r in rs)
        served = sum(inst.requests[r].value * v.served[r] for r in rs)
        model.add(SCALE * served >= asked * z)
    return z


def site_shares(inst: Instance, servable: Iterable[int], served: set[int]) -> dict[str, float]:
    asked: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    for r in servable:
        req = inst.requests[r]
        asked[req.site] += req.value
        if r in served:
            got[req.site] += req.value
    return {site: got[site] / total for site, total in asked.items() if total}


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (0 when empty or all zero)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n
