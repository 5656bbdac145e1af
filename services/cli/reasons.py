"""Why requests were not served, at a glance: one row per reason code.

A plan's ``unserved`` list says, per request, why it waits and what would
help. After a demo or a solve with a long waitlist, a person first wants
the shape of it - mostly full hubs, or mostly windows too narrow, or groups
too big - before reading 168 details; this table gives that, with the two
commonest closing clauses of the details (the planner's advice) per reason
when they recur.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table

from schemas.schedule import REASON_TEXT, Unserved

_CLAUSE = re.compile(r"[:;]\s+")


def advice_of(detail: str) -> str | None:
    """What a detail ends with after its last colon or semicolon: the planner's
    advice ("split the group into smaller requests") or the state it is in
    ("you are on the waiting list"); None for a detail of one clause."""
    clauses = _CLAUSE.split(detail)
    return clauses[-1].strip() if len(clauses) > 1 else None


def reasons_table(unserved: Sequence[Unserved]) -> RenderableType:
    """Unserved requests per reason, commonest first (a line when all were served)."""
    if not unserved:
        return "every request was served"
    by_reason = Counter(u.reason for u in unserved)
    t = Table(title=f"Why {len(unserved)} request(s) were not served")
    for col in ("reason", "requests", "what it means", "what the details say next"):
        t.add_column(col, justify="right" if col == "requests" else "left")
    for reason, count in by_reason.most_common():
        advice = Counter(
            a for u in unserved if u.reason == reason and (a := advice_of(u.detail))
        ).most_common(2)
        # a clause that names a place or a number differs per request: not a pattern
        said = "; ".join(f"{text} ({n})" for text, n in advice if n > 1) or "-"
        t.add_row(reason, str(count), REASON_TEXT[reason], said)
    t.caption = "one request's own reason and advice: hubplan explain PLAN_FILE REQUEST_ID"
    return t
