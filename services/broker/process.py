"""Child-process plumbing shared by the Kafka and Tansu launchers.

Both brokers are plain subprocesses that write to a log file. This module
starts them so they do not outlive a crashed parent, stops them politely
(SIGTERM, then SIGKILL), and reads the end of their log for error messages.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# Children still running at interpreter exit; stopped by _stop_all so that a
# forgotten stop() (or a test run that errors out) leaves no JVM behind.
_live: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


def _die_with_parent() -> Callable[[], None] | None:
    """Return a preexec_fn asking Linux to SIGTERM the child when we die.

    Only used when starting from the main thread: PDEATHSIG fires when the
    *thread* that forked exits, so from a worker thread it could kill a broker
    that is still wanted.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return preexec


def spawn(
    argv: Sequence[str], *, log_path: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` with stdout and stderr appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **extra_env} if extra_env else None,
            preexec_fn=_die_with_parent(),  # noqa: PLW1509 - only sets PDEATHSIG
        )
    _live.add(proc)
    return proc


def terminate(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """SIGTERM ``proc``, wait up to ``timeout`` seconds, then SIGKILL it.

    Returns True if the process ended on its own terms (not SIGKILLed), i.e.
    its shutdown hooks ran and files it writes at exit are complete.
    """
    clean = True
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            clean = False
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
    _live.discard(proc)
    return clean


def tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of ``path`` ("" if it does not exist)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            data = fh.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


@atexit.register
def _stop_all() -> None:
    for proc in list(_live):
        terminate(proc, timeout=10.0)
