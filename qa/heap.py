"""Keep freed memory in the process heap while answering questions (glibc only; a no-op elsewhere).

Answering one question allocates and frees arrays of a few hundred KB to a
few MB (postings gathered, merged, scored). glibc returns such blocks to the
system at once (mmap'd blocks, or a trimmed heap top), so the next question
gets fresh pages and pays a page fault for each 4 KB of them: on a virtual
machine that doubled the slowest questions' time. With these settings the
heap keeps up to TRIM bytes of freed memory for reuse instead.
"""
from __future__ import annotations

import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
TRIM = 128 << 20  # freed memory at the heap's top returned to the system only beyond this
TOP_PAD = 32 << 20  # grow the heap by this much more than asked, so fewer calls grow it again
MMAP = 32 << 20  # blocks below this come from the heap (glibc's largest allowed threshold)
_tuned: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc for many same-sized temporary arrays, once a process; True if it is."""
    global _tuned
    if _tuned is None:
        _tuned = _mallopt()
    return _tuned


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return all(mallopt(option, value) == 1 for option, value in (
        (_M_TRIM_THRESHOLD, TRIM), (_M_TOP_PAD, TOP_PAD), (_M_MMAP_THRESHOLD, MMAP)))
