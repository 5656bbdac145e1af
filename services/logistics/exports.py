"""Transport orders and itineraries as CSV and JSON.

CSV is for the haulier's spreadsheet, JSON for programs (the gateway's HTTP
views return the same document). The iCalendar feeds are in
``calendars.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

from schemas.scenario import Scenario
from services.logistics.itinerary import DEFAULT_NOTICE_DAYS
from services.logistics.models import (
    ORDER_COLUMNS,
    Itinerary,
    MovesDocument,
    TransportOrder,
)
from services.planner.calendar import notice_deadline


# -- CSV ---------------------------------------------------------------------------
def orders_csv(orders: Iterable[TransportOrder]) -> str:
    """One row per order, header first; dates ISO, ``locked`` as true/false."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ORDER_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for order in orders:
        row = order.model_dump(mode="json", by_alias=True)
        row["locked"] = "true" if order.locked else "false"
        writer.writerow(row)
    return buf.getvalue()


def read_orders_csv(text: str) -> list[TransportOrder]:
    """Parse :func:`orders_csv` output back (lax: CSV cells are all text)."""
    return [
        TransportOrder.model_validate(row, strict=False)
        for row in csv.DictReader(io.StringIO(text))
    ]


# -- JSON --------------------------------------------------------------------------
def moves_document(
    scenario: Scenario,
    orders: list[TransportOrder],
    itineraries: Iterable[Itinerary],
    *,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> MovesDocument:
    return MovesDocument(
        scenario=scenario.name or "scenario",
        today=today,
        notice_days=notice_days,
        notice_deadline=notice_deadline(scenario, today, notice_days) if today else None,
        orders=orders,
        itineraries=list(itineraries),
    )


def moves_json(document: MovesDocument) -> str:
    return document.model_dump_json(indent=2, by_alias=True) + "\n"


def read_moves_json(text: str) -> MovesDocument:
    return MovesDocument.model_validate_json(text)
