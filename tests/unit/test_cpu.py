"""cognate.cpu: work runs on the pool's threads, answers and errors come back, and GMP there
runs without the GIL, so a modular exponentiation does not stall the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import gmpy2
import pytest

from cognate import cpu
from cognate.auth import srp


def _thread_and_gil_release() -> tuple[str, bool]:
    return threading.current_thread().name, bool(gmpy2.get_context().allow_release_gil)


def _fail() -> None:
    raise ValueError("from the pool")


def test_runs_on_the_pool_with_gmp_releasing_the_gil() -> None:
    name, releases = asyncio.run(cpu.run(_thread_and_gil_release))
    assert name.startswith("cognate-cpu")
    assert releases
    assert not gmpy2.get_context().allow_release_gil  # this thread's context is untouched


def test_errors_reach_the_caller() -> None:
    with pytest.raises(ValueError, match="from the pool"):
        asyncio.run(cpu.run(_fail))


def test_the_event_loop_keeps_running_during_modexps() -> None:
    """Ticks of the loop while the pool computes SRP session keys: with the GIL held by GMP
    the loop would not tick at all until they were done."""
    big_a = srp.g_pow(3**100)
    small_b, big_b = srp.start(srp.g_pow(5**100))

    def keys() -> float:
        started = time.perf_counter()
        for _ in range(20):
            srp.session_key(big_a, big_b, small_b, 12345)
        return time.perf_counter() - started

    async def main() -> tuple[int, float]:
        ticks = 0
        task = asyncio.ensure_future(cpu.run(keys))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0)
        return ticks, await task

    ticks, seconds = asyncio.run(main())
    assert seconds > 0.005
    assert ticks > 100
