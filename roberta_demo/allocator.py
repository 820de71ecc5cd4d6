"""The C allocator under a server that runs all term.

glibc's malloc gives each thread that contends for memory an arena of its own (up to eight per core), keeps freed
memory in them for reuse, and raises the size above which it maps blocks straight from the system each time a large
block is freed. A Gradio server runs model calls on a pool of up to 40 threads, with tensors whose shapes change
with every text, so freed blocks rarely fit the next request and resident memory creeps up for a long time (measured
in the README's Reliability section). The usual remedies are what `MALLOC_ARENA_MAX=2` and a fixed
`MALLOC_MMAP_THRESHOLD_` do; `mallopt` sets both from inside the process, before the request threads start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

__all__ = ["MMAP_THRESHOLD", "tune_malloc"]

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's malloc.h
# glibc's starting threshold, kept fixed: tensors of 128 kB and more are mapped, and returned to the system when freed.
MMAP_THRESHOLD = 128 * 1024


def tune_malloc(arenas: int, mmap_threshold: int = MMAP_THRESHOLD) -> dict[str, bool]:
    """Let glibc's malloc use at most `arenas` arenas and map blocks of `mmap_threshold` bytes and more; for each,
    whether it was set (not where the allocator is not glibc, nor where `MALLOC_ARENA_MAX` or
    `MALLOC_MMAP_THRESHOLD_` is set: the environment then decides)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # macOS, Windows, musl: other allocators, nothing to set
        return {"arenas": False, "mmap_threshold": False}
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = {
        "arenas": not os.environ.get("MALLOC_ARENA_MAX") and mallopt(M_ARENA_MAX, arenas) == 1,
        "mmap_threshold": not os.environ.get("MALLOC_MMAP_THRESHOLD_")
        and mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1,
    }
    if any(done.values()):
        log.info("malloc: at most %d arenas, blocks of %d kB and more mapped", arenas, mmap_threshold // 1024)
    return done
