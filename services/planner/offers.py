"""Counter-offers: what a waitlisted request could have right now instead.

Each offer is the request changed in one way a school can decide on - a
wider window, a hub further away, fewer sessions, a smaller group, or the
evening - tried against the live plan without booking anything. Only offers
that fit now are returned, cheapest change first, each with a sentence in
Norwegian bokmål and in English.

Rule 2 ties pupils to day slots and adults to evening slots, so the evening
is offered only where the learners are adults who asked for daytime: a
fagskole's students. A school's pupils keep the day; an adults' course is in
the evening already.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas.scenario import Request
from schemas.schedule import Session
from services.planner.insert import LivePlan
from services.planner.options import candidates

WIDEN_WEEKS = (1, 2, 4, 8)


@dataclass(frozen=True)
class Offer:
    kind: str  # window | further | fewer | smaller | evening
    cost: float  # how big a change it is for the school; lower first
    request: Request  # the request as it would be booked
    sessions: list[Session]
    text_nb: str
    text_en: str


def counter_offers(live: LivePlan, req: Request, limit: int = 3) -> list[Offer]:
    found = [
        o
        for o in (
            _window(live, req),
            _evening(live, req),
            _further(live, req),
            _fewer(live, req),
            _smaller(live, req),
        )
        if o
    ]
    return sorted(found, key=lambda o: o.cost)[:limit]


def _window(live: LivePlan, req: Request) -> Offer | None:
    h = live.inst.scenario.horizon
    for weeks in WIDEN_WEEKS:
        pad = dt.timedelta(weeks=weeks)
        wider = req.model_copy(
            update={
                "earliest": max(h.start, req.earliest - pad),
                "latest": min(h.end, req.latest + pad),
            }
        )
        if (wider.earliest, wider.latest) == (req.earliest, req.latest):
            return None
        sessions = live.probe(wider)
        if sessions:
            return Offer(
                "window",
                weeks,
                wider,
                sessions,
                f"Samme opplegg mellom {wider.earliest} og {wider.latest} (vinduet utvidet med {weeks} uke(r)).",
                f"The same sessions between {wider.earliest} and {wider.latest} (window widened by {weeks} week(s)).",
            )
    return None


def _evening(live: LivePlan, req: Request) -> Offer | None:
    """A fagskole class as an evening course (audience adults: evening slots)."""
    site = live.inst.sites.get(req.site)
    if req.audience != "pupils" or site is None or site.kind != "fagskole":
        return None
    evening = req.model_copy(update={"audience": "adults"})
    sessions = live.probe(evening)
    if not sessions:
        return None
    return Offer(
        "evening",
        1.5,  # same dates and place, other hours: between one and two weeks' wider window
        evening,
        sessions,
        "Samme økter som kveldskurs (studentene møter på kveldstid i stedet for på dagtid).",
        "The same sessions as an evening course (the students come in the evening instead of the day).",
    )


def _further(live: LivePlan, req: Request) -> Offer | None:
    inst = live.inst
    far = req.model_copy(update={"max_travel_minutes": 10_000})
    minutes = sorted(
        {
            round(c.travel)
            for c in candidates(inst, far, live.staffed)
            if c.travel > req.max_travel_minutes
        }
    )
    for m in minutes[:6]:
        reach = req.model_copy(update={"max_travel_minutes": float(m)})
        sessions = live.probe(reach)
        if sessions:
            site = inst.sites[sessions[0].site].name
            extra = m - req.max_travel_minutes
            return Offer(
                "further",
                extra / 15,
                reach,
                sessions,
                f"Bruk {req.equipment_type} ved {site}, {m} minutter unna ({extra:.0f} minutter over grensen deres).",
                f"Use the {req.equipment_type} at {site}, {m} minutes away ({extra:.0f} minutes beyond your limit).",
            )
    return None


def _fewer(live: LivePlan, req: Request) -> Offer | None:
    """The most sessions ``probe`` can place, by bisection: probe's greedy visits
    days in the same order whatever the count, so its placement of n sessions is
    the start of its placement of n + 1, and if n do not fit, more do not. A few
    probes give what one probe per count gave (that once stalled the scheduler
    for minutes on a 100,000-session request)."""
    fits: dict[int, list[Session]] = {}
    lo, hi = 0, req.sessions - 1  # lo: fits (0 trivially); hi: the most worth trying
    while lo < hi:
        mid = (lo + hi + 1) // 2
        sessions = live.probe(req.model_copy(update={"sessions": mid}))
        if sessions:
            fits[mid], lo = sessions, mid
        else:
            hi = mid - 1
    if lo == 0:
        return None
    less = req.model_copy(update={"sessions": lo})
    return Offer(
        "fewer",
        2.0 * (req.sessions - lo),
        less,
        fits[lo],
        f"{lo} økt(er) i stedet for {req.sessions} i samme vindu.",
        f"{lo} session(s) instead of {req.sessions} in the same window.",
    )


def _smaller(live: LivePlan, req: Request) -> Offer | None:
    inst = live.inst
    seats = sorted(
        {p.seats for p in inst.pools if p.type == req.equipment_type and p.seats < req.group_size}
        | {
            b.seats
            for b in inst.boxes
            if req.equipment_type in b.types and b.seats < req.group_size
        },
        reverse=True,
    )
    for size in seats:
        small = req.model_copy(update={"group_size": size})
        sessions = live.probe(small)
        if sessions:
            return Offer(
                "smaller",
                (req.group_size - size) / 2,
                small,
                sessions,
                f"En gruppe på {size} i stedet for {req.group_size}; resten kan søke på nytt.",
                f"A group of {size} instead of {req.group_size}; the others can apply separately.",
            )
    return None
