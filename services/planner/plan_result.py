"""The planner's parameter and result types (plain data, no solver inside)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schemas.schedule import SCHEDULE_FORMAT, ContainerMove, Displaced, Schedule, Session, Unserved


@dataclass(frozen=True)
class Progress:
    """One progress report: the region being solved and its incumbent/bound."""

    region: str
    phase: str
    incumbent: float
    bound: float
    elapsed: float


@dataclass(frozen=True)
class SolveParams:
    time_limit: float = 10.0
    workers: int = 0  # 0: all cores
    seed: int = 0
    secondary_share: float = 0.25  # of each region's time, for km and travel
    neighbourhood_share: float = 0.6  # of the value phase, for the neighbourhood search
    baseline_only: bool = False  # return the FCFS plan (``--baseline fcfs``)
    fair_share: bool = False  # max-min of the schools' served shares before total value
    fixed_moves: tuple[ContainerMove, ...] = ()  # trips that must happen (notice period)
    on_progress: Callable[[Progress], None] | None = None


@dataclass
class PlanResult:
    status: str
    sessions: list[Session]
    moves: list[ContainerMove]
    unserved: list[Unserved]
    displaced: list[Displaced]
    served_value: int
    requested_value: int
    container_km: float
    pupil_travel_minutes: float
    bound: float | None
    solve_seconds: float
    fcfs_value: int
    seed_value: int
    first_plan_seconds: float = 0.0  # until the constructive seed existed
    region_status: dict[str, str] = field(default_factory=dict)
    fairness_gini: float | None = None  # Gini of schools' served shares (feasible requests)
    lowest_share: float | None = None  # the worst-served school's share

    def to_schedule(self, scenario_name: str) -> Schedule:
        return Schedule.model_validate(
            {
                "format": SCHEDULE_FORMAT,
                "scenario": scenario_name,
                "sessions": self.sessions,
                "container_moves": self.moves,
                "unserved": self.unserved,
                "displaced": self.displaced,
                "metrics": {
                    "served_value": self.served_value,
                    "requested_value": self.requested_value,
                    "container_km": round(self.container_km, 1),
                    "solve_seconds": round(self.solve_seconds, 3),
                    "bound": self.bound,
                    "status": self.status,
                    "pupil_travel_minutes": round(self.pupil_travel_minutes, 1),
                    "fcfs_value": self.fcfs_value,
                    "fairness_gini": self.fairness_gini,
                    "lowest_share": self.lowest_share,
                },
            },
            strict=False,
        )
