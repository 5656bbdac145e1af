"""Bearer tokens -> principals, and the rules of who may see what."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

from services.gateway.config import Principal, Role


class TokenTable:
    def __init__(self, principals: dict[str, Principal]) -> None:
        self._items = list(principals.items())

    def lookup(self, token: str) -> Principal | None:
        found = None
        for known, principal in self._items:  # constant time per comparison
            if hmac.compare_digest(known.encode(), token.encode()):
                found = principal
        return found


def principal_of(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            {"field": "Authorization", "message": "send 'Authorization: Bearer <token>'"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    table: TokenTable = request.app.state.tokens
    principal = table.lookup(token.strip())
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            {"field": "Authorization", "message": "unknown token"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {
                "field": "Authorization",
                "message": f"role {principal.role} may not do this; needs {' or '.join(roles)}",
            },
        )


def may_see(principal: Principal, site: str | None) -> bool:
    """Schools see only their own site's requests; operators and logistics see all."""
    return principal.role != "school" or (site is not None and site == principal.site)
