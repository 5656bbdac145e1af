"""Counter-offers in the service: attached to waitlist decisions, accepted by event.

An offer is the request changed in one way (window, distance, sessions,
group size) that fits the live plan at the moment of the decision. Accepting
it books the changed request if it still fits, or answers "taken meanwhile"
with fresh offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemas.events import BookingConfirmed, OfferAccepted
from schemas.scenario import Request
from services.planner.offers import counter_offers
from services.scheduler.state import RegionRuntime

if TYPE_CHECKING:
    from services.scheduler.handlers import Outcome, Scheduler


def offers_for(rt: RegionRuntime, req: Request) -> list[dict[str, Any]]:
    return [
        {
            "kind": o.kind,
            "request": o.request.model_dump(mode="json"),
            "sessions": [s.model_dump(mode="json", exclude_none=True) for s in o.sessions],
            "text_nb": o.text_nb,
            "text_en": o.text_en,
        }
        for o in counter_offers(rt.live, req)
    ]


def on_offer_accepted(sched: Scheduler, p: OfferAccepted) -> Outcome:
    from services.scheduler.handlers import InvalidEvent, Outcome

    rec = sched.store.bookings.get(p.request_id)
    if rec is None or rec["status"] != "waitlisted":
        return Outcome([sched.current_decision(p.request_id)] if rec else [], "offer-stale", None)
    offers = rec.get("offers") or []
    if p.offer >= len(offers):
        raise InvalidEvent(
            "offer-unknown",
            [{"field": "data.offer", "message": f"request has {len(offers)} offer(s)"}],
        )
    rt = sched.runtime(rec["region"])
    assert rt is not None
    changed = Request.model_validate(offers[p.offer]["request"], strict=False)
    original = rt.requests[p.request_id]
    rt.live.replace_request(changed)
    placed = rt.live.try_add(changed, ranked=False)  # exactly what probe offered
    shown = [(x["date"], x["slot"], x["site"]) for x in offers[p.offer]["sessions"]]
    if placed is not None and [(str(x.date), x.slot, x.site) for x in placed] != shown:
        rt.live.cancel(p.request_id)  # it fits, but not as offered: the offer itself is gone
        placed = None
    if placed is None:
        rt.live.replace_request(original)
        fresh = offers_for(rt, original)
        sched.record(
            rt,
            original,
            "waitlisted",
            reason="no-capacity",
            detail="the offer you accepted was taken meanwhile; "
            + ("here are the options now" if fresh else "no other option fits now"),
            offers=fresh,
        )
        sched.touch(rt, "offer")
        return Outcome([sched.current_decision(p.request_id)], "offer-taken", rt.region)
    rt.requests[p.request_id] = changed
    rt.waitlist.discard(p.request_id)
    sched.record(rt, changed, "confirmed", sessions=placed)
    sched.touch(rt, "offer")
    confirmed = BookingConfirmed(
        request_id=p.request_id, site=changed.site, sessions=placed, via="offer", request=changed
    )
    return Outcome([sched.decision_out(rt.region, confirmed)], "confirmed", rt.region)
