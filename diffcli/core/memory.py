"""glibc's malloc told to keep freed memory for reuse, for batched code on numpy arrays.

A gradient compiled for arrays allocates one array per line and frees them all when it returns; glibc's
defaults hand that memory back to the system and fault it in again, zero-filled, on the next call
(:func:`keep_freed_memory` says how much that cost).  Called once by :mod:`diffcli.core.codegen`.
"""

from __future__ import annotations

import functools
import sys

MALLOC_KEEP_BYTES = 256 << 20
"""Freed heap memory the process keeps for reuse instead of returning it to the system (see
:func:`keep_freed_memory`)."""

MALLOC_HEAP_ARRAYS_BYTES = 32 << 20
"""Arrays up to this size come from the heap, not from a fresh ``mmap`` each (glibc's largest setting)."""


@functools.cache
def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory for reuse; True if it took the settings.

    A batched gradient allocates one numpy array per line and frees them all when it returns.  By default
    glibc returns the freed top of the heap to the system (above 128 kB) and serves each array above 128 kB
    by its own ``mmap``, so the next call faults every page in again, zero-filled by the kernel: at 10,000
    points that was 60% of the gradient's time (``benchmarks/gradient_cost.py``, sum family, D = 10 and 100).
    Called once, when code for numpy arrays is first compiled.  The cost is that the process keeps up to
    :data:`MALLOC_KEEP_BYTES` of freed memory.  Elsewhere than glibc it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl has no libc.so.6)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    return bool(mallopt(m_trim_threshold, MALLOC_KEEP_BYTES)) and bool(mallopt(m_mmap_threshold,
                                                                                MALLOC_HEAP_ARRAYS_BYTES))
