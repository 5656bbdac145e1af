"""The schedule contract (``hubplan-schedule/1``): what the planner returns.

Field names follow ``shared/spec/scenario-format.md``. Optional fields that
the spec does not name (``travel_minutes`` on a session, ``truck_minutes`` on
a move, ``status``/``gap``/``fcfs_value`` in metrics) are additions the spec
allows; readers must not depend on them being present.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import Date, Id, Strict

SCHEDULE_FORMAT = "hubplan-schedule/1"

UnservedReason = Literal[
    "no-capacity",
    "out-of-reach",
    "no-slot-in-window",
    "no-staff",
    "invalid",
    "not-optimised",
]
REASON_TEXT: dict[str, str] = {
    "no-capacity": "no resource with room for the group (type, seats or part), or all booked",
    "out-of-reach": "nothing of the type within the group's travel limit",
    "no-slot-in-window": "the window has too few usable dates for the sessions asked",
    "no-staff": "no instructor with the type and part is free on enough dates",
    "invalid": "the request contradicts the catalogue",
    "not-optimised": "feasible alone, but left out in favour of higher-value requests",
}


class Session(Strict):
    request: Id
    index: int = Field(ge=0, description="Which of the request's sessions, 0-based.")
    date: Date
    slot: Id
    site: Id = Field(description="Where the session is held.")
    resource: Id = Field(description="Equipment unit or container id.")
    staff: Id | None = None
    travel_minutes: float | None = Field(
        default=None, description="One-way travel of the group (project addition)."
    )


class ContainerMove(Strict):
    container: Id
    from_: Id = Field(alias="from")
    to: Id
    depart: Date = Field(description="First working day in transit.")
    ready: Date = Field(description="First working day the container can hold sessions.")
    km: float = Field(ge=0)
    truck_minutes: float | None = Field(default=None, description="Driving time (addition).")


class Unserved(Strict):
    request: Id
    reason: UnservedReason
    detail: str = Field(description="Text a person can act on.")


class Displaced(Strict):
    request: Id
    index: int = Field(ge=0)
    date: Date
    slot: Id
    resource: Id
    staff: Id | None = None
    site: Id | None = None
    reason: str = Field(description="Why the locked session could not be kept.")


class Metrics(Strict):
    served_value: int = Field(ge=0)
    requested_value: int = Field(ge=0)
    container_km: float = Field(ge=0)
    solve_seconds: float = Field(ge=0)
    bound: float | None = Field(default=None, description="Upper bound on served value.")
    status: str | None = Field(default=None, description="Solver status (addition).")
    pupil_travel_minutes: float | None = None
    fcfs_value: int | None = Field(default=None, description="FCFS baseline value (addition).")
    fairness_gini: float | None = Field(
        default=None, description="Gini of schools' served shares, 0 = even (addition)."
    )
    lowest_share: float | None = Field(
        default=None, description="Served share of the worst-served school (addition)."
    )


class Schedule(Strict):
    format: Literal["hubplan-schedule/1"]
    scenario: str
    sessions: list[Session] = Field(default_factory=list)
    container_moves: list[ContainerMove] = Field(default_factory=list)
    unserved: list[Unserved] = Field(default_factory=list)
    displaced: list[Displaced] = Field(default_factory=list)
    metrics: Metrics
