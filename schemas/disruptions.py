"""Disruptions: what reality does to a plan (issue "Stable re-planning").

Each is a small past-tense fact with the dates it covers. ``hubplan replan``
reads a list of them; the scheduler receives them as events.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from schemas.common import LABEL, Date, Id, Strict
from schemas.scenario import Container, Equipment, Instructor


class _Window(Strict):
    from_: Date = Field(alias="from")
    to: Date
    reason: str = Field("disruption", max_length=LABEL)

    @field_validator("to")
    @classmethod
    def _ordered(cls, to: dt.date, info: ValidationInfo) -> dt.date:
        # a field validator, so the error names "to" (fields validate in order)
        start = info.data.get("from_")
        if start is not None and to < start:
            raise ValueError(f"'to' ({to}) is before 'from' ({start})")
        return to


class EquipmentUnavailable(_Window):
    kind: Literal["equipment-unavailable"]
    equipment: Id


class ContainerBroken(_Window):
    kind: Literal["container-broken"]
    container: Id


class InstructorUnavailable(_Window):
    kind: Literal["instructor-unavailable"]
    staff: Id


class SiteClosed(_Window):
    kind: Literal["site-closed"]
    site: Id


class PadUnavailable(_Window):
    """A site's container pad is out of use (works, flooding): no container there then."""

    kind: Literal["pad-unavailable"]
    site: Id


class ContainerDelayed(Strict):
    """The truck is late: the container is ready at its destination only on ``ready``."""

    kind: Literal["container-delayed"]
    container: Id
    ready: Date
    reason: str = Field("truck delayed", max_length=LABEL)


class ResourceAdded(Strict):
    kind: Literal["resource-added"]
    equipment: Equipment | None = None
    container: Container | None = None
    staff: Instructor | None = None

    @model_validator(mode="after")
    def _one(self) -> ResourceAdded:
        given = [x for x in (self.equipment, self.container, self.staff) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equipment, container, staff")
        return self


class ResourceRemoved(Strict):
    kind: Literal["resource-removed"]
    resource: Id = Field(description="Equipment, container or instructor id.")
    reason: str = Field("removed", max_length=LABEL)


class BookingWithdrawn(Strict):
    """A school or an operator cancelled a booking."""

    kind: Literal["booking-cancelled"]
    request: Id
    by: Literal["school", "operator"] = "school"


Disruption = Annotated[
    EquipmentUnavailable
    | ContainerBroken
    | InstructorUnavailable
    | SiteClosed
    | PadUnavailable
    | ContainerDelayed
    | ResourceAdded
    | ResourceRemoved
    | BookingWithdrawn,
    Field(discriminator="kind"),
]


class DisruptionList(Strict):
    """The file ``hubplan replan`` reads: ``{"disruptions": [...]}``."""

    disruptions: list[Disruption] = Field(min_length=1)
