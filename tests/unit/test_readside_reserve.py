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


def test_reclaiming_a_rejected_id_leaves_its_old_cancel_behind() -> None:
    from schemas.events import BookingCancelled

    proj = Projection()
    rejected = BookingRejected(
        request_id="x", site="a-vgs", errors=[{"field": "f", "message": "m"}]
    )
    proj.apply(envelope(rejected, key="r", source="t"), rejected)
    cancel = BookingCancelled(request_id="x", cancelled_by="a")
    proj.apply(envelope(cancel, key="r", source="t"), cancel)
    assert proj.reserve(_request("x", "a-vgs"), "r")
    view = proj.requests["x"]
    assert not view.cancel_requested and view.errors == [] and view.status == "pending"
    proj.published("x")
    proj.clock = lambda: 1e12  # long after: undecided, so overdue - as a request, not a cancel
    assert [v.request_id for v in proj.overdue(30)] == ["x"]
    assert not proj.requests["x"].cancel_requested


def test_a_claim_still_publishing_is_not_resubmitted_and_its_key_replays_at_once() -> None:
    proj = Projection()
    assert proj.reserve(_request("y", "a-vgs"), "r", event_id="ev-1")
    assert proj.event_to_request["ev-1"] == "y"  # a retry with the same key is a replay
    proj.clock = lambda: 1e12
    assert proj.overdue(30) == []  # not on the intake yet: nothing to send again
    proj.release("y", "ev-1")
    assert "y" not in proj.requests and "ev-1" not in proj.event_to_request


def test_an_id_with_a_decision_read_before_its_request_is_not_claimed() -> None:
    from schemas.events import BookingCancellationConfirmed

    proj = Projection()
    done = BookingCancellationConfirmed(request_id="z", site="a-vgs", freed_sessions=1)
    proj.apply(envelope(done, key="r", source="t"), done)
    assert not proj.reserve(_request("z", "b-vgs"), "r")
