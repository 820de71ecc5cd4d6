"""Waiting in tests: on a condition, checked until it holds, with a limit that only catches a hang (minutes: a slow,
busy machine is slow, not broken). Nothing here decides how fast the machine must be."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["HANG", "HANG_MS", "wait_until"]

HANG = 600.0  # seconds after which a wait is a hang, not a slow machine
HANG_MS = int(HANG * 1000)  # the same, as Playwright counts it


def wait_until(condition: Callable[[], object], what: str, limit: float = HANG) -> None:
    """Return once `condition()` is true; fail naming `what` if it is not within `limit` seconds."""
    deadline = time.monotonic() + limit
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"still waiting, after {limit:.0f} s, for {what}"
        pause.wait(0.02)
