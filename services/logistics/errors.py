"""Errors of the logistics package, each naming what a planner can fix.

    LogisticsError
    ├── UnknownReferenceError   a move or filter names a container/site the scenario lacks
    ├── InconsistentMovesError  moves that cannot be driven (wrong origin, overlapping)
    └── TravelMatrixError       a router's table that cannot become ``travel.minutes``

The CLI turns each into one line (exit 2); the gateway should turn them into
HTTP 404 (unknown reference) or 422 (the rest).
"""

from __future__ import annotations


class LogisticsError(Exception):
    """Base: the input, not the code, is wrong."""


class UnknownReferenceError(LogisticsError):
    def __init__(self, kind: str, ident: str, known: list[str]) -> None:
        hint = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
        super().__init__(f"unknown {kind} '{ident}' (known: {hint or 'none'})")
        self.kind = kind
        self.ident = ident


class InconsistentMovesError(LogisticsError):
    def __init__(self, container: str, problem: str) -> None:
        super().__init__(f"{container}: {problem}")
        self.container = container


class TravelMatrixError(LogisticsError):
    """The router table is malformed or does not match the site list."""
