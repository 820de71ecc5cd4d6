"""The allocator settings: glibc's arenas and mmap threshold set from inside the process, the environment's own
settings respected."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from roberta_demo.allocator import tune_malloc

GLIBC = sys.platform.startswith("linux")


def _in_a_fresh_process(env: dict[str, str]) -> str:
    # As the app does it: before any request thread; then a thread allocates, and the process carries on.
    code = (
        "import threading; from roberta_demo.allocator import tune_malloc; done = tune_malloc(2); "
        "t = threading.Thread(target=lambda: bytearray(1 << 20)); t.start(); t.join(); print(sorted(done.items()))"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt")
def test_both_are_set_on_glibc_unless_the_environment_says(monkeypatch):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    assert _in_a_fresh_process(clean).strip() == "[('arenas', True), ('mmap_threshold', True)]"
    told = {**clean, "MALLOC_ARENA_MAX": "4"}
    assert _in_a_fresh_process(told).strip() == "[('arenas', False), ('mmap_threshold', True)]"


def test_nothing_is_set_twice_where_the_environment_sets_both(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert tune_malloc(2) == {"arenas": False, "mmap_threshold": False}
