"""Per-feed secret URLs for calendar apps, which cannot send a bearer token.

A feed URL carries ``?key=``, an HMAC-SHA256 of exactly that feed's path
under the gateway's feed secret. The key opens GET of that one path and
nothing else: another container's feed, another region or another route
needs its own key. Keys are handed out by ``GET /v1/logistics/{region}/feeds``
behind the normal bearer auth, so whoever may read the feeds with a token
can give a calendar app a URL for them.

The secret is ``HUBPLAN_FEED_SECRET`` when set; otherwise it is derived from
the token table, so a gateway started with the same tokens (every replica,
every restart) issues the same URLs, and rotating the tokens (or setting
the secret) revokes every feed URL handed out before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException, Query, Request, status

from services.gateway.auth import principal_of
from services.gateway.config import Principal

DERIVATION = b"hubplan-feed-secret/1"


def derived_secret(tokens: Mapping[str, Any]) -> bytes:
    """A feed secret from the token table (used when HUBPLAN_FEED_SECRET is unset)."""
    canonical = json.dumps(tokens, sort_keys=True, default=str).encode()
    return hmac.new(DERIVATION, canonical, hashlib.sha256).digest()


class FeedSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the feed secret must be at least 16 bytes")
        self._secret = secret

    def key(self, path: str) -> str:
        """The ``key`` that opens ``path`` (URL-safe, no padding)."""
        mac = hmac.new(self._secret, path.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def verify(self, path: str, key: str) -> bool:
        return hmac.compare_digest(self.key(path).encode(), key.encode())


FEED_PRINCIPAL = Principal(name="feed-url", role="logistics")


KEY = "The feed's secret key, from GET /v1/logistics/{region}/feeds (instead of a bearer token)."


def feed_reader(request: Request, key: str | None = Query(None, description=KEY)) -> Principal:
    """Who reads a feed: the holder of its ``?key=``, else a bearer token as on every route."""
    if key is None:
        if "authorization" not in request.headers:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                {
                    "field": "key",
                    "message": "send ?key= (the feed URL from GET /v1/logistics/{region}/feeds) "
                    "or 'Authorization: Bearer <token>'",
                },
                headers={"WWW-Authenticate": "Bearer"},
            )
        return principal_of(request)
    signer: FeedSigner = request.app.state.feed_signer
    if not signer.verify(request.url.path, key):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {"field": "key", "message": "this key does not open this feed"},
        )
    return FEED_PRINCIPAL
