"""Debian's Chromium, as the browser tests and the screenshot script start it.

These flags keep a headless Chromium from reaching out on its own (updates, sync, safe browsing), which on a
machine with no network shows up as a burst of refused connections at every start.
"""

from __future__ import annotations

import shutil

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
