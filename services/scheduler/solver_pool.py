"""The worker's solver process: CP-SAT runs beside the event loop, never on it.

A process, not a thread (STYLE.md 6 allows either). CP-SAT's search releases
the GIL, but building a model, hinting it and reading the answer back are
Python; in a thread they held the GIL for seconds at a time, and every
socket write of the intake path then waited for it (the pipeline benchmark's
profile: 0.67 ms per send, and redelivered events at a third of their rate
while the optimiser ran). The process also runs at a lower CPU priority, so
on a small machine the intake path comes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _background() -> None:
    """In the solver process: yield the CPU to the worker's event loop, and die with it.

    A worker killed with SIGKILL cannot stop its pool; on Linux the kernel
    then sends the solver SIGTERM (``PR_SET_PDEATHSIG``), so no orphaned
    solver keeps burning a core.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _warm() -> None:
    """Import the planner now, so the first repair does not pay for it."""
    import services.planner.repair  # noqa: F401
    import services.planner.solve  # noqa: F401


class SolverPool:
    """One solver process per worker, started on first use (``spawn``: no forked loop)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_background,
            )
        return self._pool

    def warm(self) -> Future[None]:
        return self.get().submit(_warm)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the solver process.

        If that process died (killed, out of memory), the pool is broken for
        good: replace it, so the next job - the caller's timer tries again -
        gets a fresh one, and re-raise for this one.
        """
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.get(), fn, *args)
        except BrokenProcessPool:
            self.shutdown()
            raise

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
