"""CPU-heavy work off the event loop: RSA signatures and SRP's variable-base modular
exponentiations.

A small pool of its own, one thread per core beside the event loop's: the work releases the
GIL (OpenSSL always; GMP because each pool thread lets gmpy2 release it, `_release_gil`), so
more threads than cores would only add switching. Handing work to anyio's general pool
(up to 40 threads, meant for blocking I/O) cost about a tenth more CPU per sign-in under load
(bench/sign_in.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

try:
    import gmpy2
except ImportError:  # auth/srp.py falls back to Python's pow, which holds the GIL
    gmpy2 = None

P = ParamSpec("P")
T = TypeVar("T")


def _release_gil() -> None:
    """Let this thread's GMP arithmetic run without the GIL. gmpy2 keeps one context per
    thread, so only pool threads change: the event loop's thread keeps the GIL for its short
    fixed-base g_pow, where releasing it would cost more than it frees."""
    if gmpy2 is not None:
        gmpy2.get_context().allow_release_gil = True


_POOL = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) - 1),
    thread_name_prefix="cognate-cpu",
    initializer=_release_gil,
)


async def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` in the CPU pool, awaited without blocking the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(function, *args, **kwargs))
