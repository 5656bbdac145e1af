"""Hard rules between requests, one function each (spec rules 4-8).

Rules 1-3 and the single-request parts of 5 are already true of every option
(see ``options.py``), so they need no constraint. Each function below adds the
constraints of one rule to the model and returns nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ortools.sat.python import cp_model

from services.planner.calendar import move_span, pad_takes
from services.planner.instance import Box, Instance
from services.planner.model.variables import Move, PlanVars
from services.planner.options import CONTAINER, FIXED


def whole_or_nothing(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """A request is served whole or not at all: its sessions sum to n * served."""
    by_request: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for o, var in zip(v.options, v.x, strict=True):
        by_request[o.request].append(var)
    for r, served in v.served.items():
        model.add(sum(by_request[r]) == inst.requests[r].sessions * served)


def distinct_dates_with_gap(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """Rule 4: sessions of one request on distinct dates, ``min_gap_days`` apart.

    Any calendar window of ``max(gap, 1)`` days holds at most one session, so
    the constraints are one per (request, date) rather than one per pair.
    """
    by_date: dict[int, dict[dt.date, list[cp_model.IntVar]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for o, var in zip(v.options, v.x, strict=True):
        by_date[o.request][inst.days[o.day]].append(var)
    for r, dates in by_date.items():
        spacing = max(inst.requests[r].min_gap_days, 1)
        ordered = sorted(dates)
        hi = 0
        for lo, first in enumerate(ordered):
            hi = max(hi, lo)
            while hi + 1 < len(ordered) and (ordered[hi + 1] - first).days < spacing:
                hi += 1
            terms = [var for d in ordered[lo : hi + 1] for var in dates[d]]
            # "<= served" rather than "<= 1": same integer points, a much
            # tighter LP (a half-served request cannot fill whole windows)
            model.add(sum(terms) <= v.served[r])


def unit_capacity(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """Rule 4: one session per unit per date and slot (a pool of n twins: n)."""
    use: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    for o, var in zip(v.options, v.x, strict=True):
        if o.kind == FIXED:
            use[(o.resource, o.day, o.slot)].append(var)
    for (p, _, _), terms in use.items():
        capacity = inst.pools[p].capacity
        if len(terms) > capacity:
            if capacity == 1:
                model.add_at_most_one(terms)
            else:
                model.add(sum(terms) <= capacity)


def container_positions(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """Rule 6: where each container stands each working day is a decision.

    A one-unit flow over (day, site) nodes: the container either stays, or a
    move arc leaves site p after day k-1 and reaches q on its ready day,
    covering the transit and setup days in between (no sessions there).
    """
    pads_used: dict[int, set[str]] = defaultdict(set)
    sessions: dict[tuple[int, int, int, str], list[cp_model.IntVar]] = defaultdict(list)
    for o, var in zip(v.options, v.x, strict=True):
        if o.kind == CONTAINER:
            pads_used[o.resource].add(o.site)
            sessions[(o.resource, o.day, o.slot, o.site)].append(var)
    for m in v.fixed_moves:  # a fixed move's ends are places the container can be
        pads_used[m.box] |= {m.origin, m.target}
    for b, box in enumerate(inst.boxes):
        if b in pads_used:
            _flow(model, inst, v, b, box, sorted(pads_used[b] | {box.start_site}))
    for (b, k, _, site), terms in sessions.items():
        model.add(sum(terms) <= v.at[(b, k, site)])


def _flow(
    model: cp_model.CpModel, inst: Instance, v: PlanVars, b: int, box: Box, pads: list[str]
) -> None:
    horizon = len(inst.days)
    for k in range(horizon):
        for p in pads:
            v.at[(b, k, p)] = model.new_bool_var(f"at_{box.id}_{k}_{p}")
    leaving: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
    arriving: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)

    def arc(move: Move) -> None:
        var = model.new_bool_var(f"move_{box.id}_{move.origin}_{move.target}_{move.depart}")
        v.moves[move] = var
        leaving[(move.depart, move.origin)].append(var)
        arriving[(move.ready, move.target)].append(var)

    if box.max_moves != 0:
        for p in pads:
            for q in pads:
                if p == q or not inst.sites[q].container_pad:
                    continue  # a start site without pad is left for good (rule 6)
                span = move_span(inst.travel.truck_minutes(p, q), box.setup_days)
                closures = inst.sites[q].pad_unavailable
                for depart in range(inst.first_day, horizon - span):
                    ready = depart + span
                    first = inst.days[ready - box.setup_days]
                    if closures and not pad_takes(closures, first, inst.days[ready]):
                        continue  # the pad is closed while the container is set up on it
                    arc(Move(b, p, q, depart, depart + span))
    for m in v.fixed_moves:
        # a trip that must happen is an arc whatever its dates: one that left
        # already, or a delayed truck's later ready day; never silently left out
        if m.box == b and m not in v.moves:
            arc(m)
    for k in range(horizon):
        for p in pads:
            before = v.at[(b, k - 1, p)] if k > 0 else int(p == box.start_site)
            out, into = leaving.get((k, p), []), arriving.get((k, p), [])
            model.add(v.at[(b, k, p)] == before - sum(out) + sum(into))
            if out:
                model.add(sum(out) <= before)
    if box.max_moves is not None and box.max_moves > 0:
        mine = [var for m, var in v.moves.items() if m.box == b]
        if len(mine) > box.max_moves:
            model.add(sum(mine) <= box.max_moves)


def instructors(model: cp_model.CpModel, inst: Instance, v: PlanVars) -> None:
    """Rule 7: each session has a qualified, free instructor who can get there.

    Sessions are matched to instructors per (date, slot, site, type) group:
    the number of sessions in a group equals the number of instructors
    teaching in it. That is exact (names are handed out afterwards) and far
    smaller than a variable per (session, instructor).
    """
    if inst.staff is None:
        return
    groups: dict[tuple[int, int, str, str], list[cp_model.IntVar]] = defaultdict(list)
    for o, var in zip(v.options, v.x, strict=True):
        kind = inst.requests[o.request].equipment_type
        groups[(o.day, o.slot, o.site, kind)].append(var)
    per_slot: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_week: dict[tuple[int, tuple[int, int]], list[cp_model.IntVar]] = defaultdict(list)
    per_site: dict[tuple[int, int], dict[int, dict[str, list[cp_model.IntVar]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for (k, s, site, kind), terms in groups.items():
        part = inst.slot_part[s]
        teachers = []
        for i, person in enumerate(inst.staff):
            if kind not in person.types or part not in person.parts:
                continue
            if k in inst.staff_blocked[i] or person.max_sessions_per_week <= 0:
                continue
            if inst.staff_region[i] != inst.region_of_site[site]:
                continue  # regions are planned apart; an instructor works in one
            var = model.new_bool_var(f"teach_{person.id}_{k}_{s}_{site}_{kind}")
            v.teach[(i, k, s, site, kind)] = var
            teachers.append(var)
            per_slot[(i, k, s)].append(var)
            per_week[(i, inst.weeks[k])].append(var)
            per_site[(i, k)][s][site].append(var)
        model.add(sum(terms) == sum(teachers))
    for terms in per_slot.values():
        if len(terms) > 1:
            model.add_at_most_one(terms)
    for (i, _), terms in per_week.items():
        assert inst.staff is not None
        if len(terms) > inst.staff[i].max_sessions_per_week:
            model.add(sum(terms) <= inst.staff[i].max_sessions_per_week)
    for by_slot in per_site.values():
        _same_day_travel(model, inst, by_slot)


def _same_day_travel(
    model: cp_model.CpModel, inst: Instance, by_slot: dict[int, dict[str, list[cp_model.IntVar]]]
) -> None:
    slots = sorted(by_slot)
    for a_pos, a in enumerate(slots):
        for b in slots[a_pos + 1 :]:
            gap = inst.slot_gap(a, b)
            all_b = [var for terms in by_slot[b].values() for var in terms]
            for site_a, terms_a in by_slot[a].items():
                if gap < 0:
                    far = all_b
                else:
                    far = [
                        var
                        for site_b, terms_b in by_slot[b].items()
                        if site_b != site_a and inst.travel.car_minutes(site_a, site_b) > gap
                        for var in terms_b
                    ]
                if far:
                    model.add(sum(terms_a) + sum(far) <= 1)
