"""The current plan, assembled from the projection in the schedule format."""

from __future__ import annotations

from typing import Any

from schemas.schedule import SCHEDULE_FORMAT
from services.gateway.readside import Projection, RequestView
from services.planner.fairness import fairness_figures, shares_by_site

CROWDED_OUT = ("no-capacity", "not-optimised")  # could be served alone, not with the others


def _value(request: dict[str, Any] | None) -> int:
    if not request:
        return 0
    return int(request["priority"]) * int(request["group_size"]) * int(request["sessions"])


def plan_document(proj: Projection, region: str | None = None) -> dict[str, Any]:
    # by request id: the read side's own order depends on how its replay of two
    # topics interleaved, and a plan read twice should read the same
    views = sorted(
        (v for v in proj.requests.values() if region is None or v.region == region),
        key=lambda v: v.request_id,
    )
    sessions = [s for v in views if v.status == "confirmed" for s in v.sessions]
    unserved = [
        {"request": v.request_id, "reason": v.reason or "no-capacity", "detail": v.detail or ""}
        for v in views
        if v.status in ("waitlisted", "rejected")
    ]
    moves = [
        m
        for r, plan in sorted(proj.plans.items())
        if region is None or r == region
        for m in plan.get("moves", [])
    ]
    active = [v for v in views if v.status in ("confirmed", "waitlisted")]
    return {
        "format": SCHEDULE_FORMAT,
        "scenario": f"live:{region or 'all'}",
        "sessions": sorted(
            sessions, key=lambda s: (s["date"], s["slot"], s["site"], s["resource"])
        ),
        "container_moves": moves,
        "unserved": unserved,
        "displaced": [],
        "metrics": {
            "served_value": sum(_value(v.request) for v in active if v.status == "confirmed"),
            "requested_value": sum(_value(v.request) for v in active),
            "container_km": round(sum(float(m.get("km", 0)) for m in moves), 1),
            "solve_seconds": 0.0,
            **fairness(active),
        },
    }


def fairness(views: list[RequestView]) -> dict[str, float | None]:
    """Gini of the schools' served shares and the worst-served school's share.

    As the planner defines them (services/planner/fairness.py): a school's
    share is its confirmed value over the value it asked for that could be
    served at all - confirmed, or waitlisted only because others hold the
    capacity; out-of-reach or out-of-window requests do not count.
    """
    counted = (
        (v.site, _value(v.request), v.status == "confirmed")
        for v in views
        if v.site is not None and (v.status == "confirmed" or v.reason in CROWDED_OUT)
    )
    return fairness_figures(shares_by_site(counted))
