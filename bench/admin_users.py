"""Benchmark the admin user operations at scale and print one JSON object.

Starts `cognate serve` as a subprocess on a fresh SQLite file or a fresh PostgreSQL database,
creates one user pool, and measures:

* AdminCreateUser throughput over `--create-sample` users created through the API;
* after filling the pool up to `--users` by inserting rows directly into the database
  (see "seed" in the output: those users never went through AdminCreateUser),
  AdminGetUser of random users and ListUsers with `email ^= "user42"`, Limit 60, each for
  `--duration` seconds with `--concurrency` clients: p50/p99 latency and requests per second;
* the server process's resident memory (VmRSS), sampled throughout.

Run `python bench/admin_users.py --help`; bench/README.md explains the figures and caveats.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import sqlalchemy as sa
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy.ext.asyncio import create_async_engine

from cognate.store.tables import user_attributes, users

REGION = "us-east-1"
SERVICE = "cognito-idp"
CREDENTIALS = Credentials("test", "test")
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
LIST_FILTER = 'email ^= "user42"'
LIST_LIMIT = 60
SEED_BATCH = 5_000
# AdminGetUser bodies differ per user; this many random users are signed ahead of each phase
# and cycled through, so signing does not compete with the server for the shared CPUs.
GET_USER_SAMPLE = 5_000
TARGETS = {"admin_get_user_rps_min": 1500, "list_users_p99_ms_max": 20, "rss_mb_max": 150}

# A pre-signed request: JSON body and headers (Authorization, X-Amz-Date, X-Amz-Target…).
Signed = tuple[bytes, dict[str, str]]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--users", type=int, default=100_000, help="users in the pool")
    parser.add_argument(
        "--create-sample", type=int, default=3000, help="users created through AdminCreateUser"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per read phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where the bench creates (and afterwards drops) its own database",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    args = parser.parse_args(argv)
    if not 0 < args.create_sample < args.users:
        parser.error("--create-sample must be positive and smaller than --users")
    return args


# --- the server under test ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A `cognate serve` subprocess and where its state lives."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    store_url: str  # SQLAlchemy async URL of the same database, for seeding
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(data_dir: Path, database_url: str | None) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "cognate", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    # Every load client shares one address: the default per-address limit (5,000 requests/s
    # per operation) would cap the measurement itself, answering TooManyRequestsException.
    command += ["--rate-limit-per-ip", "0"]
    if database_url:
        command += ["--database-url", database_url]
        store_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    else:
        store_url = f"sqlite+aiosqlite:///{data_dir / 'cognate.db'}"
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    return Server(process, f"http://127.0.0.1:{port}", data_dir, store_url, log_path)


def wait_healthy(server: Server, timeout: float = 60.0, path: str = "/health") -> None:
    """Wait until GET `path` answers 200 (another server than Cognate may need another path)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}{path}", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not answer GET /health in time")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def read_rss_mb(pid: int) -> float | None:
    """VmRSS of `pid` in MiB, or None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (threads included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime field 14 and stime field 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_machine_busy_seconds() -> float:
    """CPU time all CPUs of the machine have spent busy (not idle, not waiting on I/O)."""
    try:
        ticks = [
            int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ]
    except OSError:
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    # guest time is already counted in user time
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def read_loadavg() -> list[float]:
    try:
        return [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


@dataclass
class RssSampler:
    """Samples the server's VmRSS in the background, keeping the maximum per phase."""

    pid: int
    interval: float = 0.1
    phase: str = "idle"
    peaks: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def sample(self) -> float | None:
        rss = read_rss_mb(self.pid)
        if rss is not None:
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss)
        return rss

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# --- PostgreSQL database lifecycle ----------------------------------------------------------


async def create_postgres_database(admin_url: str) -> str:
    """Create a fresh, uniquely named database and return its plain postgresql:// URL."""
    import asyncpg

    name = f"cognate_bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres_database(admin_url: str, database_url: str) -> None:
    import asyncpg

    name = database_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- signing and load generation ------------------------------------------------------------


def sign(url: str, operation: str, payload: dict[str, Any]) -> Signed:
    """Sign one request the way botocore would; the server accepts it for 5 minutes."""
    body = json.dumps(payload).encode()
    request = AWSRequest(
        method="POST",
        url=f"{url}/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET_PREFIX + operation,
        },
    )
    SigV4Auth(CREDENTIALS, SERVICE, REGION).add_auth(request)
    return body, dict(request.headers.items())


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return float("nan")
    rank = max(1, round(fraction * len(ordered) + 0.4999999))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class PhaseResult:
    """What one load phase observed."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_busy_s: float = 0.0

    def record_error(self, key: str, text: str) -> None:
        self.errors[key] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{key}: {text[:300]}")

    def summary(self, concurrency: int) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        ok = len(ordered)
        return {
            "concurrency": concurrency,
            "duration_s": round(self.elapsed_s, 3),
            "ok": ok,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "error_samples": self.error_samples,
            "requests_per_s": round(ok / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "latency_ms": {
                "p50": round(percentile(ordered, 0.50), 2),
                "p90": round(percentile(ordered, 0.90), 2),
                "p99": round(percentile(ordered, 0.99), 2),
                "max": round(ordered[-1], 2) if ordered else float("nan"),
                "mean": round(sum(ordered) / ok, 2) if ok else float("nan"),
            },
            # CPU the server process and this load generator used during the phase: with both
            # on one small machine, the second one is capacity taken from the first.
            "server_cpu_s": round(self.server_cpu_s, 2),
            "client_cpu_s": round(self.client_cpu_s, 2),
            "server_cpu_ms_per_request": round(1000 * self.server_cpu_s / ok, 3) if ok else None,
            # Busy CPU time of the whole machine; what the server and this generator did not
            # use went to the database server and to whatever else was running.
            "machine_busy_cpu_s": round(self.machine_busy_s, 2),
            "machine_cpu_capacity_s": round(self.elapsed_s * (os.cpu_count() or 1), 2),
            "loadavg_after": read_loadavg(),
        }


async def _worker(
    url: str,
    work: Iterator[Signed],
    deadline: float | None,
    result: PhaseResult | None,
) -> None:
    """One client: one keep-alive HTTP/1.1 connection, one request at a time."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits, timeout=30.0, trust_env=False) as client:
        for body, headers in work:
            if deadline is not None and time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/", content=body, headers=headers)
            except httpx.HTTPError as exc:
                if result is not None:
                    result.record_error(type(exc).__name__, str(exc))
                continue
            took_ms = (time.perf_counter() - started) * 1000
            if result is None:
                continue
            if response.status_code == 200:
                result.latencies_ms.append(took_ms)
            else:
                kind = response.headers.get("x-amzn-errortype") or _error_type(response)
                result.record_error(f"{response.status_code} {kind}", response.text)


def _error_type(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError):
        return str(response.json().get("__type", "?")).rsplit("#", 1)[-1]
    return "?"


async def run_load(
    server: Server,
    requests: Sequence[Signed],
    *,
    concurrency: int,
    duration: float | None,
    warmup: float = 0.0,
) -> PhaseResult:
    """Send `requests` with `concurrency` clients: each once, or cycled for `duration` seconds."""
    if warmup > 0:
        shared = itertools.cycle(requests)
        until = time.perf_counter() + warmup
        await asyncio.gather(
            *(_worker(server.url, shared, until, None) for _ in range(concurrency))
        )
    result = PhaseResult()
    pid = server.process.pid
    work: Iterator[Signed] = iter(requests) if duration is None else itertools.cycle(requests)
    server_cpu, client_cpu = read_cpu_seconds(pid), time.process_time()
    machine_busy = read_machine_busy_seconds()
    started = time.perf_counter()
    deadline = None if duration is None else started + duration
    await asyncio.gather(*(_worker(server.url, work, deadline, result) for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    result.server_cpu_s = read_cpu_seconds(pid) - server_cpu
    result.client_cpu_s = time.process_time() - client_cpu
    result.machine_busy_s = read_machine_busy_seconds() - machine_busy
    return result


# --- seeding --------------------------------------------------------------------------------


async def seed_users(store_url: str, pool_id: str, first: int, last: int) -> dict[str, Any]:
    """Insert users `first`..`last - 1` straight into `users` and `user_attributes`.

    The rows look like confirmed users without a password (the column is NULL): fine for
    AdminGetUser and ListUsers, which never read it, and far faster than the API.
    """
    engine = create_async_engine(store_url)
    started = time.perf_counter()
    try:
        for low in range(first, last, SEED_BATCH):
            now = datetime.now(UTC)
            numbers = range(low, min(low + SEED_BATCH, last))
            rows = [_user_row(pool_id, n, now) for n in numbers]
            async with engine.begin() as conn:
                inserted = await conn.execute(
                    users.insert().returning(users.c.id, sort_by_parameter_order=True), rows
                )
                ids = [row.id for row in inserted]
                await conn.execute(
                    user_attributes.insert(),
                    [
                        {"user_id": user_id, "pool_id": pool_id, "name": "email", "value": email}
                        for user_id, email in zip(
                            ids, (row["attributes"]["email"] for row in rows), strict=True
                        )
                    ],
                )
        analyzed = store_url.startswith("postgresql")
        if analyzed:
            # What autovacuum would do shortly after a 100k-row load anyway; without it the
            # first minute of reads would be planned from empty-table statistics.
            async with engine.begin() as conn:
                await conn.execute(sa.text("ANALYZE users"))
                await conn.execute(sa.text("ANALYZE user_attributes"))
    finally:
        await engine.dispose()
    return {
        "method": "direct SQL insert (SQLAlchemy Core on cognate.store.tables), not the API",
        "users": last - first,
        "rows": "users (status CONFIRMED, password NULL, attributes sub+email) + user_attributes",
        "seconds": round(time.perf_counter() - started, 2),
        "analyze_after_seed": analyzed,
    }


def _user_row(pool_id: str, n: int, now: datetime) -> dict[str, Any]:
    sub = str(uuid.uuid4())
    return {
        "pool_id": pool_id,
        "username": f"user{n}",
        "username_key": f"user{n}",
        "sub": sub,
        "status": "CONFIRMED",
        "enabled": True,
        "attributes": {"sub": sub, "email": f"user{n}@example.com"},
        "password": None,
        "password_set_at": None,
        "mfa": {},
        "created_at": now,
        "updated_at": now,
    }


# --- the benchmark --------------------------------------------------------------------------


class Unsupported(RuntimeError):
    """The server does not implement an operation yet (UnsupportedOperationException)."""


def idp_client(server: Server) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
    )


def _call(client: Any, operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(client, operation)(**kwargs)
    except client.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "UnsupportedOperationException":
            raise Unsupported(operation) from exc
        raise


def create_payload(pool_id: str, n: int) -> dict[str, Any]:
    return {
        "UserPoolId": pool_id,
        "Username": f"user{n}",
        "UserAttributes": [{"Name": "email", "Value": f"user{n}@example.com"}],
        "MessageAction": "SUPPRESS",
    }


async def measure(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    loadavg_at_start = read_loadavg()
    sampler = RssSampler(server.process.pid)
    sampler.start()
    client = idp_client(server)
    pool_id = _call(client, "create_user_pool", PoolName="bench-admin-users")["UserPool"]["Id"]
    # user0 probes that the operations exist; the timed sample is user1..user{create_sample}.
    _call(client, "admin_create_user", **create_payload(pool_id, 0))
    _call(client, "list_users", UserPoolId=pool_id, Limit=1)
    _call(client, "admin_get_user", UserPoolId=pool_id, Username="user0")

    sampler.phase = "create"
    sample = range(1, args.create_sample + 1)
    signed = [sign(server.url, "AdminCreateUser", create_payload(pool_id, n)) for n in sample]
    created = await run_load(server, signed, concurrency=args.concurrency, duration=None)

    sampler.phase = "seed"
    seed = await seed_users(server.store_url, pool_id, args.create_sample + 1, args.users)
    checks = _sanity_checks(client, pool_id, args.users)

    sampler.phase = "admin_get_user"
    picks = random.sample(range(args.users), min(GET_USER_SAMPLE, args.users))
    signed = [
        sign(server.url, "AdminGetUser", {"UserPoolId": pool_id, "Username": f"user{n}"})
        for n in picks
    ]
    got = await run_load(
        server, signed, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup
    )

    sampler.phase = "list_users"
    listing = {"UserPoolId": pool_id, "Filter": LIST_FILTER, "Limit": LIST_LIMIT}
    signed = [sign(server.url, "ListUsers", listing)]
    listed = await run_load(
        server, signed, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup
    )

    sampler.phase = "after_load"
    await asyncio.sleep(2.0)
    final_rss = sampler.sample()
    await sampler.stop()
    return _report(args, created, seed, checks, got, listed, sampler, final_rss, loadavg_at_start)


def _sanity_checks(client: Any, pool_id: str, total: int) -> dict[str, Any]:
    """Check that a seeded user reads back and that the filter page is what we think."""
    seeded = _call(client, "admin_get_user", UserPoolId=pool_id, Username=f"user{total - 1}")
    page = _call(client, "list_users", UserPoolId=pool_id, Filter=LIST_FILTER, Limit=LIST_LIMIT)
    emails = [
        attribute["Value"]
        for user in page["Users"]
        for attribute in user["Attributes"]
        if attribute["Name"] == "email"
    ]
    expected = sum(1 for n in range(total) if str(n).startswith("42"))
    return {
        "seeded_user_status": seeded["UserStatus"],
        "list_users_page_size": len(page["Users"]),
        "list_users_page_all_match": all(email.startswith("user42") for email in emails),
        "list_users_has_next_page": "PaginationToken" in page,
        "users_matching_filter": expected,
    }


def _report(
    args: argparse.Namespace,
    created: PhaseResult,
    seed: dict[str, Any],
    checks: dict[str, Any],
    got: PhaseResult,
    listed: PhaseResult,
    sampler: RssSampler,
    final_rss: float | None,
    loadavg_at_start: list[float],
) -> dict[str, Any]:
    get_summary = got.summary(args.concurrency)
    list_summary = listed.summary(args.concurrency)
    create_summary = created.summary(args.concurrency)
    create_summary["users_created"] = create_summary.pop("ok")
    under_load = [sampler.peaks.get(phase, 0.0) for phase in ("admin_get_user", "list_users")]
    rss_max = max(sampler.peaks.values())
    return {
        "database": args.database,
        "users": args.users,
        "users_via_api": args.create_sample + 1,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": loadavg_at_start,
        "note": (
            f"server and load generator share this machine's {os.cpu_count()} CPUs; "
            f"users {args.create_sample + 1}..{args.users - 1} were inserted directly into the "
            "database, not through AdminCreateUser"
        ),
        "create": {"operation": "AdminCreateUser", "MessageAction": "SUPPRESS", **create_summary},
        "seed": seed,
        "checks": checks,
        "admin_get_user": {
            "operation": "AdminGetUser",
            "distinct_users": min(GET_USER_SAMPLE, args.users),
            **get_summary,
        },
        "list_users": {
            "operation": "ListUsers",
            "filter": LIST_FILTER,
            "limit": LIST_LIMIT,
            **list_summary,
        },
        "rss_mb": {
            "max": round(rss_max, 1),
            "max_under_read_load": round(max(under_load), 1),
            "final": round(final_rss, 1) if final_rss is not None else None,
            "peak_by_phase": {phase: round(mb, 1) for phase, mb in sampler.peaks.items()},
        },
        "targets": {
            "admin_get_user_rps": {
                "target_min": TARGETS["admin_get_user_rps_min"],
                "measured": get_summary["requests_per_s"],
                "met": get_summary["requests_per_s"] >= TARGETS["admin_get_user_rps_min"],
            },
            "list_users_p99_ms": {
                "target_max": TARGETS["list_users_p99_ms_max"],
                "measured": list_summary["latency_ms"]["p99"],
                "met": list_summary["latency_ms"]["p99"] < TARGETS["list_users_p99_ms_max"],
            },
            "rss_mb": {
                "target_max": TARGETS["rss_mb_max"],
                "measured": round(rss_max, 1),
                "met": rss_max < TARGETS["rss_mb_max"],
            },
        },
    }


async def run(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="cognate-bench-"))
    database_url = None
    server = None
    try:
        if args.database == "postgresql":
            database_url = await create_postgres_database(args.postgres_admin_url)
        server = start_server(data_dir, database_url)
        await asyncio.to_thread(wait_healthy, server)
        return 0, await measure(args, server)
    except Unsupported as exc:
        return 3, {"database": args.database, "error": f"UnsupportedOperationException: {exc}"}
    except Exception as exc:
        tail = server.log_tail() if server else ""
        return 1, {"database": args.database, "error": repr(exc), "server_log_tail": tail}
    finally:
        if server:
            stop_server(server)
        await release_workspace(args, data_dir, database_url)


async def run_single_server(
    args: argparse.Namespace,
    header: dict[str, Any],
    data_dir: Path,
    measure_server: Callable[[Server], Awaitable[dict[str, Any]]],
    start: Callable[[Path, str | None], Server] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Start one server (SQLite in `data_dir` or a fresh PostgreSQL database), measure it, and
    clean up; the report is `header` plus what `measure_server` returns, or the error."""
    database_url = None
    server: Server | None = None
    try:
        if args.database == "postgresql":
            database_url = await create_postgres_database(args.postgres_admin_url)
        server = (start or start_server)(data_dir, database_url)
        await asyncio.to_thread(wait_healthy, server)
        report = await measure_server(server)
        return 0, {**header, **report, "loadavg_at_end": read_loadavg()}
    except Exception as exc:
        tail = server.log_tail() if server else ""
        return 1, {**header, "error": repr(exc), "server_log_tail": tail}
    finally:
        if server is not None:
            stop_server(server)
        await release_workspace(args, data_dir, database_url)


async def release_workspace(
    args: argparse.Namespace, data_dir: Path, database_url: str | None
) -> None:
    """Drop the bench's database and data dir, or say where they are with --keep."""
    if database_url and not args.keep:
        await drop_postgres_database(args.postgres_admin_url, database_url)
    if args.keep:
        print(f"kept {data_dir} {database_url or ''}", file=sys.stderr)
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


def report_and_exit(
    run_bench: Callable[[], Coroutine[Any, Any, tuple[int, dict[str, Any]]]],
) -> None:
    """Run a benchmark, print its JSON report and exit with its status."""
    try:
        import uvloop
    except ImportError:
        status, report = asyncio.run(run_bench())
    else:
        # A cheaper event loop leaves more of the shared CPUs to the server under test.
        status, report = uvloop.run(run_bench())
    print(json.dumps(report, indent=2))
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report_and_exit(lambda: run(args))


if __name__ == "__main__":
    main()
