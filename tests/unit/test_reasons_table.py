"""The demo's and ``hubplan solve``'s summary of why requests were not served."""

from __future__ import annotations

from rich.console import Console

from schemas.schedule import REASON_TEXT, Unserved
from services.cli.reasons import advice_of, reasons_table

# as services/planner/reasons.py words them
SEATS = (
    "every dry-room within reach has at most 12 seats; the group has 16: "
    "split the group into smaller requests"
)
BOOKED = (
    "all plc-rig slots within reach (Vennesla) are booked between 2027-01-04 and "
    "2027-01-29; you are on the waiting list"
)
WINDOW = (
    "only 3 usable date(s) for fire-safety between 2027-04-26 and 2027-05-07 (weekdays, "
    "holidays, school calendar, service days, 3-day gap); 4 needed: widen the window or "
    "reduce the gap"
)


def _render(unserved: list[Unserved]) -> str:
    console = Console(record=True, width=400)
    console.print(reasons_table(unserved))
    return console.export_text()


def _u(i: int, reason: str, detail: str) -> Unserved:
    return Unserved.model_validate({"request": f"r{i}", "reason": reason, "detail": detail})


def test_advice_is_the_closing_clause_of_a_detail() -> None:
    assert advice_of(SEATS) == "split the group into smaller requests"
    assert advice_of(BOOKED) == "you are on the waiting list"
    assert advice_of(WINDOW) == "widen the window or reduce the gap"
    assert advice_of("no instructor for plc-rig (day) is free on 2 suitable dates") is None


def test_one_row_per_reason_commonest_first_with_recurring_advice() -> None:
    unserved = [
        *(_u(i, "no-slot-in-window", WINDOW) for i in range(3)),
        _u(3, "no-capacity", SEATS),
        _u(4, "no-capacity", SEATS),
        _u(5, "no-capacity", BOOKED),
        _u(6, "out-of-reach", "no plc-rig within 30 minutes of A; nearest is B at 41 minutes"),
    ]
    lines = [line for line in _render(unserved).splitlines() if "│" in line]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    assert [r[:2] for r in rows] == [
        ["no-slot-in-window", "3"],
        ["no-capacity", "3"],
        ["out-of-reach", "1"],
    ]
    assert rows[0][2] == REASON_TEXT["no-slot-in-window"]
    assert rows[0][3] == "widen the window or reduce the gap (3)"
    # the clause seen once (the waiting list) is left out: only patterns are shown
    assert rows[1][3] == "split the group into smaller requests (2)"
    assert rows[2][3] == "-"  # a nearest site differs per request
    assert "Why 7 request(s) were not served" in _render(unserved)


def test_a_plan_that_serves_everyone_says_so() -> None:
    assert _render([]).strip() == "every request was served"
