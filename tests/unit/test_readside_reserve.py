"""A request id is claimed before its event is published, so a race cannot share it."""

from __future__ import annotations

from schemas.events import BookingRejected, envelope
from services.gateway.readside import Projection


def _request(rid: str, site: str) -> dict[str, str]:
    return {"id": rid, "site": site, "programme": site}


def test_the_first_claim_wins_and_a_released_one_is_free_again() -> None:
    proj = Projection()
    assert proj.reserve(_request("race-1", "a-vgs"), "r")
    assert not proj.reserve(_request("race-1", "b-vgs"), "r")
    view = proj.requests["race-1"]
    assert (view.site, view.request, view.status) == (
        "a-vgs",
        _request("race-1", "a-vgs"),
        "pending",
    )
    proj.release("race-1")  # its publish failed
    assert "race-1" not in proj.requests
    assert proj.reserve(_request("race-1", "b-vgs"), "r")


def test_an_id_that_was_only_rejected_may_be_claimed_again() -> None:
    proj = Projection()
    rejected = BookingRejected(
        request_id="odd", site="a-vgs", errors=[{"field": "x", "message": "y"}]
    )
    proj.apply(envelope(rejected, key="r", source="t"), rejected)
    assert proj.requests["odd"].status == "rejected"
    assert proj.reserve(_request("odd", "a-vgs"), "r")
    assert proj.requests["odd"].status == "pending"
    assert not proj.reserve(_request("odd", "b-vgs"), "r")
