"""The child side of the trigger worker processes: load `NAME.py`, call its handler, answer.

Imports only the standard library, so a fresh worker starts fast and a user's handler sees a
clean interpreter, as in a Lambda sandbox. The functions directory is on `sys.path` (Lambda's
task root is), so handlers may import sibling modules. A module is loaded again when its
file's modification time changes: edits take effect on the next call without a restart.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

# A message from the parent: function name, handler context fields, JSON event.
Call = dict[str, Any]
# The answer: ("ok", JSON text) | ("error", message) | ("malformed" | "failed", reason).
Answer = tuple[str, str]
# Sent once by a fresh worker when it is ready for calls.
READY = "ready"


@dataclass(frozen=True, slots=True)
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers use."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the caller abandons this invocation (never negative)."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class _Modules:
    """Loaded handler modules by path, reloaded when the file's mtime changes."""

    def __init__(self) -> None:
        self._loaded: dict[Path, tuple[int, ModuleType]] = {}

    def load(self, path: Path) -> ModuleType:
        mtime = path.stat().st_mtime_ns
        cached = self._loaded.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        spec = importlib.util.spec_from_file_location(f"cognate_function_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self._loaded[path] = (mtime, module)
        return module


def _handler(module: ModuleType) -> Callable[[Any, Any], Any] | None:
    for name in ("handler", "lambda_handler"):
        candidate = getattr(module, name, None)
        if callable(candidate):
            return candidate  # type: ignore[no-any-return]  # a user's function: untyped
    return None


def run_call(modules: _Modules, functions_dir: Path, call: Call) -> Answer:
    """Run one call; every outcome, even a broken module, becomes an answer."""
    path = functions_dir / f"{call['function_name']}.py"
    if not path.is_file():
        return "failed", "ResourceNotFoundException"
    try:
        handler = _handler(modules.load(path))
    # User code: whatever its import raises is the function's error, as Lambda reports it.
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"
    if handler is None:
        return "failed", "Runtime.HandlerNotFound"
    context = LambdaContext(
        function_name=call["function_name"],
        function_version="$LATEST",
        invoked_function_arn=call["arn"],
        memory_limit_in_mb=128,
        aws_request_id=call["request_id"],
        log_group_name=f"/aws/lambda/{call['function_name']}",
        log_stream_name=call["log_stream_name"],
        deadline=time.monotonic() + call["remaining_ms"] / 1000,
    )
    try:
        result = handler(json.loads(call["event"]), context)
    # User code: any exception is the function's error, as Lambda reports it.
    except Exception as exc:
        return "error", str(exc)
    try:
        return "ok", json.dumps(result)
    except (TypeError, ValueError):
        return "malformed", "Runtime.MarshalError"


def serve(connection: Connection, functions_dir: str) -> None:
    """Answer calls from `connection` one at a time until the parent goes away."""
    root = Path(functions_dir)
    sys.path.insert(0, str(root))
    modules = _Modules()
    connection.send(READY)
    while True:
        try:
            call = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(run_call(modules, root, call))
