"""How a load uses memory: the one place that tunes allocators, called by the loads that need it.

A load holds large arrays for one phase and frees them for the next. Arrow's default allocator
(mimalloc or jemalloc) keeps freed memory for reuse, and glibc raises its mmap threshold after
the first large free, so a phase's transient peak would stay resident through the next one.
``lean()`` has Arrow allocate from the C allocator and the C allocator map every block over
128 KiB by itself, so that a freed array goes back to the system at once: a lower peak in the
same time (BENCHMARKS.md). Nothing changes at import time; ``lean()`` restores what it found.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from contextlib import contextmanager
from typing import Iterator

import pyarrow as pa

_M_MMAP_THRESHOLD, _M_TRIM_THRESHOLD = -3, -1  # glibc's malloc.h
_LEAN = 128 * 1024  # glibc's default for both


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only
    except OSError:
        return None


_LIBC = _libc()


def release() -> None:
    """Hand freed memory back to the system between the phases of a load. Arrow's allocator
    keeps freed pages for reuse, and so does the C allocator for numpy's arrays of a few MB;
    neither can reuse the other's, so without this a phase's peak stays resident through the next."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


@contextmanager
def lean() -> Iterator[None]:
    """Inside the ``with`` (a whole load): Arrow allocates from the C allocator, which maps
    every block over 128 KiB by itself. Process-wide while it lasts; the pool found is put back
    after. The cost is a page fault per page of each new large block, which ``reusing`` lifts
    for a phase that pays it."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    _thresholds(_LEAN, _LEAN)
    try:
        yield
    finally:
        release()
        pa.set_memory_pool(previous)


@contextmanager
def reusing(under: int = 4 << 20) -> Iterator[None]:
    """Inside ``lean()``, for one phase: the C allocator keeps freed blocks smaller than
    ``under`` bytes for reuse, and on leaving goes back to lean settings and hands every freed
    block back. For a phase that frees the sizes it allocates next, batch after batch (a snapshot
    load's read): under lean settings each batch's arrays are new mappings whose every page the
    kernel zeroes on first touch (BENCHMARKS.md)."""
    try:
        _thresholds(under, 4 * under)
        yield
    finally:
        _thresholds(_LEAN, _LEAN)
        release()


def _thresholds(mmap: int, trim: int) -> None:
    """Set glibc's mmap and trim thresholds (bytes); nothing elsewhere."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(_M_MMAP_THRESHOLD, mmap)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, trim)
