"""Fair share between schools: the policy and the Gini figure.

Policy (``SolveParams(fair_share=True)``, ``hubplan solve --fair-share``),
three levels, each held while the next is optimised - share = served value /
value that site asked for that could be served at all:

1. **max-min**: the smallest served share among requesting sites;
2. **balance**: the sum over sites of a concave function of their shares
   (:data:`UTILITY`). Raising a low share counts more than raising a high
   one, so when level 1 is stuck at 0 - more schools than the equipment can
   give anything, the usual case - the plan still serves more schools and
   lifts the worse-served ones first. It stands in for the later levels of a
   lexicographic max-min, which would need a solve per site per level;
3. total value (the usual objective).

Requests that cannot be served even alone (no option) do not count against a
school's share.

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
# the balance level's utility of a share: piecewise linear, concave, through
# (share, utility) = (0, 0), (0.1, 800), (0.25, 1400), (0.5, 1900), (1, 2400);
# slopes 8, 4, 2, 1 per thousandth: the first tenth of a share is worth eight
# times the last half
UTILITY = ((0, 0, 8), (100, 800, 4), (250, 1400, 2), (500, 1900, 1))  # (from, f(from), slope)


def servable_alone(inst: Instance, requests: Iterable[int]) -> set[int]:
    """Requests that fit an empty plan: only these count in a school's share."""
    staffed = staff_days(inst)
    return {
        r
        for r in requests
        if place_request(inst, Ledger(inst), r, candidates(inst, inst.requests[r], staffed))
        is not None
    }


def add_shares(
    model: cp_model.CpModel, inst: Instance, v: PlanVars, servable: set[int]
) -> list[cp_model.IntVar]:
    """One variable per requesting site, at most its served share (x1000)."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for r in v.served:
        if r in servable:
            by_site[inst.requests[r].site].append(r)
    shares = []
    for site, rs in sorted(by_site.items()):
        share = model.new_int_var(0, SCALE, f"share[{site}]")
        asked = sum(inst.requests[r].value for r in rs)
        served = sum(inst.requests[r].value * v.served[r] for r in rs)
        model.add(SCALE * served >= asked * share)
        shares.append(share)
    return shares


def add_min_share(model: cp_model.CpModel, shares: Sequence[cp_model.IntVar]) -> cp_model.IntVar:
    """Level 1: a variable at most every site's share; maximise it."""
    z = model.new_int_var(0, SCALE, "min_share")
    for share in shares:
        model.add(z <= share)
    return z


def add_balance(model: cp_model.CpModel, shares: Sequence[cp_model.IntVar]) -> cp_model.LinearExpr:
    """Level 2: the sum of the sites' concave utilities (:data:`UTILITY`); maximise it."""
    top = UTILITY[-1][1] + UTILITY[-1][2] * (SCALE - UTILITY[-1][0])
    utilities = []
    for share in shares:
        u = model.new_int_var(0, top, f"utility[{share.name}]")
        for start, at_start, slope in UTILITY:  # concave: the lowest line binds
            model.add(u <= at_start + slope * (share - start))
        utilities.append(u)
    return cp_model.LinearExpr.sum(utilities)


def site_shares(inst: Instance, servable: Iterable[int], served: set[int]) -> dict[str, float]:
    return shares_by_site(
        (inst.requests[r].site, inst.requests[r].value, r in served) for r in servable
    )


def shares_by_site(counted: Iterable[tuple[str, int, bool]]) -> dict[str, float]:
    """Each site's served share, from (site, value, served) of every request that counts."""
    asked: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    for site, value, served in counted:
        asked[site] += value
        if served:
            got[site] += value
    return {site: got[site] / total for site, total in asked.items() if total}


def fairness_figures(shares: dict[str, float]) -> dict[str, float | None]:
    """What every plan reports: the Gini of the shares and the lowest share."""
    return {
        "fairness_gini": round(gini(list(shares.values())), 4),
        "lowest_share": round(min(shares.values()), 4) if shares else None,
    }


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (0 when empty or all zero)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n
