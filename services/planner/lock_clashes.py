"""Rule 8 between locks: which locks can be kept *together*.

Each lock may keep every rule on its own (``locks.py``) and still break one
beside another lock: two locks on one instructor beyond their weekly cap,
two sessions of one request closer than its gap, an instructor at two sites
too far apart for the gap between the slots, a container at two sites without
time to move between them, or more moves than its ``max_moves``. Keeping them
all made the seed invalid - and with the lock bonus that invalid seed won.

``keep_compatible`` keeps the largest set of locks that can stand together
(fewest displaced; earlier locks win ties) and names, for each displaced
lock, the kept lock(s) it clashes with.

Conflicts, each a hard rule of the spec:

* rule 4: one unit or container, one date and slot; one request's sessions
  on distinct dates ``min_gap_days`` apart;
* rule 6: a container stands at one site a day, a move needs its transit and
  setup days between two sites, and at most ``max_moves`` moves;
* rule 7: one instructor per date and slot, same-day travel between slots,
  ``max_sessions_per_week``.

A container lock without a ``site`` may stand at any site its group reaches;
it clashes only when no choice of sites makes the pair work (the model then
picks the site).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from services.planner.calendar import move_span, pad_takes
from services.planner.instance import Instance
from services.planner.ledger import compatible
from services.planner.options import CONTAINER

SELECT_SECONDS = 5.0  # a few hundred locks with a handful of clashes solve in milliseconds


@dataclass(frozen=True, slots=True)
class LockSpot:
    """A lock that keeps every rule alone, with the sites it may be held at."""

    request: int
    index: int  # the session index (request#index names it)
    kind: int
    resource: int  # pool or container index
    unit: str
    day: int
    slot: int
    staff: int | None
    sites: tuple[str, ...]  # one for a fixed unit or a pinned container


Why = tuple[str, list[int]]  # the reason, and the kept locks it names


def keep_compatible(inst: Instance, spots: Sequence[LockSpot]) -> tuple[list[int], dict[int, Why]]:
    """Indices of ``spots`` to keep, and for each other index why it cannot stay."""
    pairs = _pair_clashes(inst, spots)
    caps = _weekly_caps(inst, spots)
    keep = _select(len(spots), pairs, caps)
    # a displaced lock that clashes with nothing kept stays (maximal, also on a timeout)
    for i in range(len(spots)):
        if i not in keep and _why(inst, spots, i, keep, pairs, caps) is None:
            keep.add(i)
    displaced: dict[int, Why] = {}
    for i in range(len(spots)):
        why = None if i in keep else _why(inst, spots, i, keep, pairs, caps)
        if why is not None:
            displaced[i] = why
    for i, why in _too_many_moves(inst, spots, keep).items():
        keep.discard(i)
        displaced[i] = why
    return sorted(keep), displaced


# -- conflicts ---------------------------------------------------------------


def _label(inst: Instance, spot: LockSpot) -> str:
    return f"{inst.requests[spot.request].id}#{spot.index}"


def _when(inst: Instance, spot: LockSpot) -> str:
    return f"{inst.days[spot.day]} {inst.slot_ids[spot.slot]}"


def _pair_clashes(inst: Instance, spots: Sequence[LockSpot]) -> dict[tuple[int, int], str]:
    """(i, j) with i < j -> why the two cannot both be kept."""
    out: dict[tuple[int, int], str] = {}
    # pairs are only looked for within small groups: slot, instructor-day, request, container
    by_slot: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    by_staff_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_request: dict[int, list[int]] = defaultdict(list)
    by_box: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(spots):
        by_slot[(s.unit, s.day, s.slot)].append(i)
        if s.staff is not None:
            by_staff_day[(s.staff, s.day)].append(i)
        by_request[s.request].append(i)
        if s.kind == CONTAINER:
            by_box[s.resource].append(i)
    for (unit, _, _), members in by_slot.items():
        for i, j in itertools.combinations(members, 2):
            out[(i, j)] = f"both use {unit} on {_when(inst, spots[i])} (rule 4)"
    for (staff, _), members in by_staff_day.items():
        for i, j in itertools.combinations(members, 2):
            text = _staff_pair(inst, spots[i], spots[j], staff)
            if text is not None:
                out.setdefault((i, j), text)
    for r, members in by_request.items():
        spacing = max(inst.requests[r].min_gap_days, 1)
        for i, j in itertools.combinations(members, 2):
            first, then = sorted((inst.days[spots[i].day], inst.days[spots[j].day]))
            if first == then:
                out.setdefault((i, j), f"two sessions of one request on {first} (rule 4)")
            elif (then - first).days < spacing:
                out.setdefault(
                    (i, j),
                    f"one request's sessions on {first} and {then} must be at least "
                    f"{spacing} day(s) apart (rule 4)",
                )
    for box, members in by_box.items():
        for i, j in itertools.combinations(sorted(members, key=lambda m: spots[m].day), 2):
            text = _box_pair(inst, box, spots[i], spots[j])
            if text is not None:
                out.setdefault((min(i, j), max(i, j)), text)
    return out


def _staff_pair(inst: Instance, a: LockSpot, b: LockSpot, staff: int) -> str | None:
    assert inst.staff is not None
    who = inst.staff[staff].id
    if a.slot == b.slot:
        return f"both need instructor {who} on {_when(inst, a)} (rule 7)"
    if any(compatible(inst, a.slot, p, b.slot, q) for p in a.sites for q in b.sites):
        return None
    if inst.slot_gap(a.slot, b.slot) < 0:
        return (
            f"instructor {who} would teach overlapping slots {inst.slot_ids[a.slot]} and "
            f"{inst.slot_ids[b.slot]} on {inst.days[a.day]} (rule 7)"
        )
    p, q = a.sites[0], b.sites[0]
    return (
        f"instructor {who} cannot drive from {inst.sites[p].name} to {inst.sites[q].name} "
        f"({inst.travel.car_minutes(p, q):.0f} min) between {inst.slot_ids[a.slot]} and "
        f"{inst.slot_ids[b.slot]} on {inst.days[a.day]} ({inst.slot_gap(a.slot, b.slot)} min) "
        f"(rule 7)"
    )


def _box_pair(inst: Instance, b: int, first: LockSpot, then: LockSpot) -> str | None:
    """Can the container hold ``first`` and then ``then`` (not earlier) at some sites?"""
    box = inst.boxes[b]
    if set(first.sites) & set(then.sites):
        return None  # it can stay put
    for p in first.sites:
        for q in then.sites:
            if _reachable(inst, b, p, first.day, q, then.day):
                return None
    p, q = first.sites[0], then.sites[0]
    if first.day == then.day:
        return f"{box.id} cannot stand at {p} and at {q} on {inst.days[first.day]} (rule 6)"
    span = move_span(inst.travel.truck_minutes(p, q), box.setup_days)
    return (
        f"{box.id} cannot be at {p} on {inst.days[first.day]} and at {q} on "
        f"{inst.days[then.day]}: the move takes {span} working day(s) of transit and setup, "
        f"starting the working day after a session (rule 6)"
    )


def _reachable(inst: Instance, b: int, p: str, k1: int, q: str, k2: int) -> bool:
    """Container ``b`` at ``p`` on day ``k1`` and at ``q`` on day ``k2 >= k1``."""
    if p == q:
        return True
    box = inst.boxes[b]
    if k1 == k2 or box.max_moves == 0 or not inst.sites[q].container_pad:
        return False
    span = move_span(inst.travel.truck_minutes(p, q), box.setup_days)
    # it departs after the day of the first session and is ready by the second;
    # the pad must take it from its first setup day to the ready day
    closures, setup = inst.sites[q].pad_unavailable, box.setup_days
    return any(
        pad_takes(closures, inst.days[d + span - setup], inst.days[d + span])
        for d in range(k1 + 1, k2 - span + 1)
    )


def _weekly_caps(inst: Instance, spots: Sequence[LockSpot]) -> list[tuple[list[int], int, str]]:
    """(locks, cap, text) for each instructor-week holding more locks than the cap."""
    if inst.staff is None:
        return []
    week: dict[tuple[int, tuple[int, int]], list[int]] = defaultdict(list)
    for i, s in enumerate(spots):
        if s.staff is not None:
            week[(s.staff, inst.weeks[s.day])].append(i)
    out = []
    for (staff, (year, number)), members in week.items():
        cap = inst.staff[staff].max_sessions_per_week
        if len(members) > cap:
            who = inst.staff[staff].id
            out.append(
                (
                    members,
                    cap,
                    f"instructor {who} may teach {cap} session(s) in week {year}-W{number:02d}",
                )
            )
    return out


# -- selection ---------------------------------------------------------------


def _select(
    n: int, pairs: dict[tuple[int, int], str], caps: list[tuple[list[int], int, str]]
) -> set[int]:
    """The most locks that clash with no other kept lock; earlier ones win ties."""
    involved = sorted({i for pair in pairs for i in pair} | {i for m, _, _ in caps for i in m})
    free = set(range(n)) - set(involved)
    if not involved:
        return free
    model = cp_model.CpModel()
    keep = {i: model.new_bool_var(f"keep_{i}") for i in involved}
    for i, j in pairs:
        model.add_bool_or([keep[i].Not(), keep[j].Not()])
    for members, cap, _ in caps:
        model.add(sum(keep[i] for i in members) <= cap)
    # n*n+1 per lock outweighs any tie-break sum (< n*n): count first, then order
    model.maximize(sum((n * n + 1 - i) * var for i, var in keep.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = SELECT_SECONDS
    solver.parameters.num_workers = 1
    if solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return free | {i for i, var in keep.items() if solver.value(var)}
    return free  # the caller restores every lock that clashes with nothing kept


def _why(
    inst: Instance,
    spots: Sequence[LockSpot],
    i: int,
    keep: set[int],
    pairs: dict[tuple[int, int], str],
    caps: list[tuple[list[int], int, str]],
) -> Why | None:
    """Why lock ``i`` cannot join the kept locks (None: it can)."""
    for j in sorted(keep):
        text = pairs.get((min(i, j), max(i, j)))
        if text is not None and j != i:
            return f"clashes with locked session {_label(inst, spots[j])}: {text}", [j]
    for members, cap, text in caps:
        if i in members:
            others = [j for j in members if j in keep and j != i]
            if len(others) >= cap:
                names = ", ".join(_label(inst, spots[j]) for j in others)
                return f"{text} and the locked sessions {names} already take them (rule 7)", others
    return None


def _too_many_moves(inst: Instance, spots: Sequence[LockSpot], keep: set[int]) -> dict[int, Why]:
    """Kept container locks beyond ``max_moves`` site changes (latest displaced)."""
    out: dict[int, Why] = {}
    for b, box in enumerate(inst.boxes):
        if box.max_moves is None:
            continue
        pinned = sorted(
            (i for i in keep if spots[i].kind == CONTAINER and spots[i].resource == b),
            key=lambda i: (spots[i].day, spots[i].slot),
        )
        here, moves, before = box.start_site, 0, list[int]()
        for i in pinned:
            if len(spots[i].sites) != 1:
                continue  # the model picks its site
            site = spots[i].sites[0]
            if site != here and moves == box.max_moves:
                out[i] = (
                    f"{box.id} may move {box.max_moves} time(s) in the horizon and the "
                    f"locked sessions before {inst.days[spots[i].day]} already need "
                    f"{moves} (rule 6)",
                    list(before),
                )
                continue
            if site != here:
                moves, here = moves + 1, site
            before.append(i)
    return out
