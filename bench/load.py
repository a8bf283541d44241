"""A load generator for any Cognito-compatible endpoint, over raw HTTP/1.1 with keep-alive.

Two engines, one result type (`Measurement`):

* `run_wrk` drives `wrk` (C, epoll) with a generated Lua script. The requests are either a
  table of precomputed raw HTTP requests, cycled, or one body template whose `{n}` becomes a
  number no other request of the run uses (SignUp needs a fresh username per request). wrk
  costs a small fraction of the CPU a Python client would, which matters when the load
  generator and the server share two cores.
* `run_flows` is an asyncio client for what wrk cannot express: flows whose second request
  depends on the first answer (SRP sign-in). Each client owns one keep-alive connection and
  speaks HTTP/1.1 directly on an asyncio stream, without an HTTP library.

Both record every answer's latency in a microsecond histogram, count non-200 answers by
status and `__type`, and read the server's CPU time from /proc/<pid>/stat around the phase.

As a command, it replays a file of request bodies (one JSON object per line) for one
operation: `python bench/load.py --url URL --pid PID --operation GetUser --bodies FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from admin_users import read_cpu_seconds, read_loadavg, read_machine_busy_seconds

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
WRK = os.environ.get("WRK", "/usr/bin/wrk")
_WRK_MARKER = "WRK-RESULT "


# --- requests -------------------------------------------------------------------------------


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc


def raw_request(
    url: str, operation: str, body: bytes, headers: Mapping[str, str] | None = None
) -> bytes:
    """One complete HTTP/1.1 POST for an AWS JSON 1.1 operation, ready to write to a socket.

    `headers` (for example SigV4's Authorization and X-Amz-Date) are added to the ones every
    request carries; a Host, Content-Length or X-Amz-Target among them replaces ours.
    """
    merged = {
        "Host": host_of(url),
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET_PREFIX + operation,
    }
    for name, value in (headers or {}).items():
        for existing in [key for key in merged if key.lower() == name.lower()]:
            del merged[existing]
        merged[name] = value
    merged = {name: value for name, value in merged.items() if name.lower() != "content-length"}
    merged["Content-Length"] = str(len(body))
    head = "POST / HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in merged.items())
    return head.encode("latin-1") + b"\r\n" + body


def json_request(
    url: str, operation: str, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> bytes:
    return raw_request(url, operation, json.dumps(payload).encode(), headers)


# --- results --------------------------------------------------------------------------------


def percentile_of(histogram: Mapping[int, float], fraction: float) -> float | None:
    """Nearest-rank percentile, in ms, of a histogram {latency in µs: count}."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = min(total, fraction * total)
    seen = 0.0
    for micros in sorted(histogram):
        seen += histogram[micros]
        if seen >= rank - 1e-9 and seen > 0:
            return micros / 1000
    return None


@dataclass
class Measurement:
    """What one or more phases of the same load on the same server observed.

    `requests` counts HTTP answers; `units` counts what `latency_us` timed (requests for wrk,
    whole flows for `run_flows`), and `ok` the units that succeeded.
    """

    engine: str
    concurrency: int
    requests: int = 0
    units: int = 0
    ok: int = 0
    # {latency in µs: answers}; weights are fractional when they come from wrk's percentiles
    latency_us: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_busy_s: float = 0.0
    phases: int = 0
    loadavg_after: list[float] = field(default_factory=list)

    def record_error(self, key: str, text: str) -> None:
        self.errors[key] += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(f"{key}: {text[:300]}")

    def merge(self, other: Measurement) -> None:
        """Add a later phase of the same load (rounds of an alternating benchmark)."""
        self.requests += other.requests
        self.units += other.units
        self.ok += other.ok
        self.latency_us.update(other.latency_us)
        self.errors.update(other.errors)
        self.error_samples.extend(other.error_samples[: max(0, 3 - len(self.error_samples))])
        self.elapsed_s += other.elapsed_s
        self.server_cpu_s += other.server_cpu_s
        self.client_cpu_s += other.client_cpu_s
        self.machine_busy_s += other.machine_busy_s
        self.phases += other.phases
        self.loadavg_after = other.loadavg_after

    def summary(self) -> dict[str, Any]:
        ok, cpu = self.ok, self.server_cpu_s

        def ms(fraction: float) -> float | None:
            value = percentile_of(self.latency_us, fraction)
            return None if value is None else round(value, 2)

        return {
            "engine": self.engine,
            "concurrency": self.concurrency,
            "phases": self.phases,
            "duration_s": round(self.elapsed_s, 2),
            "ok": ok,
            "http_requests": self.requests,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "error_samples": self.error_samples,
            "per_s": round(ok / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "latency_ms": {"p50": ms(0.50), "p90": ms(0.90), "p99": ms(0.99), "max": ms(1.0)},
            "server_cpu_s": round(cpu, 2),
            "server_cpu_ms_each": round(1000 * cpu / ok, 3) if ok else None,
            # Answers per second of server CPU: the "per core" figure of the targets.
            "per_server_cpu_s": round(ok / cpu, 1) if cpu > 0 else None,
            "client_cpu_s": round(self.client_cpu_s, 2),
            "client_cpu_ms_each": round(1000 * self.client_cpu_s / ok, 3) if ok else None,
            "machine_busy_cpu_s": round(self.machine_busy_s, 2),
            "machine_cpu_capacity_s": round(self.elapsed_s * (os.cpu_count() or 1), 2),
            "loadavg_after": self.loadavg_after,
        }


class _Meter:
    """CPU counters of the server, this process, its children and the machine, around a phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.server = read_cpu_seconds(server_pid)
        self.client = self._client_cpu()
        self.machine = read_machine_busy_seconds()
        self.started = time.perf_counter()

    @staticmethod
    def _client_cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def finish(self, measurement: Measurement, elapsed_s: float | None = None) -> Measurement:
        measurement.elapsed_s = elapsed_s or time.perf_counter() - self.started
        measurement.server_cpu_s = read_cpu_seconds(self.server_pid) - self.server
        measurement.client_cpu_s = self._client_cpu() - self.client
        measurement.machine_busy_s = read_machine_busy_seconds() - self.machine
        measurement.phases = 1
        measurement.loadavg_after = read_loadavg()
        return measurement


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """Requests whose body differs only by a unique token: `{n}` in `body` is replaced.

    The token is "<run>-<number>", unique within the wrk run and apart from the warmup run's;
    put something unique per phase around `{n}` too (SignUp usernames must never repeat).
    """

    operation: str
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


def _lua_string(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


_LUA_COMMON = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  nthreads = tonumber(args[1])
  run_tag = args[2] or "0"
  position = tid
  counter = 0
  errors = {}
  samples = {}
end
function response(status, headers, body)
  if status ~= 200 then
    local kind = string.match(body or "", '"__type"%s*:%s*"([^"]*)"') or "?"
    kind = string.match(kind, "#(.*)$") or kind
    local key = tostring(status) .. " " .. kind
    errors[key] = (errors[key] or 0) + 1
    if #samples < 3 then table.insert(samples, key .. ": " .. string.sub(body or "", 1, 300)) end
  end
end
local function quote(s)
  local escaped = string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. escaped .. '"'
end
function done(summary, latency, requests)
  -- wrk exposes its histogram only through percentile(); sample it densely enough that
  -- phases can be merged: every 0.5 % up to 98.5 %, then every 0.1 % to the maximum.
  local parts = {}
  local points = {}
  for i = 1, 197 do table.insert(points, i * 0.5) end
  for i = 990, 1000 do table.insert(points, i / 10) end
  for _, p in ipairs(points) do
    table.insert(parts, string.format("[%.1f,%d]", p, latency:percentile(p)))
  end
  local errs, samp = {}, {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("errors")) do errs[key] = (errs[key] or 0) + count end
    for _, sample in ipairs(thread:get("samples")) do table.insert(samp, quote(sample)) end
  end
  local errlist = {}
  for key, count in pairs(errs) do table.insert(errlist, quote(key) .. ":" .. count) end
  local e = summary.errors
  io.write("WRK-RESULT {",
    '"requests":', summary.requests, ",",
    '"duration_us":', summary.duration, ",",
    '"socket_errors":{"connect":', e.connect, ',"read":', e.read, ',"write":', e.write,
    ',"timeout":', e.timeout, "},",
    '"status_errors":{', table.concat(errlist, ","), "},",
    '"samples":[', table.concat(samp, ","), "],",
    '"latency":[', table.concat(parts, ","), "]}\n")
end
"""

_LUA_TABLE = r"""
function request()
  position = position % #requests + 1
  return requests[position]
end
"""

_LUA_TEMPLATE = r"""
function request()
  counter = counter + 1
  local n = run_tag .. "-" .. tostring(counter * nthreads + tid)
  return wrk.format("POST", "/", template_headers, template_before .. n .. template_after)
end
"""


def wrk_script(requests: Sequence[bytes] | Template, url: str) -> str:
    """The Lua that makes wrk send `requests` (raw requests, cycled) or the template's."""
    if isinstance(requests, Template):
        before, marker, after = requests.body.partition("{n}")
        if not marker:
            raise ValueError("a Template body needs a {n}")
        headers = {
            "Host": host_of(url),
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET_PREFIX + requests.operation,
            **requests.headers,
        }
        table = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        lines = [
            f"template_headers = {{{table}}}",
            f"template_before = {_lua_string(before)}",
            f"template_after = {_lua_string(after)}",
            _LUA_TEMPLATE,
        ]
    else:
        if not requests:
            raise ValueError("no requests to send")
        lines = ["requests = {", *(f"  {_lua_string(item)}," for item in requests), "}"]
        lines.append(_LUA_TABLE)
    return "\n".join([*lines, _LUA_COMMON])


def run_wrk(
    url: str,
    requests: Sequence[bytes] | Template,
    *,
    server_pid: int,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
    threads: int = 1,
    timeout_s: int = 10,
) -> Measurement:
    """Send `requests` with `concurrency` keep-alive connections for `duration` seconds.

    With `warmup`, the same load runs unmeasured first (its own wrk run). Each of the wrk
    `threads` starts at a different offset of the request table.
    """
    with tempfile.TemporaryDirectory(prefix="cognate-wrk-") as scratch:
        script = Path(scratch) / "load.lua"
        script.write_text(wrk_script(requests, url))
        if warmup > 0:
            _wrk(url, script, concurrency, threads, warmup, timeout_s, "warmup")
        meter = _Meter(server_pid)
        output = _wrk(url, script, concurrency, threads, duration, timeout_s, "measured")
    result = _parse_wrk(output, concurrency)
    return meter.finish(result, elapsed_s=output["duration_us"] / 1e6)


def _wrk(
    url: str,
    script: Path,
    concurrency: int,
    threads: int,
    seconds: float,
    timeout_s: int,
    run_tag: str,
) -> dict[str, Any]:
    """One wrk run; `run_tag` keeps a Template's numbers apart from other runs' numbers."""
    threads = max(1, min(threads, concurrency))
    command = [WRK, "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s"]
    command += ["--timeout", f"{timeout_s}s", "-s", str(script), f"{url}/"]
    command += ["--", str(threads), run_tag]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(_WRK_MARKER):
            parsed: dict[str, Any] = json.loads(line[len(_WRK_MARKER) :])
            return parsed
    raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:] or done.stdout}")


def _parse_wrk(output: Mapping[str, Any], concurrency: int) -> Measurement:
    result = Measurement(engine="wrk", concurrency=concurrency)
    result.requests = result.units = int(output["requests"])
    previous = 0.0
    for point, micros in output["latency"]:
        # Each sampled percentile stands for the answers between it and the previous one.
        result.latency_us[int(micros)] += result.requests * (point - previous) / 100
        previous = point
    failed = 0
    for key, count in output["status_errors"].items():
        result.errors[key] += int(count)
        failed += int(count)
    for kind, count in output["socket_errors"].items():
        if count:
            result.errors[f"socket {kind}"] += int(count)
    result.error_samples = list(output["samples"])[:3]
    result.ok = result.requests - failed
    return result


# --- the asyncio engine ---------------------------------------------------------------------


class FlowError(Exception):
    """A flow step got an answer it cannot go on from; `key` is how it is counted."""

    def __init__(self, key: str, text: str) -> None:
        super().__init__(f"{key}: {text}")
        self.key = key
        self.text = text


class Connection:
    """One keep-alive HTTP/1.1 connection; answers must carry a Content-Length."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.requests = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Write one raw request and read its answer: (status, body)."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        closing = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                closing = True
        body = await self._reader.readexactly(length) if length else b""
        self.requests += 1
        if closing:
            await self.close()
        return status, body

    async def call(self, request: bytes) -> dict[str, Any]:
        """Send a JSON request; the parsed answer, or FlowError for anything but 200."""
        status, body = await self.send(request)
        if status != 200:
            kind = "?"
            with contextlib.suppress(ValueError, AttributeError):
                kind = str(json.loads(body).get("__type", "?")).rsplit("#", 1)[-1]
            raise FlowError(f"{status} {kind}", body.decode(errors="replace"))
        answer: dict[str, Any] = json.loads(body)
        return answer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


# One flow: given a connection and a sequence number, do one unit of work (any number of
# requests); raise FlowError when the endpoint refuses it.
Flow = Callable[[Connection, int], Awaitable[None]]


async def _flow_client(
    url: str, flow: Flow, numbers: Any, deadline: float, result: Measurement | None
) -> int:
    connection = Connection(url)
    try:
        while time.perf_counter() < deadline:
            number = next(numbers)
            started = time.perf_counter()
            try:
                await flow(connection, number)
            except FlowError as exc:
                if result is not None:
                    result.units += 1
                    result.record_error(exc.key, exc.text)
                continue
            except (OSError, asyncio.IncompleteReadError) as exc:
                await connection.close()
                if result is not None:
                    result.units += 1
                    result.record_error(type(exc).__name__, str(exc))
                continue
            if result is not None:
                result.units += 1
                result.ok += 1
                result.latency_us[round((time.perf_counter() - started) * 1e6)] += 1
        return connection.requests
    finally:
        await connection.close()


async def run_flows(
    url: str,
    flow: Flow,
    *,
    server_pid: int,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
) -> Measurement:
    """Run `flow` back to back on `concurrency` connections for `duration` seconds.

    Latency is that of a whole flow; `client_cpu_s` is this process's CPU (the flow's own
    client-side work included).
    """
    counter = iter(range(sys.maxsize))
    if warmup > 0:
        until = time.perf_counter() + warmup
        await asyncio.gather(
            *(_flow_client(url, flow, counter, until, None) for _ in range(concurrency))
        )
    result = Measurement(engine="python-asyncio", concurrency=concurrency)
    meter = _Meter(server_pid)
    deadline = time.perf_counter() + duration
    sent = await asyncio.gather(
        *(_flow_client(url, flow, counter, deadline, result) for _ in range(concurrency))
    )
    result.requests = sum(sent)
    return meter.finish(result)


# --- command line ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="endpoint, e.g. http://127.0.0.1:9229")
    parser.add_argument("--pid", type=int, required=True, help="server process to meter")
    parser.add_argument("--operation", required=True, help="AWS operation, e.g. GetUser")
    parser.add_argument("--bodies", type=Path, required=True, help="one JSON body per line")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args(argv)
    bodies = [line.strip() for line in args.bodies.read_text().splitlines() if line.strip()]
    random.shuffle(bodies)
    requests = [raw_request(args.url, args.operation, body.encode()) for body in bodies]
    measured = run_wrk(
        args.url,
        requests,
        server_pid=args.pid,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        threads=args.threads,
    )
    print(json.dumps({"operation": args.operation, **measured.summary()}, indent=2))


if __name__ == "__main__":
    main()
