"""Benchmark sign-in, tokens and sign-up on Cognate and on moto_server, side by side.

Starts `cognate serve` (SQLite or a fresh PostgreSQL database) and `moto_server`, gives each
the same pool of `--users` confirmed users, then runs each workload on both servers in turn,
alternating which goes first, for `--rounds` rounds:

* user_password_auth  InitiateAuth USER_PASSWORD_AUTH                   (wrk)
* srp                 InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge (asyncio client)
* refresh_token_auth  InitiateAuth REFRESH_TOKEN_AUTH                   (wrk)
* get_user            GetUser with an access token                      (wrk)
* admin_get_user      AdminGetUser, SigV4-signed before each phase      (wrk)
* sign_up             SignUp, a new username each time, no email        (wrk)

and prints one JSON object: per workload and server the throughput, latency, server CPU per
answer and answers per server-CPU second, the Cognate/moto ratios and the issues' targets.
`--profile DIR` then samples Cognate with py-spy under each workload and adds its hot spots.
Run `python bench/sign_in.py --help`; bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from admin_users import (
    Server,
    create_postgres_database,
    free_port,
    idp_client,
    read_loadavg,
    release_workspace,
    report_and_exit,
    sign,
    start_server,
    stop_server,
    wait_healthy,
)
from load import (
    Connection,
    FlowError,
    Measurement,
    Template,
    json_request,
    raw_request,
    run_flows,
    run_wrk,
)
from srp_client import SrpClient

from cognate.auth.srp import HAS_GMPY2

# The one password of every benchmark user (it meets the default password policy).
PASSWORD = "Bench-Passw0rd!"  # noqa: S105
WORKLOADS = (
    "user_password_auth",
    "srp",
    "refresh_token_auth",
    "get_user",
    "admin_get_user",
    "sign_up",
)
AUTH_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=1000, help="confirmed users in the pool")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=2, help="phases per workload and server")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help=f"comma-separated subset of {WORKLOADS}"
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (-t)")
    parser.add_argument(
        "--moto-server",
        default=str(Path(tempfile.gettempdir()) / "motovenv" / "bin" / "moto_server"),
        help="moto_server executable; 'none' measures Cognate alone",
    )
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="where the bench creates (and afterwards drops) its own database",
    )
    parser.add_argument("--profile", type=Path, help="py-spy Cognate per workload into DIR")
    parser.add_argument("--profile-seconds", type=float, default=6.0)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    args = parser.parse_args(argv)
    args.workloads = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {sorted(unknown)}")
    return args


# --- the two servers ------------------------------------------------------------------------


def start_moto(executable: str, data_dir: Path) -> Server:
    port = free_port()
    log_path = data_dir / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [executable, "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", data_dir, "", log_path)
    wait_healthy(server, path="/moto-api/")
    return server


def moto_version(executable: str) -> str | None:
    python = Path(executable).with_name("python")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            [str(python), "-c", "import moto; print(moto.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()
    return None


@dataclass
class Target:
    """One server under test, with its pools, users and their tokens."""

    name: str
    server: Server
    pool_id: str = ""
    client_id: str = ""
    sign_up_client_id: str = ""
    usernames: list[str] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[str] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)
    phases: int = 0

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def pid(self) -> int:
        return self.server.process.pid


async def _each(url: str, requests: Sequence[bytes], concurrency: int) -> list[dict[str, Any]]:
    """Send every request once over `concurrency` connections; all must answer 200."""
    answers: list[dict[str, Any]] = [{} for _ in requests]
    positions = iter(range(len(requests)))

    async def client() -> None:
        connection = Connection(url)
        try:
            for position in positions:
                answers[position] = await connection.call(requests[position])
        finally:
            await connection.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return answers


def _make_pool(client: Any, name: str) -> tuple[str, str]:
    pool = client.create_user_pool(PoolName=name)["UserPool"]
    app = client.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName=f"{name}-app", ExplicitAuthFlows=AUTH_FLOWS
    )["UserPoolClient"]
    return pool["Id"], app["ClientId"]


async def prepare(target: Target, users: int, concurrency: int) -> dict[str, Any]:
    """Two pools (no AutoVerifiedAttributes): one with `users` confirmed users, signed in once
    for their tokens, and an empty one that SignUp fills."""
    started = time.perf_counter()
    client = idp_client(target.server)
    target.pool_id, target.client_id = _make_pool(client, "bench-sign-in")
    _pool, target.sign_up_client_id = _make_pool(client, "bench-sign-up")
    target.usernames = [f"user{n}" for n in range(users)]
    creates = [
        raw_request(
            target.url,
            "AdminCreateUser",
            *sign(
                target.url,
                "AdminCreateUser",
                {
                    "UserPoolId": target.pool_id,
                    "Username": name,
                    "TemporaryPassword": PASSWORD,
                    "MessageAction": "SUPPRESS",
                },
            ),
        )
        for name in target.usernames
    ]
    await _each(target.url, creates, concurrency)
    passwords = [
        raw_request(
            target.url,
            "AdminSetUserPassword",
            *sign(
                target.url,
                "AdminSetUserPassword",
                {
                    "UserPoolId": target.pool_id,
                    "Username": name,
                    "Password": PASSWORD,
                    "Permanent": True,
                },
            ),
        )
        for name in target.usernames
    ]
    await _each(target.url, passwords, concurrency)
    sign_ins = [
        json_request(target.url, "InitiateAuth", _password_auth(target, name))
        for name in target.usernames
    ]
    results = [answer["AuthenticationResult"] for answer in await _each(target.url, sign_ins, 8)]
    target.access_tokens = [result["AccessToken"] for result in results]
    target.refresh_tokens = [result["RefreshToken"] for result in results]
    return {"users": users, "seconds": round(time.perf_counter() - started, 1)}


# --- workloads ------------------------------------------------------------------------------


def _password_auth(target: Target, name: str) -> dict[str, Any]:
    return {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": target.client_id,
        "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD},
    }


def _shuffled(items: Sequence[bytes]) -> list[bytes]:
    mixed = list(items)
    random.shuffle(mixed)
    return mixed


def wrk_requests(target: Target, workload: str, phase_tag: str) -> list[bytes] | Template:
    """The requests wrk sends for `workload`: a table to cycle, or a SignUp template."""
    url = target.url
    if workload == "user_password_auth":
        bodies = [_password_auth(target, name) for name in target.usernames]
        return _shuffled([json_request(url, "InitiateAuth", body) for body in bodies])
    if workload == "refresh_token_auth":
        return _shuffled(
            [
                json_request(
                    url,
                    "InitiateAuth",
                    {
                        "AuthFlow": "REFRESH_TOKEN_AUTH",
                        "ClientId": target.client_id,
                        "AuthParameters": {"REFRESH_TOKEN": token},
                    },
                )
                for token in target.refresh_tokens
            ]
        )
    if workload == "get_user":
        return _shuffled(
            [json_request(url, "GetUser", {"AccessToken": t}) for t in target.access_tokens]
        )
    if workload == "admin_get_user":
        # Signed right before the phase: Cognate accepts a signature for 5 minutes.
        payloads = [{"UserPoolId": target.pool_id, "Username": n} for n in target.usernames]
        return _shuffled(
            [
                raw_request(url, "AdminGetUser", *sign(url, "AdminGetUser", payload))
                for payload in payloads
            ]
        )
    if workload == "sign_up":
        body = json.dumps(
            {
                "ClientId": target.sign_up_client_id,
                "Username": f"su-{phase_tag}-NUMBER",
                "Password": PASSWORD,
            }
        ).replace("NUMBER", "{n}")
        return Template("SignUp", body)
    raise ValueError(workload)


def srp_flow(target: Target) -> Callable[[Connection, int], Any]:
    """One full SRP sign-in per call: InitiateAuth USER_SRP_AUTH, then PASSWORD_VERIFIER."""
    client = SrpClient(target.pool_id, PASSWORD)
    url = target.url

    async def flow(connection: Connection, number: int) -> None:
        name = target.usernames[number % len(target.usernames)]
        tag = str(number)
        first = await connection.call(
            json_request(
                url,
                "InitiateAuth",
                {
                    "AuthFlow": "USER_SRP_AUTH",
                    "ClientId": target.client_id,
                    "AuthParameters": {"USERNAME": name, "SRP_A": client.srp_a(tag)},
                },
            )
        )
        if first.get("ChallengeName") != "PASSWORD_VERIFIER":
            raise FlowError("no PASSWORD_VERIFIER challenge", json.dumps(first)[:300])
        try:
            responses = client.answer(tag, first["ChallengeParameters"])
        except (KeyError, ValueError, TypeError) as exc:
            raise FlowError("unusable challenge", f"{exc!r} {json.dumps(first)[:300]}") from exc
        request: dict[str, Any] = {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": target.client_id,
            "ChallengeResponses": responses,
        }
        if first.get("Session"):
            request["Session"] = first["Session"]
        second = await connection.call(json_request(url, "RespondToAuthChallenge", request))
        if "AuthenticationResult" not in second:
            raise FlowError("no tokens", json.dumps(second)[:300])

    return flow


async def probe(target: Target, workload: str) -> str | None:
    """Try `workload` once; the reason it cannot run on this server, or None."""
    connection = Connection(target.url)
    try:
        if workload == "srp":
            await srp_flow(target)(connection, 0)
        else:
            requests = wrk_requests(target, workload, f"probe-{uuid.uuid4().hex[:6]}")
            if isinstance(requests, Template):
                body = requests.body.replace("{n}", "0")
                first = raw_request(target.url, requests.operation, body.encode())
            else:
                first = requests[0]
            await connection.call(first)
    except FlowError as exc:
        return f"{exc.key}: {exc.text[:300]}"
    finally:
        await connection.close()
    return None


async def measure_phase(
    target: Target, workload: str, args: argparse.Namespace, duration: float
) -> Measurement:
    target.phases += 1
    if workload == "srp":
        return await run_flows(
            target.url,
            srp_flow(target),
            server_pid=target.pid,
            concurrency=args.concurrency,
            duration=duration,
            warmup=args.warmup,
        )
    tag = f"{target.phases}-{uuid.uuid4().hex[:6]}"
    requests = wrk_requests(target, workload, tag)
    return await asyncio.to_thread(
        run_wrk,
        target.url,
        requests,
        server_pid=target.pid,
        concurrency=args.concurrency,
        duration=duration,
        warmup=args.warmup,
        threads=args.wrk_threads,
    )


# --- profiling ------------------------------------------------------------------------------


# Frames on every request's stack (server start-up, app and endpoint dispatch): left out of
# the inclusive list so that it shows where the requests differ.
_FRAMING = (
    "(cognate/cli.py)",
    "(cognate/__main__.py)",
    "(cognate/app.py)",
    "(cognate/awsjson/endpoint.py)",
)


def hot_spots(raw_file: Path, top: int = 12) -> dict[str, Any]:
    """Summarise a `py-spy record -f raw` file: where the GIL-holding samples were spent.

    `self` counts a function when it is the innermost frame; `inclusive_cognate` counts each
    function of the cognate package (but for `_FRAMING`) once per sample whose stack has it.
    """
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw_file.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_function_of(frame) for frame in stack.split(";")]
        leaves[frames[-1]] += count
        for frame in set(frames):
            if "cognate/" in frame and not frame.endswith(_FRAMING):
                inclusive[frame] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    return {"samples": total, "self_pct": share(leaves), "inclusive_cognate_pct": share(inclusive)}


def _function_of(frame: str) -> str:
    """'name (path/to/file.py:123)' -> 'name (to/file.py)': lines merged, path shortened."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


async def profile(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    args.profile.mkdir(parents=True, exist_ok=True)
    spots: dict[str, Any] = {}
    for workload in args.workloads:
        if workload in target.unsupported:
            continue
        out = args.profile / f"{workload}.raw"
        seconds = args.profile_seconds
        command = ["py-spy", "record", "--gil", "-f", "raw", "-r", "100"]
        command += ["-d", str(round(seconds)), "-o", str(out), "-p", str(target.pid)]
        spy = await asyncio.create_subprocess_exec(
            *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await asyncio.sleep(0.5)
        saved_warmup, args.warmup = args.warmup, 0.0
        try:
            await measure_phase(target, workload, args, seconds)
        finally:
            args.warmup = saved_warmup
        await asyncio.wait_for(spy.wait(), 60)
        spots[workload] = hot_spots(out) if out.exists() else {"error": "py-spy wrote nothing"}
    return spots


# --- the run --------------------------------------------------------------------------------


TARGETS = {
    "user_password_auth": {"per_server_cpu_s_min": 600, "vs_moto_min": 2.0},
    "srp": {"per_server_cpu_s_min": 250},
    "refresh_token_auth": {"vs_moto_min": 4.0},
    "get_user": {"vs_moto_min": 10.0, "per_s_min": 2500},
    "sign_up": {"per_server_cpu_s_min": 400},
}
P99_MS_MAX = 50


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def report_workload(workload: str, results: dict[str, Measurement]) -> dict[str, Any]:
    entry: dict[str, Any] = {name: measured.summary() for name, measured in results.items()}
    cognate, moto = entry.get("cognate"), entry.get("moto")
    if cognate and moto:
        entry["cognate_vs_moto"] = {
            # Answers per second under the same load, alternating: the targets' "N x moto".
            "throughput": _ratio(cognate["per_s"], moto["per_s"]),
            # Answers per server-CPU second: how much less (>1) or more (<1) CPU Cognate burns.
            "per_server_cpu_s": _ratio(cognate["per_server_cpu_s"], moto["per_server_cpu_s"]),
        }
    if cognate:
        entry["targets"] = _targets(workload, cognate, entry.get("cognate_vs_moto"))
    return entry


def _targets(
    workload: str, cognate: dict[str, Any], ratios: dict[str, Any] | None
) -> dict[str, Any]:
    goals = TARGETS.get(workload, {})
    checks: dict[str, Any] = {}
    if "per_server_cpu_s_min" in goals:
        measured = cognate["per_server_cpu_s"]
        goal = goals["per_server_cpu_s_min"]
        checks["per_core"] = {"min": goal, "measured": measured, "met": (measured or 0) >= goal}
    if "per_s_min" in goals:
        measured = cognate["per_s"]
        checks["per_s"] = {"min": goals["per_s_min"], "measured": measured}
        checks["per_s"]["met"] = measured > goals["per_s_min"]
    if "vs_moto_min" in goals:
        measured = (ratios or {}).get("throughput")
        goal = goals["vs_moto_min"]
        checks["vs_moto"] = {"min": goal, "measured": measured}
        checks["vs_moto"]["met"] = None if measured is None else measured >= goal
    p99 = cognate["latency_ms"]["p99"]
    checks["p99_ms"] = {"max": P99_MS_MAX, "measured": p99, "met": p99 is not None}
    checks["p99_ms"]["met"] = p99 is not None and p99 < P99_MS_MAX
    return checks


async def measure(args: argparse.Namespace, targets: list[Target]) -> dict[str, Any]:
    prepared = {t.name: await prepare(t, args.users, args.concurrency) for t in targets}
    for target in targets:
        for workload in args.workloads:
            reason = await probe(target, workload)
            if reason is not None:
                target.unsupported[workload] = reason
    results: dict[str, dict[str, Measurement]] = {w: {} for w in args.workloads}
    for round_number in range(args.rounds):
        for index, workload in enumerate(args.workloads):
            order = targets if (round_number + index) % 2 == 0 else targets[::-1]
            for target in order:
                if workload in target.unsupported:
                    continue
                measured = await measure_phase(target, workload, args, args.duration)
                if target.name in results[workload]:
                    results[workload][target.name].merge(measured)
                else:
                    results[workload][target.name] = measured
    report: dict[str, Any] = {
        "prepared": prepared,
        "unsupported": {t.name: t.unsupported for t in targets if t.unsupported},
        "workloads": {w: report_workload(w, results[w]) for w in args.workloads},
    }
    if args.profile:
        report["hot_spots_cognate"] = await profile(targets[0], args)
    return report


def _slowest(workloads: dict[str, Any]) -> list[str]:
    costs = [
        (entry["cognate"]["server_cpu_ms_each"] or 0.0, name)
        for name, entry in workloads.items()
        if "cognate" in entry
    ]
    return [name for _cost, name in sorted(costs, reverse=True)]


async def run(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="cognate-bench-"))
    database_url = None
    targets: list[Target] = []
    header: dict[str, Any] = {
        "database": args.database,
        "users": args.users,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_phase": args.duration,
        "cpu_count": os.cpu_count(),
        "gmpy2": HAS_GMPY2,
        "loadavg_at_start": read_loadavg(),
    }
    try:
        if args.database == "postgresql":
            database_url = await create_postgres_database(args.postgres_admin_url)
        cognate = start_server(data_dir, database_url)
        targets.append(Target("cognate", cognate))
        await asyncio.to_thread(wait_healthy, cognate)
        if args.moto_server != "none":
            header["moto_version"] = moto_version(args.moto_server)
            moto = await asyncio.to_thread(start_moto, args.moto_server, data_dir)
            targets.append(Target("moto", moto))
        report = await measure(args, targets)
        report["cognate_slowest_first"] = _slowest(report["workloads"])
        return 0, {**header, **report, "loadavg_at_end": read_loadavg()}
    except Exception as exc:
        tails = {t.name: t.server.log_tail() for t in targets}
        return 1, {**header, "error": repr(exc), "server_log_tails": tails}
    finally:
        for target in targets:
            stop_server(target.server)
        await release_workspace(args, data_dir, database_url)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    report_and_exit(lambda: run(args))


if __name__ == "__main__":
    main()
