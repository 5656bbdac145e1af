"""A promotion too big for one event goes out in parts, and the region is optimised again."""

from __future__ import annotations

import datetime as dt

from schemas.events import PlanProposed, envelope
from schemas.schedule import Session
from schemas.wire import encode
from services.scheduler.optimiser import fit_proposal


def _proposal(requests: int) -> PlanProposed:
    def session(rid: str, i: int) -> Session:
        return Session(
            request=rid,
            index=i,
            date=dt.date(2027, 1, 4) + dt.timedelta(days=i),
            slot="am",
            site="hub",
            resource="dry-1",
        )

    promote = {f"r{n:04d}": [session(f"r{n:04d}", i) for i in range(3)] for n in range(requests)}
    return PlanProposed(region="r", base_version=7, promote=promote, moves=[])


def _size(p: PlanProposed) -> int:
    return len(encode(envelope(p, key="r", source="t")))


def test_a_proposal_that_fits_goes_whole() -> None:
    p = _proposal(10)
    assert fit_proposal(p, 1_000_000, _size) is p


def test_a_big_proposal_keeps_the_most_promotions_that_fit_and_says_it_is_partial() -> None:
    p = _proposal(400)
    limit = _size(p) // 3
    fitted = fit_proposal(p, limit, _size)
    assert fitted.partial and _size(fitted) <= limit
    kept = sorted(fitted.promote)
    assert kept == sorted(p.promote)[: len(kept)]  # a prefix, each request whole
    assert all(fitted.promote[rid] == p.promote[rid] for rid in kept)
    one_more = sorted(p.promote)[: len(kept) + 1]
    bigger = p.model_copy(update={"promote": {r: p.promote[r] for r in one_more}, "partial": True})
    assert _size(bigger) > limit  # the most that fit, not merely some
