"""``hubplan up`` starts again what exits, but not forever (Stack.revive_exited).

Real processes that exit at once stand in for a worker that keeps crashing;
no broker is started (the stack is built, not started).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.stack import MAX_RESTARTS, RESTART_WINDOW, Stack, StackConfig, StackError


def _exiting() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait(30)
    return proc


def _stack(tmp_path: Path) -> tuple[Stack, list[int]]:
    stack = Stack(StackConfig(data_dir=tmp_path))
    stack.workers = [_exiting()]
    started: list[int] = []

    def start_worker(i: int) -> subprocess.Popen[bytes]:
        started.append(i)
        stack.workers[i] = _exiting()
        return stack.workers[i]

    stack.start_worker = start_worker  # type: ignore[method-assign]
    return stack, started


def test_an_exited_worker_is_started_again_and_reported(tmp_path: Path) -> None:
    stack, started = _stack(tmp_path)
    said = stack.revive_exited(now=1000.0)
    assert started == [0]
    assert said == [
        f"scheduler worker 0 exited (code 3) and was started again; see {tmp_path / 'worker-0.log'}"
    ]


def test_a_worker_that_keeps_exiting_is_given_up(tmp_path: Path) -> None:
    stack, started = _stack(tmp_path)
    for k in range(MAX_RESTARTS):  # 10 s apart: longer than any back-off
        stack.revive_exited(now=1000.0 + 10 * k)
    assert started == [0] * MAX_RESTARTS
    with pytest.raises(
        StackError, match=r"scheduler worker 0 exited 6 times in 120 s .*worker-0\.log"
    ):
        stack.revive_exited(now=1000.0 + 10 * MAX_RESTARTS)
    assert len(started) == MAX_RESTARTS  # not started a sixth time


def test_restarts_long_ago_do_not_count(tmp_path: Path) -> None:
    stack, started = _stack(tmp_path)
    for k in range(MAX_RESTARTS):
        stack.revive_exited(now=1000.0 + 10 * k)
    stack.revive_exited(now=1000.0 + 10 * MAX_RESTARTS + RESTART_WINDOW)
    assert len(started) == MAX_RESTARTS + 1


def test_a_restart_that_fails_is_reported_counted_and_tried_again(tmp_path: Path) -> None:
    stack, started = _stack(tmp_path)
    failing = {"left": 1}

    def start_worker(i: int) -> subprocess.Popen[bytes]:
        if failing["left"]:
            failing["left"] -= 1
            raise StackError("port 9100 is taken")
        started.append(i)
        stack.workers[i] = _exiting()
        return stack.workers[i]

    stack.start_worker = start_worker  # type: ignore[method-assign]
    (said,) = stack.revive_exited(now=1000.0)
    assert (
        said == "scheduler worker 0 exited (code 3); starting it again failed: port 9100 is taken"
    )
    stack.revive_exited(now=1001.0)  # still exited: tried again, after a second
    assert started == [0]
    assert len(stack.restarts["scheduler worker 0"]) == 2


def test_restarts_in_a_row_back_off(tmp_path: Path) -> None:
    stack, started = _stack(tmp_path)
    for now in (1000.0, 1000.5, 1001.0, 1002.0, 1003.0, 1005.0):
        stack.revive_exited(now=now)
    # 1 s after the first restart, then 2 s after the second, 4 s after the third
    assert stack.restarts["scheduler worker 0"] == [1000.0, 1001.0, 1003.0]
    assert len(started) == 3


class _Watched:
    """Counts the supervisor's revive calls (hubplan up's loop, stack_commands.py)."""

    calls = 0

    def revive_exited(self) -> list[str]:
        self.calls += 1
        return []


def test_hubplan_up_restarts_nothing_once_sigterm_came() -> None:
    """A SIGTERM to the whole process group stops the children too; the loop must end
    before it would start them again."""
    from services.cli.stack_commands import _run_until_stopped

    watched, ticks = _Watched(), []

    def tick(seconds: float) -> None:
        ticks.append(seconds)
        if len(ticks) == 3:  # SIGTERM arrives while the loop sleeps
            os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    try:
        _run_until_stopped(watched, tick)  # type: ignore[arg-type]
    finally:
        signal.signal(signal.SIGTERM, before)
    assert len(ticks) == 3
    assert watched.calls == 2  # after the first two ticks, not after the third
