"""Refuse request bodies the API cannot take before they are read whole.

Without it, a 100 MB body was read into memory before validation said no,
and a body sent without ``Content-Type: application/json`` got a 422 about
"a valid dictionary" that did not say what was wrong. Both now get a JSON
answer naming the problem: 413 for a body over ``limit`` bytes (counted as
it streams in, so a missing or false ``Content-Length`` does not get past),
415 for a body that is not declared as JSON. Pure ASGI, so it runs before
FastAPI reads anything.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 8 * 1024 * 1024  # a whole scenario file with thousands of requests fits


class BodyGuard:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _answer(send, 413, "body", self._too_large(int(length)))
            return
        has_body = length != "0" if length is not None else "transfer-encoding" in headers
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and media != "application/json" and not media.endswith("+json"):
            said = f"'{media}'" if media else "none"
            message = f"send JSON with Content-Type: application/json (got {said})"
            await _answer(send, 415, "Content-Type", message)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # raised inside the route's body read: FastAPI passes an
                    # HTTPException through to the app's JSON error handler
                    error = {"field": "body", "message": self._too_large(seen)}
                    raise HTTPException(413, {"errors": [error]})
            return message

        await self.app(scope, counted, send)

    def _too_large(self, size: int) -> str:
        return f"body of {size:,}+ bytes; the limit is {self.limit:,}"


async def _answer(send: Send, status: int, field: str, message: str) -> None:
    body = json.dumps({"errors": [{"field": field, "message": message}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
