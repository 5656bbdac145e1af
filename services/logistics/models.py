"""What a container does over the horizon: stays, legs, transport orders.

These are read models derived from a schedule (``container_moves`` plus the
sessions held on each container), never input to the planner. They are
pydantic models so the CLI's JSON export and the gateway's HTTP views share
one shape and one parser (the JSON and CSV round-trips use them).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.common import Date, Id, Strict
from schemas.logistics import PlannedMove
from schemas.schedule import Session


class Stay(Strict):
    """A container standing at one site, ready for sessions, between two moves."""

    container: Id
    site: Id
    site_name: str
    start: Date = Field(description="First day it stands ready here (horizon start or a ready).")
    end: Date = Field(description="Last day here: day before the next departure, or horizon end.")
    sessions: list[Session] = Field(default_factory=list, description="Sessions held, by date.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Leg(Strict):
    """One move with what rule 6 implies: transit and setup working days."""

    container: Id
    index: int = Field(ge=0, description="The container's n-th move in the horizon, 0-based.")
    from_site: Id = Field(alias="from")
    to_site: Id = Field(alias="to")
    depart: Date
    ready: Date
    transit_dates: list[Date] = Field(description="Working days on the road, depart first.")
    setup_dates: list[Date] = Field(description="Working days of setup at the destination.")
    km: float = Field(ge=0)
    truck_minutes: float = Field(ge=0, description="Driving time of the whole leg.")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def transit_days(self) -> int:
        return len(self.transit_dates)

    @property
    def setup_days(self) -> int:
        return len(self.setup_dates)

    @property
    def driving_hours(self) -> float:
        return round(self.truck_minutes / 60, 1)

    @property
    def key(self) -> str:
        """Stable identity of this move in one plan (container, route, departure)."""
        return f"{self.container}:{self.from_site}:{self.to_site}:{self.depart.isoformat()}"


class Itinerary(Strict):
    """Everything one container does over the horizon, in date order."""

    container: Id
    region: Id
    start_site: Id
    stays: list[Stay]
    legs: list[Leg]


class TransportOrder(Strict):
    """One row for the haulier: who moves what from where to where, when.

    ``contact`` is the receiving site: it has to clear the pad and power
    hook-up before the truck arrives, so it is the party the haulier calls.
    """

    container: Id
    region: Id
    from_site: Id = Field(alias="from")
    from_name: str
    to_site: Id = Field(alias="to")
    to_name: str
    depart: Date
    ready: Date
    transit_days: int = Field(ge=1)
    setup_days: int = Field(ge=0)
    km: float = Field(ge=0)
    driving_hours: float = Field(ge=0)
    contact: str = Field(description="Name of the receiving site.")
    locked: bool = Field(default=False, description="Inside the notice period: do not move it.")

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


ORDER_COLUMNS: tuple[str, ...] = (
    "container",
    "region",
    "from",
    "from_name",
    "to",
    "to_name",
    "depart",
    "ready",
    "transit_days",
    "setup_days",
    "km",
    "driving_hours",
    "contact",
    "locked",
)


MOVES_FORMAT = "hubplan-container-moves/1"


class MovesDocument(Strict):
    """The JSON export: orders plus the itineraries they come from.

    ``notice_deadline`` is the last departure date locked on ``today``;
    both are absent when no reference day was given.
    """

    format: str = Field(default=MOVES_FORMAT, pattern=r"^hubplan-container-moves/1$")
    scenario: str
    today: Date | None = None
    notice_days: int = Field(ge=0)
    notice_deadline: Date | None = None
    orders: list[TransportOrder]
    itineraries: list[Itinerary]


CHANGES_FORMAT = "hubplan-move-changes/1"


class ChangedMove(Strict):
    """A move both plans have (same container and route), with what differs."""

    container: Id
    before: PlannedMove
    after: PlannedMove
    changed: list[str] = Field(min_length=1, description="Fields that differ.")


class MoveChanges(Strict):
    """What changed in the moves between two plans: for "what changed since yesterday".

    ``baseline`` says what the old plan is (a file, or the live plan at a
    time); ``locked`` on each move counts the notice period from ``today``.
    """

    format: str = Field(default=CHANGES_FORMAT, pattern=r"^hubplan-move-changes/1$")
    scenario: str
    baseline: str
    baseline_version: int | None = None
    version: int | None = None
    today: Date
    notice_days: int = Field(ge=0)
    new: list[PlannedMove]
    changed: list[ChangedMove]
    cancelled: list[PlannedMove]


CHANGE_COLUMNS: tuple[str, ...] = (
    "change",
    "container",
    "from",
    "to",
    "depart",
    "ready",
    "transit_days",
    "setup_days",
    "km",
    "driving_minutes",
    "locked",
    "before_depart",
    "before_ready",
    "changed",
)
