"""Counter-offers over HTTP: a waitlisted school takes one, or learns it was taken."""

from __future__ import annotations

import time

import httpx
import pytest

from services.stack import Stack
from tests.integration.helpers import decision, headers, load, req, submit

pytestmark = pytest.mark.integration
DAY = {"earliest": "2027-01-05", "latest": "2027-01-05"}


def _wait(stack: Stack, rid: str, site: str, status: str, detail: str | None = None) -> dict:
    deadline = time.monotonic() + 30
    while True:
        view = httpx.get(
            f"{stack.gateway_url}/v1/requests/{rid}",
            params={"wait": 2},
            headers=headers(stack, "school", site),
            timeout=10,
        ).json()
        if view["status"] == status and (detail is None or detail in (view.get("detail") or "")):
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.2)


def test_accept_an_offer_and_a_stale_offer_is_refused(stack: Stack) -> None:
    load(stack, "of")
    for i in range(2):
        assert submit(stack, req("of", f"full{i}", **DAY)).status_code == 202
    for i in range(2):
        decision(stack, f"of-full{i}", "of-near")
    late = req("of", "late", **DAY)
    assert submit(stack, late, **{"Idempotency-Key": "of-late-1"}).status_code == 202
    view = _wait(stack, "of-late", "of-near", "waitlisted")
    offers = view["offers"]
    assert offers and offers[0]["kind"] == "window"
    assert offers[0]["text_nb"] and offers[0]["text_en"] and offers[0]["sessions"]
    url = f"{stack.gateway_url}/v1/requests/of-late/offers/0/accept"
    assert (
        httpx.post(url, headers=headers(stack, "school", "of-hub")).status_code == 404
    )  # not theirs
    assert httpx.post(url, headers=headers(stack, "school", "of-near")).status_code == 202
    booked = _wait(stack, "of-late", "of-near", "confirmed")
    assert booked["sessions"] == offers[0]["sessions"]
    assert booked["request"]["latest"] == offers[0]["request"]["latest"]
    # the client's retry of its original POST is still that request, not a new one
    retry = submit(stack, late, **{"Idempotency-Key": "of-late-1"})
    assert retry.status_code == 202 and retry.json()["replayed"] is True

    # a second waitlisted request whose offer is taken by someone else first
    again = req("of", "again", **DAY)
    assert submit(stack, again).status_code == 202
    view = _wait(stack, "of-again", "of-near", "waitlisted")
    offered = view["offers"][0]
    rival = req(
        "of",
        "rival",
        earliest=offered["sessions"][0]["date"],
        latest=offered["sessions"][0]["date"],
    )
    assert submit(stack, rival).status_code == 202
    _wait(stack, "of-rival", "of-near", "confirmed")
    taken = f"{stack.gateway_url}/v1/requests/of-again/offers/0/accept"
    assert httpx.post(taken, headers=headers(stack, "school", "of-near")).status_code == 202
    refused = _wait(stack, "of-again", "of-near", "waitlisted", detail="taken meanwhile")
    assert refused["offers"], "fresh offers come with the refusal"
