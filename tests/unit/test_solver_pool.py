"""The worker's solver process runs niced and dies with its worker, even on SIGKILL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from services.scheduler.solver_pool import SolverPool

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import os, signal
from services.scheduler.solver_pool import SolverPool
pool = SolverPool()
pool.warm().result()
print(pool.get().submit(os.getpid).result(), pool.get().submit(os.nice, 0).result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status.lower()


def test_the_solver_is_niced_and_dies_with_a_killed_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKER], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    pid, niceness = (int(x) for x in done.stdout.split())
    assert niceness >= 10 and pid != os.getpid()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the solver process outlived its worker"


def test_a_dead_solver_process_is_replaced_for_the_next_job() -> None:
    async def scenario() -> None:
        pool = SolverPool()
        try:
            first = await pool.run(os.getpid)
            with pytest.raises(BrokenProcessPool):
                await pool.run(os._exit, 1)  # the solver process dies mid-job
            second = await pool.run(os.getpid)
            assert second != first  # a new process took over
        finally:
            pool.shutdown()

    asyncio.run(scenario())
