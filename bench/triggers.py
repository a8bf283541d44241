"""Benchmark the cost of a warm Lambda trigger on sign-in: a no-op PreTokenGeneration.

Starts `cognate serve --functions-dir DIR` (a fresh SQLite file, or a fresh PostgreSQL
database) with `DIR/noop.py` holding `def handler(event, context): return event`, and
prepares two otherwise identical pools of `--users` confirmed users: `bench-plain` without
triggers and `bench-trigger` whose LambdaConfig sends PreTokenGeneration to `noop`. Then it
runs InitiateAuth USER_PASSWORD_AUTH with wrk against each pool in turn, alternating which
goes first, for `--rounds` rounds, at `--concurrency` connections (throughput) and at one
connection (latency without queueing), and prints one JSON object: per pool the figures of
bench/load.py plus the CPU of the trigger worker processes, and the overhead per invocation
(trigger minus plain: p50 latency, server CPU, server plus worker CPU) against the issue's
target (under 3 ms p50). Run `python bench/triggers.py --help`; bench/README.md explains it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from admin_users import (
    Server,
    free_port,
    idp_client,
    read_cpu_seconds,
    read_loadavg,
    report_and_exit,
    run_single_server,
    sign,
)
from load import Connection, FlowError, Measurement, json_request, raw_request, run_wrk
from sign_in import AUTH_FLOWS, PASSWORD, _each

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
NOOP = "def handler(event, context):\n    return event\n"
OVERHEAD_P50_MS_MAX = 3.0  # issue 6


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=500, help="confirmed users per pool")
    parser.add_argument("--concurrency", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=2, help="phases per pool and load")
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where the bench creates (and afterwards drops) its own database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    return parser.parse_args(argv)


def start_with_functions(data_dir: Path, database_url: str | None, functions: Path) -> Server:
    """admin_users.start_server's command, plus --functions-dir."""
    port = free_port()
    command = [sys.executable, "-m", "cognate", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    command += ["--functions-dir", str(functions)]
    if database_url:
        command += ["--database-url", database_url]
        store_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    else:
        store_url = f"sqlite+aiosqlite:///{data_dir / 'cognate.db'}"
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    return Server(process, f"http://127.0.0.1:{port}", data_dir, store_url, log_path)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (the trigger workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def workers_cpu_seconds(pid: int) -> float:
    return sum(read_cpu_seconds(child) for child in descendants(pid))


async def prepare_pool(server: Server, name: str, users: int, lambdas: dict[str, str]) -> Any:
    client = idp_client(server)
    options: dict[str, Any] = {"LambdaConfig": lambdas} if lambdas else {}
    pool_id = client.create_user_pool(PoolName=name, **options)["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName=f"{name}-app", ExplicitAuthFlows=AUTH_FLOWS
    )["UserPoolClient"]["ClientId"]
    names = [f"user{n}" for n in range(users)]
    url = server.url
    for operation, extra in (
        ("AdminCreateUser", {"TemporaryPassword": PASSWORD, "MessageAction": "SUPPRESS"}),
        ("AdminSetUserPassword", {"Password": PASSWORD, "Permanent": True}),
    ):
        requests = [
            raw_request(
                url,
                operation,
                *sign(url, operation, {"UserPoolId": pool_id, "Username": user, **extra}),
            )
            for user in names
        ]
        await _each(url, requests, 8)
    sign_ins = [
        json_request(
            url,
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": user, "PASSWORD": PASSWORD},
            },
        )
        for user in names
    ]
    random.shuffle(sign_ins)
    return {"pool_id": pool_id, "client_id": client_id, "requests": sign_ins}


async def probe(url: str, request: bytes) -> None:
    connection = Connection(url)
    try:
        answer = await connection.call(request)
    finally:
        await connection.close()
    if "AuthenticationResult" not in answer:
        raise FlowError("no tokens", str(answer)[:300])


def phase(
    server: Server, requests: list[bytes], concurrency: int, args: Any
) -> tuple[Measurement, float]:
    """One wrk phase, and the CPU the trigger workers used meanwhile."""
    pid = server.process.pid
    before = workers_cpu_seconds(pid)
    measured = run_wrk(
        server.url,
        requests,
        server_pid=pid,
        concurrency=concurrency,
        duration=args.duration,
        warmup=args.warmup,
    )
    return measured, workers_cpu_seconds(pid) - before


def summarise(measured: Measurement, workers_cpu_s: float) -> dict[str, Any]:
    summary = measured.summary()
    ok = summary["ok"]
    summary["workers_cpu_s"] = round(workers_cpu_s, 2)
    summary["workers_cpu_ms_each"] = round(1000 * workers_cpu_s / ok, 3) if ok else None
    total = measured.server_cpu_s + workers_cpu_s
    summary["server_and_workers_cpu_ms_each"] = round(1000 * total / ok, 3) if ok else None
    return summary


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 3)


async def measure(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    started = time.perf_counter()
    pools = {
        "plain": await prepare_pool(server, "bench-plain", args.users, {}),
        "trigger": await prepare_pool(
            server, "bench-trigger", args.users, {"PreTokenGeneration": ARN + "noop"}
        ),
    }
    for pool in pools.values():
        await probe(server.url, pool["requests"][0])
    report: dict[str, Any] = {
        "prepare_s": round(time.perf_counter() - started, 1),
        "trigger_worker_processes": len(descendants(server.process.pid)),
    }
    loads = {"throughput": args.concurrency, "latency": 1}
    for load, concurrency in loads.items():
        results: dict[str, Measurement] = {}
        workers: dict[str, float] = {"plain": 0.0, "trigger": 0.0}
        for round_number in range(args.rounds):
            order = ["plain", "trigger"] if round_number % 2 == 0 else ["trigger", "plain"]
            for name in order:
                measured, workers_cpu_s = await asyncio.to_thread(
                    phase, server, pools[name]["requests"], concurrency, args
                )
                workers[name] += workers_cpu_s
                if name in results:
                    results[name].merge(measured)
                else:
                    results[name] = measured
        entry = {name: summarise(results[name], workers[name]) for name in ("plain", "trigger")}
        plain, trigger = entry["plain"], entry["trigger"]
        overhead = {
            "p50_ms": _diff(trigger["latency_ms"]["p50"], plain["latency_ms"]["p50"]),
            "p99_ms": _diff(trigger["latency_ms"]["p99"], plain["latency_ms"]["p99"]),
            "server_cpu_ms": _diff(trigger["server_cpu_ms_each"], plain["server_cpu_ms_each"]),
            "server_and_workers_cpu_ms": _diff(
                trigger["server_and_workers_cpu_ms_each"], plain["server_and_workers_cpu_ms_each"]
            ),
            "throughput_ratio": round(trigger["per_s"] / plain["per_s"], 3)
            if plain["per_s"]
            else None,
        }
        entry["overhead_per_invocation"] = overhead
        if load == "latency":
            p50 = overhead["p50_ms"]
            entry["targets"] = {
                "overhead_p50_ms": {
                    "max": OVERHEAD_P50_MS_MAX,
                    "measured": p50,
                    "met": p50 is not None and p50 < OVERHEAD_P50_MS_MAX,
                }
            }
        report[load] = entry
    return report


async def run(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="cognate-bench-"))
    functions = data_dir / "functions"
    functions.mkdir()
    (functions / "noop.py").write_text(NOOP)
    header: dict[str, Any] = {
        "database": args.database,
        "users_per_pool": args.users,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_phase": args.duration,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": read_loadavg(),
    }
    return await run_single_server(
        args,
        header,
        data_dir,
        lambda server: measure(args, server),
        start=lambda path, url: start_with_functions(path, url, functions),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report_and_exit(lambda: run(args))


if __name__ == "__main__":
    main()
