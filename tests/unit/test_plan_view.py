"""The live plan (GET /v1/plan) reports fairness like the planner does."""

from __future__ import annotations

from typing import Any

from services.gateway.plan_view import fairness
from services.gateway.readside import RequestView


def _view(rid: str, site: str, status: str, reason: str | None = None) -> RequestView:
    request: dict[str, Any] = {"priority": 1, "group_size": 10, "sessions": 1}
    return RequestView(rid, region="r", site=site, request=request, status=status, reason=reason)


def test_shares_count_only_what_could_be_served() -> None:
    views = [
        _view("a1", "a", "confirmed"),
        _view("a2", "a", "waitlisted", "no-capacity"),  # crowded out: counts against a
        _view("b1", "b", "confirmed"),
        _view("b2", "b", "waitlisted", "out-of-reach"),  # could never be served: does not count
    ]
    out = fairness(views)
    assert out["lowest_share"] == 0.5  # a: 1 of 2; b: 1 of 1
    assert 0 < out["fairness_gini"] < 0.5


def test_no_requests_no_figure() -> None:
    assert fairness([]) == {"fairness_gini": 0.0, "lowest_share": None}


def test_the_plan_reads_the_same_whatever_order_the_read_side_learnt_it_in() -> None:
    from services.gateway.plan_view import plan_document
    from services.gateway.readside import Projection, RequestView

    def projection(order: list[str]) -> Projection:
        proj = Projection()
        for rid in order:
            proj.requests[rid] = RequestView(
                rid, region="r", status="waitlisted", reason="no-capacity", detail=rid
            )
        return proj

    first = plan_document(projection(["b", "a", "c"]), "r")
    second = plan_document(projection(["c", "b", "a"]), "r")
    assert [u["request"] for u in first["unserved"]] == ["a", "b", "c"]
    assert first == second
