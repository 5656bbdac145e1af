"""Shared field types and the strict base model for every hubplan contract.

Why one base: the scenario spec says unknown fields are an error ("a typo must
not silently change a plan"), and the event envelope wants the same. Putting
``extra="forbid"`` in one place keeps every contract honest.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ID_PATTERN = r"^[a-z0-9._-]{1,64}$"
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"

Id = Annotated[
    str,
    Field(pattern=ID_PATTERN, description="Identifier: 1-64 chars of [a-z0-9._-]."),
]
Part = Literal["day", "evening"]
Audience = Literal["pupils", "adults"]


Date = dt.date
ClockTime = Annotated[
    str, Field(pattern=TIME_PATTERN, description="Local time HH:MM (Europe/Oslo).")
]


STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
LABEL = 200  # names and reasons people type: a school's name, a closure's reason
PRINCIPAL = 128  # token names, event sources


class Strict(BaseModel):
    """Base for contract models: unknown fields are rejected, values are frozen.

    ``strict=True`` stops pydantic from coercing e.g. ``5`` into a date or
    ``"5"`` into an int; contracts are validated from JSON text
    (``model_validate_json``), where ISO date strings are still accepted.

    Numbers are finite: ``Infinity`` (which Python's JSON parser accepts)
    once reached the scheduler, which could not compute with it. Free text
    that comes in from outside has a ``max_length`` on its field (a 700 KB
    ``programme`` once made a decision too large for Kafka); text the
    services write themselves is bounded by the event size instead, so a
    long but honest reason never fails its own contract.
    """

    model_config = STRICT


class DateRange(Strict):
    """An inclusive range of dates, e.g. a holiday or a service window."""

    from_: Date = Field(alias="from", description="First date of the range, inclusive.")
    to: Date = Field(description="Last date of the range, inclusive.")
    reason: str | None = Field(
        default=None, max_length=LABEL, description="Why the range is closed."
    )

    model_config = ConfigDict(**STRICT, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.from_ <= day <= self.to


def clock_minutes(hhmm: str) -> int:
    """Minutes after midnight of an ``HH:MM`` string."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def format_loc(loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into a JSON path like ``requests[3].site``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_PATH_PREFIX = re.compile(r"^(Value error, )?(?P<path>[A-Za-z_][\w.\[\]-]*): (?P<msg>.*)$", re.S)


def describe_errors(error: ValidationError) -> list[dict[str, str]]:
    """Flatten a pydantic ValidationError into ``[{"field", "message"}]``.

    Cross-field validators raise messages of the form ``path: message``; they
    are split here so every error names the JSON path it is about. Paths and
    messages are cut to ``MAX_ERROR_TEXT`` characters and the list to
    ``MAX_ERRORS`` entries, so an error report always fits an HTTP answer, a
    receipt and a dead-letter record, however bad the input.
    """
    out = _describe(error)
    if len(out) > MAX_ERRORS:
        more = len(out) - MAX_ERRORS + 1
        out = [*out[: MAX_ERRORS - 1], {"field": "(root)", "message": f"and {more} more error(s)"}]
    return [{k: v[:MAX_ERROR_TEXT] for k, v in e.items()} for e in out]


MAX_ERRORS = 50
MAX_ERROR_TEXT = 300


def _describe(error: ValidationError) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in error.errors(include_url=False):
        field = format_loc(tuple(item["loc"]))
        message = str(item["msg"])
        for line in message.split("\n"):
            match = _PATH_PREFIX.match(line.strip())
            if match and not field:
                out.append({"field": match["path"], "message": match["msg"]})
            else:
                out.append(
                    {"field": field or "(root)", "message": line.removeprefix("Value error, ")}
                )
    return out
