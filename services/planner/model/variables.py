"""All decision variables of one region's model, in one container.

Keeping them together gives one place that names variables from domain ids
(readable in a dumped model), one ``extract`` that turns a solver state back
into plain planner data, and one ``hint`` that seeds the solver from a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ortools.sat.python import cp_model

from services.planner.options import Option


class Solution(Protocol):
    """Anything that reads a variable's value: a solver, or a stored assignment."""

    def value(self, var: cp_model.IntVar) -> int: ...


@dataclass(frozen=True, slots=True)
class Move:
    """A container move as the model decides it (working-day indices)."""

    box: int
    origin: str
    target: str
    depart: int  # first working day in transit
    ready: int  # first working day it can hold sessions at ``target``


@dataclass
class PlanVars:
    options: list[Option]
    x: list[cp_model.IntVar]
    served: dict[int, cp_model.IntVar]
    at: dict[tuple[int, int, str], cp_model.IntVar] = field(default_factory=dict)
    moves: dict[Move, cp_model.IntVar] = field(default_factory=dict)
    teach: dict[tuple[int, int, int, str, str], cp_model.IntVar] = field(default_factory=dict)
    """teach[(instructor, day, slot, site, type)]: the instructor teaches such a session."""
    fixed_moves: list[Move] = field(default_factory=list)
    """Moves that must happen (inside the logistics notice period)."""

    def extract(
        self, solver: Solution
    ) -> tuple[list[Option], dict[tuple[int, int, str, str], list[int]], list[Move]]:
        """Chosen options, instructors per (day, slot, site, type), and moves."""
        chosen = [o for o, var in zip(self.options, self.x, strict=True) if solver.value(var)]
        teachers: dict[tuple[int, int, str, str], list[int]] = {}
        for (i, k, s, site, kind), var in self.teach.items():
            if solver.value(var):
                teachers.setdefault((k, s, site, kind), []).append(i)
        moves = [m for m, var in self.moves.items() if solver.value(var)]
        return chosen, teachers, moves
