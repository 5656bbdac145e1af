"""Per-container move events on ``hubplan.logistics``: the logistics service's output.

The scheduler publishes whole plans (``PlanChanged`` with every move of a
region); a haulier, a school or a calendar bridge wants to hear "this move
is new / moved / off", with what a transport order says: when the truck
leaves, how many working days it is on the road and setting up, when the
container is ready, how far and how long it drives, and whether the move is
inside the notice period (``locked``: the truck is booked, do not change it).

Messages are keyed by **container** (not region, unlike the other topics),
so one container's events stay in order on one partition. Event ids are
``logistics:{region}:v{plan version}:{n}``: a redelivered plan repeats them,
and listeners drop what they have seen.

v2 of the three types: v1 carried the plan's bare ``ContainerMove`` (no
transit, setup or notice); a strict v1 reader would refuse the new fields,
so this is a new type version, not an edit.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from schemas.common import STRICT, Date, Id, Strict
from schemas.events import Envelope
from schemas.wire import decode

LOGISTICS = "hubplan.logistics"

# what a rescheduled move can change; ``locked`` is not one: it follows the calendar day
MoveField = Literal["depart", "ready", "transit_days", "setup_days", "km", "driving_minutes"]


class PlannedMove(Strict):
    """One container move as a transport order states it (rule 6 working days)."""

    container: Id
    from_: Id = Field(alias="from", description="Site the container leaves.")
    to: Id = Field(description="Receiving site (the haulier's contact).")
    depart: Date = Field(description="First working day in transit.")
    transit_days: int = Field(ge=1, description="Working days on the road, departure counted.")
    setup_days: int = Field(ge=0, description="Working days of setup at the receiving site.")
    ready: Date = Field(description="First working day the container can hold sessions.")
    km: float = Field(ge=0, description="Road distance.")
    driving_minutes: float = Field(ge=0, description="Truck driving time of the whole move.")
    locked: bool = Field(
        description="Departs within the notice period of the day the event was made: "
        "the truck is booked, do not change it."
    )

    model_config = ConfigDict(**STRICT, populate_by_name=True)


class MovePlanned(Strict):
    """A move appeared in the region's plan."""

    TYPE: ClassVar[str] = "hubplan.container-move.planned.v2"
    region: Id
    container: Id
    plan_version: int = Field(ge=0, description="PlanChanged.version that introduced it.")
    move: PlannedMove


class MoveChanged(Strict):
    """A planned move kept its container and route but got new dates, km or driving time."""

    TYPE: ClassVar[str] = "hubplan.container-move.changed.v2"
    region: Id
    container: Id
    plan_version: int = Field(ge=0)
    before: PlannedMove
    after: PlannedMove
    changed: list[MoveField] = Field(min_length=1, description="Fields that differ.")


class MoveCancelled(Strict):
    """A planned move is no longer in the region's plan."""

    TYPE: ClassVar[str] = "hubplan.container-move.cancelled.v2"
    region: Id
    container: Id
    plan_version: int = Field(ge=0)
    move: PlannedMove


MoveEvent = MovePlanned | MoveChanged | MoveCancelled
PAYLOADS: dict[str, type[Strict]] = {m.TYPE: m for m in (MovePlanned, MoveChanged, MoveCancelled)}


def move_event_id(region: str, version: int, n: int) -> str:
    """The ``n``-th event made from plan ``version`` of ``region`` (stable across redelivery)."""
    return f"logistics:{region}:v{version}:{n}"


def decode_logistics(raw: bytes | None) -> tuple[Envelope, MoveEvent]:
    """Parse a ``hubplan.logistics`` message; errors as :class:`schemas.wire.WireError`."""
    event, payload = decode(raw, PAYLOADS)
    assert isinstance(payload, MovePlanned | MoveChanged | MoveCancelled)
    return event, payload
