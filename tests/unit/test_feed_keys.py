"""Per-feed secret URLs: a calendar app subscribes with ?key=, no bearer token."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from services.gateway.api import create_app
from services.gateway.config import GatewaySettings
from services.gateway.feed_keys import FeedSigner, derived_secret
from tests.unit.test_logistics_routes import LOGI, TOKENS, Client, client  # noqa: F401

SCHOOL = {"Authorization": "Bearer school-token-1"}


def test_a_key_opens_exactly_its_path() -> None:
    signer = FeedSigner(b"0123456789abcdef-secret")
    path = "/v1/logistics/r/containers/box-1.ics"
    key = signer.key(path)
    assert signer.verify(path, key)
    assert not signer.verify("/v1/logistics/r/containers/box-2.ics", key)
    assert not signer.verify("/v1/logistics/x/containers/box-1.ics", key)
    assert not signer.verify(path, key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert not signer.verify(path, "")
    # another secret, other keys; the derived secret follows the token table
    assert FeedSigner(b"another-secret-of-16+").key(path) != key
    assert derived_secret(TOKENS) == derived_secret(dict(reversed(TOKENS.items())))
    assert derived_secret(TOKENS) != derived_secret({**TOKENS, "x" * 8: {"name": "x"}})
    with pytest.raises(ValueError):
        FeedSigner(b"short")


def test_a_configured_secret_is_used_and_must_be_long_enough() -> None:
    path = "/v1/logistics/r/fleet.ics"
    app = create_app(GatewaySettings(tokens=json.dumps(TOKENS), feed_secret="s" * 20))
    assert app.state.feed_signer.key(path) == FeedSigner(b"s" * 20).key(path)
    with pytest.raises(ValueError, match="feed_secret"):
        GatewaySettings(tokens=json.dumps(TOKENS), feed_secret="short")


async def test_feed_urls_from_the_api_open_their_feed_without_a_token(
    client: Client,  # noqa: F811
) -> None:
    got = await client.get("/v1/logistics/r/feeds", headers=LOGI)
    assert got.status_code == 200, got.text
    urls = got.json()
    assert set(urls["containers"]) == {"box-1"}
    assert "depot" in urls["sites"] and "far" in urls["sites"]
    for url in [urls["fleet"], *urls["containers"].values(), *urls["sites"].values()]:
        parts = urlsplit(url)
        assert parts.path.endswith(".ics") and parts.query.startswith("key=")
        feed = await client.get(f"{parts.path}?{parts.query}")  # no Authorization header
        assert feed.status_code == 200, (url, feed.text)
        assert feed.headers["content-type"].startswith("text/calendar")
    # one feed's key does not open another; a wrong or missing key names the field
    box_key = urlsplit(urls["containers"]["box-1"]).query
    wrong = await client.get(f"/v1/logistics/r/fleet.ics?{box_key}")
    assert wrong.status_code == 403
    assert wrong.json()["errors"][0]["field"] == "key"
    missing = await client.get("/v1/logistics/r/fleet.ics")
    assert missing.status_code == 401 and missing.json()["errors"][0]["field"] == "key"
    # a key opens feeds only: the orders still need a token
    orders = await client.get(f"/v1/logistics/r/orders?{box_key}")
    assert orders.status_code == 401
    # bearer tokens still work on feeds; schools may not list feed URLs
    assert (await client.get("/v1/logistics/r/fleet.ics", headers=LOGI)).status_code == 200
    assert (await client.get("/v1/logistics/r/feeds", headers=SCHOOL)).status_code == 403
    assert (await client.get("/v1/logistics/r/feeds")).status_code == 401
