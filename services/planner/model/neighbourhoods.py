"""Large-neighbourhood search over one region's model, shaped by the domain.

CP-SAT's own LNS frees random variables or constraint-graph neighbours; it
does not know that a plan decomposes by weeks and by equipment types. Here
each step frees the session choices of one such slice - the options of a few
consecutive weeks, of one equipment type, of one container lab from some day
on (its later itinerary), or of the requests that compete with unserved ones
for the same units and dates - fixes every other
session choice at the incumbent, and lets CP-SAT re-solve the rest (with
container positions, moves and instructors all free). A step is kept only if
it serves more value, so the result is never worse than the incumbent.

Pure: a model and an assignment in, a better (or the same) assignment out.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from services.planner.instance import Instance
from services.planner.model.variables import PlanVars
from services.planner.options import CONTAINER

WEEK = 5  # working days


@dataclass
class Assignment:
    """A full solution, read like a solver (``value(var)``) by ``PlanVars.extract``."""

    values: list[int]
    objective: float

    def value(self, var: cp_model.IntVar) -> int:
        return self.values[var.index]


def assignment_of(model: cp_model.CpModel, solver: cp_model.CpSolver) -> Assignment:
    values = [
        int(solver.value(model.get_int_var_from_proto_index(i)))
        for i in range(len(model.proto.variables))
    ]
    return Assignment(values, float(solver.objective_value))


def improve(
    model: cp_model.CpModel,
    inst: Instance,
    v: PlanVars,
    start: Assignment,
    seconds: float,
    make_solver: Callable[[float], cp_model.CpSolver],
    seed: int = 0,
    on_better: Callable[[float], None] | None = None,
    step_seconds: float = 3.0,
) -> Assignment:
    """Improve ``start`` by re-solving slices of the plan until ``seconds`` run out.

    ``on_better`` hears each better objective (for progress lines).
    """
    deadline = time.perf_counter() + seconds
    rng = random.Random(seed)
    slices = _Slices(inst, v)
    best = start
    x_index = [var.index for var in v.x]
    while (left := deadline - time.perf_counter()) > 0.3:
        free = slices.pick(rng, best)
        trial = model.clone()
        trial.clear_hints()  # type: ignore[no-untyped-call]
        for i, index in enumerate(x_index):
            if i not in free:
                domain = trial.proto.variables[index].domain
                domain[0] = domain[1] = best.values[index]
        trial.proto.solution_hint.vars.extend(range(len(best.values)))
        trial.proto.solution_hint.values.extend(best.values)
        solver = make_solver(min(step_seconds, left))
        status = solver.solve(trial)
        slices.solved(status == cp_model.OPTIMAL)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and (
            solver.objective_value > best.objective + 0.5
        ):
            best = assignment_of(trial, solver)
            slices.changed()
            if on_better is not None:
                on_better(best.objective)
    return best


class _Slices:
    """Ways to choose which session options (indices into ``v.x``) go free."""

    def __init__(self, inst: Instance, v: PlanVars) -> None:
        self.inst, self.v = inst, v
        self.by_week: dict[int, list[int]] = defaultdict(list)
        self.by_type: dict[str, list[int]] = defaultdict(list)
        self.by_request: dict[int, list[int]] = defaultdict(list)
        self.by_place: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        for i, o in enumerate(v.options):
            self.by_week[o.day // WEEK].append(i)
            self.by_type[inst.requests[o.request].equipment_type].append(i)
            self.by_request[o.request].append(i)
            self.by_place[(o.kind, o.resource, o.day)].append(i)
        self.by_box: dict[int, list[int]] = defaultdict(list)  # a lab's own sessions
        for i, o in enumerate(v.options):
            if o.kind == CONTAINER:
                self.by_box[o.resource].append(i)
        self.weeks = sorted(self.by_week)
        self.types = sorted(self.by_type)
        self.total = len(v.options)
        self.queue: list[tuple[str, Any]] = []
        self.last = ""
        self.version = 0
        self.done: dict[str, int] = {}  # proven-optimal slice -> incumbent version then

    def changed(self) -> None:
        """The incumbent moved: every slice may be worth solving again."""
        self.version += 1

    def solved(self, proven: bool) -> None:
        """The last slice was solved; proven optimal means: skip it until a change."""
        if proven and self.last.startswith("type "):
            self.done[self.last] = self.version

    def pick(self, rng: random.Random, best: Assignment) -> set[int]:
        while True:
            if not self.queue:  # each type alone, then mixed slices
                self.queue = [("type", t) for t in rng.sample(self.types, len(self.types))]
                self.queue += [("lab", b) for b in sorted(self.by_box)]
                self.queue += [("pair", None), ("unserved", None), ("weeks", None)] * len(
                    self.types
                )
            kind, arg = self.queue.pop(0)
            self.last = kind if arg is None else f"{kind} {arg}"
            if self.done.get(self.last) != self.version:
                break
        if kind == "type":
            return set(self.by_type[arg])
        if kind == "lab":  # the lab's sessions from some day on: its later itinerary
            first = rng.choice(self.weeks[: max(1, len(self.weeks) - 2)]) * WEEK
            return {i for i in self.by_box[arg] if self.v.options[i].day >= first}
        if kind == "pair":
            a, b = rng.sample(self.types, 2) if len(self.types) > 1 else (self.types[0],) * 2
            return set(self.by_type[a]) | set(self.by_type[b])
        if kind == "weeks":
            span = rng.choice((1, 2, 3))
            first = rng.randrange(max(1, len(self.weeks) - span + 1))
            return {i for w in self.weeks[first : first + span] for i in self.by_week[w]}
        return self._around_unserved(rng, best)

    def _around_unserved(self, rng: random.Random, best: Assignment) -> set[int]:
        """Some unserved requests and every request holding a place they could use."""
        unserved = [r for r, var in self.v.served.items() if not best.values[var.index]]
        limit = self.total // 8
        if not unserved:
            return set(rng.sample(range(self.total), k=max(1, limit)))
        free: set[int] = set()
        rng.shuffle(unserved)
        for r in unserved:
            rivals = {r}
            for i in self.by_request[r]:
                o = self.v.options[i]
                rivals.update(
                    self.v.options[j].request for j in self.by_place[(o.kind, o.resource, o.day)]
                )
            for q in rivals:
                free.update(self.by_request[q])
            if len(free) >= limit:
                break
        return free
