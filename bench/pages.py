"""Benchmark the hosted UI's sign-in page: its render and its POST, with server CPU.

Starts `cognate serve` (a fresh SQLite file, or a fresh PostgreSQL database), prepares the pool,
code-flow client and users of oauth_token.py (the same `prepare`), then with `--concurrency`
asyncio clients, each a browser with its own keep-alive connection and cookie jar:

* login_page   GET /oauth2/authorize (302 to /login, no SSO cookie) then GET /login (200, the
               rendered form): one unit is the pair, as a browser's first visit
* login_post   POST /login with the form's CSRF token, username and password, up to the 303
               to the redirect_uri with a code (the password check, the code stored; the
               pool has no triggers); each client signs in as its own user

and prints one JSON object: per phase p50/p99 latency as the client sees it, server CPU per
unit and units per server-CPU second. Run `python bench/pages.py --help`; bench/README.md
explains it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from admin_users import (
    PhaseResult,
    Server,
    percentile,
    read_cpu_seconds,
    read_loadavg,
    read_machine_busy_seconds,
    report_and_exit,
    run_single_server,
)
from oauth_token import API, CALLBACK, PASSWORD, FormParser, page_error, prepare

Unit = Callable[[httpx.AsyncClient, PhaseResult], Awaitable[None]]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent browsers")
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where the bench creates (and afterwards drops) its own database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    return parser.parse_args(argv)


def authorize_path(client_id: str) -> str:
    query = urlencode({"response_type": "code", "client_id": client_id,
                       "redirect_uri": CALLBACK, "scope": f"openid email {API}/read"})  # fmt: skip
    return f"/oauth2/authorize?{query}"


def _timed(result: PhaseResult, answer: httpx.Response, status: int, started: float) -> bool:
    """Record an answer: its latency when it has `status`, else an error; whether it had."""
    if answer.status_code != status:
        result.record_error(str(answer.status_code), page_error(answer.text))
        return False
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    return True


def login_page_unit(client_id: str, render_ms: list[float]) -> Unit:
    """authorize -> /login: the pair's latency in the result, the render's in `render_ms`."""

    async def unit(http: httpx.AsyncClient, result: PhaseResult) -> None:
        started = time.perf_counter()
        first = await http.get(authorize_path(client_id))
        if first.status_code != 302:
            result.record_error(f"authorize {first.status_code}", first.text)
            return
        rendering = time.perf_counter()
        if _timed(result, await http.get(first.headers["location"]), 200, started):
            render_ms.append((time.perf_counter() - rendering) * 1000)

    return unit


async def login_form(http: httpx.AsyncClient, client_id: str) -> tuple[str, dict[str, str]]:
    """The sign-in form of a fresh authorize request in this browser: action and fields."""
    first = await http.get(authorize_path(client_id))
    page = await http.get(first.headers["location"])
    parser = FormParser()
    parser.feed(page.text)
    if page.status_code != 200 or parser.action is None:
        raise RuntimeError(f"login page: {page.status_code} {page.text[:300]}")
    return parser.action, parser.fields


def login_post_unit(action: str, fields: dict[str, str]) -> Unit:
    """POST the (reusable: sealed request, CSRF token of this browser) form; 303 with a code."""

    async def unit(http: httpx.AsyncClient, result: PhaseResult) -> None:
        started = time.perf_counter()
        answer = await http.post(action, data=fields)
        if _timed(result, answer, 303, started) and "code=" not in answer.headers["location"]:
            result.record_error("no code", answer.headers["location"])

    return unit


async def run_phase(
    server: Server,
    browsers: Sequence[tuple[httpx.AsyncClient, Unit]],
    *,
    duration: float,
    warmup: float,
) -> PhaseResult:
    """Each browser repeats its unit for `warmup` (unmeasured) then `duration` seconds."""

    async def loop(http: httpx.AsyncClient, unit: Unit, until: float, into: PhaseResult) -> None:
        while time.perf_counter() < until:
            try:
                await unit(http, into)
            except httpx.HTTPError as exc:
                into.record_error(type(exc).__name__, str(exc))

    until = time.perf_counter() + warmup
    await asyncio.gather(*(loop(http, unit, until, PhaseResult()) for http, unit in browsers))
    result, pid = PhaseResult(), server.process.pid
    server_cpu, client_cpu = read_cpu_seconds(pid), time.process_time()
    machine_busy = read_machine_busy_seconds()
    started = time.perf_counter()
    until = started + duration
    await asyncio.gather(*(loop(http, unit, until, result) for http, unit in browsers))
    result.elapsed_s = time.perf_counter() - started
    result.server_cpu_s = read_cpu_seconds(pid) - server_cpu
    result.client_cpu_s = time.process_time() - client_cpu
    result.machine_busy_s = read_machine_busy_seconds() - machine_busy
    return result


def _summary(result: PhaseResult, concurrency: int) -> dict[str, Any]:
    summary = result.summary(concurrency)
    ok, cpu = summary["ok"], result.server_cpu_s
    summary["per_server_cpu_s"] = round(ok / cpu, 1) if cpu else None
    return summary


async def measure(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    started = time.perf_counter()
    ids = await asyncio.to_thread(prepare, server, args.concurrency)
    report: dict[str, Any] = {"prepare_s": round(time.perf_counter() - started, 1)}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    def browser() -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30.0,
                                 trust_env=False)  # fmt: skip

    render_ms: list[float] = []
    viewers = [browser() for _ in range(args.concurrency)]
    signers = [browser() for _ in range(args.concurrency)]
    try:
        page_unit = login_page_unit(ids["web_id"], render_ms)
        pages = await run_phase(server, [(http, page_unit) for http in viewers],
                                duration=args.duration, warmup=args.warmup)  # fmt: skip
        # Render latencies of the warmup are in `render_ms` too: keep the measured tail.
        render = sorted(render_ms[-len(pages.latencies_ms) :]) if pages.latencies_ms else []
        report["login_page"] = {
            **_summary(pages, args.concurrency),
            "login_render_ms": {"p50": round(percentile(render, 0.50), 2),
                                "p99": round(percentile(render, 0.99), 2)},
        }  # fmt: skip
        posting: list[tuple[httpx.AsyncClient, Unit]] = []
        for number, http in enumerate(signers):
            action, fields = await login_form(http, ids["web_id"])
            fields.update(username=f"user{number}", password=PASSWORD)
            posting.append((http, login_post_unit(action, fields)))
        posts = await run_phase(server, posting, duration=args.duration, warmup=args.warmup)
        report["login_post"] = _summary(posts, args.concurrency)
    finally:
        await asyncio.gather(*(http.aclose() for http in viewers + signers))
    return report


async def run(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="cognate-bench-"))
    header: dict[str, Any] = {
        "database": args.database,
        "concurrency": args.concurrency,
        "seconds_per_phase": args.duration,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": read_loadavg(),
    }
    return await run_single_server(args, header, data_dir, lambda server: measure(args, server))


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report_and_exit(lambda: run(args))


if __name__ == "__main__":
    main()
