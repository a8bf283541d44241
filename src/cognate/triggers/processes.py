"""ProcessRunner: users' handler files run in warm worker processes, one call at a time each.

Why processes, and why not ProcessPoolExecutor: the code is the user's, so a crash
(`os._exit`, a segfault) or a hang must not touch the server, and a hung call must be
abandoned after Cognito's 5 seconds. An executor cannot stop one hung task; here each worker
is a `spawn`ed process with its own pipe, so the one that hangs is killed and replaced while
the others keep serving. The blocking pipe I/O runs in a thread (anyio.to_thread), never on the
event loop. Workers start on first use and stay warm; worker.py reloads an edited file.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import anyio
import orjson

from cognate.triggers import worker
from cognate.triggers.functions import (
    TIMEOUT_REASON,
    TIMEOUT_SECONDS,
    Function,
    Outcome,
    OutcomeKind,
)

DEFAULT_WORKERS = 4
# A cold worker (a fresh interpreter) may take longer to start than the call may run.
_START_SECONDS = 30.0
_context = multiprocessing.get_context("spawn")
# Lambda's error type when the runtime process exits in the middle of an invocation.
_CRASH_REASON = "Runtime.ExitError"


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, functions_dir: Path) -> None:
        self.connection, child = _context.Pipe()
        self.process: BaseProcess = _context.Process(
            target=worker.serve, args=(child, str(functions_dir)), daemon=True
        )
        self.process.start()
        child.close()
        self.log_stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"

    def wait_ready(self) -> bool:
        """Whether the fresh worker started (it says so once its imports are done)."""
        try:
            return self.connection.poll(_START_SECONDS) and self.connection.recv() == worker.READY
        except (EOFError, OSError):
            return False

    def call(self, message: worker.Call, timeout: float) -> worker.Answer:
        """The worker's answer; ("failed", reason) if it died or did not answer in `timeout`."""
        try:
            self.connection.send(message)
            if not self.connection.poll(timeout):
                return "failed", TIMEOUT_REASON
            answer: worker.Answer = self.connection.recv()
        except (EOFError, OSError):
            return "failed", _CRASH_REASON
        return answer

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=_START_SECONDS)


class ProcessRunner:
    """Up to `workers` processes running `{functions_dir}/NAME.py` handlers."""

    def __init__(
        self,
        functions_dir: Path,
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self._functions_dir = functions_dir.resolve()
        self._timeout = timeout_seconds
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(workers)
        self._is_closed = False

    async def run(self, function: Function, event: Mapping[str, Any]) -> Outcome:
        """Invoke the function's handler with `event` (FunctionRunner)."""
        message: worker.Call = {
            "function_name": function.name,
            "arn": function.arn,
            "request_id": str(uuid.uuid4()),
            "remaining_ms": int(self._timeout * 1000),
            "event": orjson.dumps(event).decode(),
        }
        return await anyio.to_thread.run_sync(self._call, message, abandon_on_cancel=True)

    def _call(self, message: worker.Call) -> Outcome:
        # Waiting for a free worker counts against the limit, as Lambda's throttling would.
        if not self._slots.acquire(timeout=self._timeout):
            return Outcome(kind=OutcomeKind.FAILED, message="TooManyRequestsException")
        try:
            process = self._take()
            if process is None:
                return Outcome(kind=OutcomeKind.FAILED, message=_CRASH_REASON)
            message["log_stream_name"] = process.log_stream
            answer = process.call(message, self._timeout)
            if answer in (("failed", TIMEOUT_REASON), ("failed", _CRASH_REASON)):
                # Dead, or hung: killing a hung worker frees its slot for good.
                process.stop()
            else:
                self._give_back(process)
        finally:
            self._slots.release()
        return _outcome(answer)

    def _take(self) -> _Worker | None:
        """An idle worker, else a fresh one once started (its start is not the handler's time)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        started = _Worker(self._functions_dir)
        if not started.wait_ready():
            started.stop()
            return None
        return started

    def _give_back(self, process: _Worker) -> None:
        with self._lock:
            if not self._is_closed:
                self._idle.append(process)
                return
        process.stop()

    async def aclose(self) -> None:
        """Stop every idle worker; busy ones stop when their call returns."""
        with self._lock:
            self._is_closed = True
            idle, self._idle = self._idle, []
        for process in idle:
            await anyio.to_thread.run_sync(process.stop)


def _outcome(answer: worker.Answer) -> Outcome:
    kind, payload = answer
    if kind == "ok":
        return Outcome(kind=OutcomeKind.OK, value=orjson.loads(payload))
    return Outcome(kind=OutcomeKind(kind), message=payload)
