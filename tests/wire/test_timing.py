"""No measurable timing difference between an unknown user and a wrong password
(security-test-plan.md A3, PreventUserExistenceErrors=ENABLED).

100 sign-ins of each kind, interleaved, over one keep-alive connection. The medians must differ
by under 5 ms and a two-sample Kolmogorov-Smirnov test must not reject equal distributions at
the 0.1 % level (two runs per suite: at 1 % a correct server failed about one CI run in fifty);
no failure is answered before lockout.FAILED_PROOF_FLOOR. scipy is not a dependency: the KS
statistic and its asymptotic p-value are computed here (Stephens' small-sample correction, as
in Numerical Recipes' `kstwo`).
"""

from __future__ import annotations

import bisect
import math
import statistics
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest

from cognate.auth import lockout
from tests.conftest import RunningServer

PASSWORD = "Corr3ct!horse"
ROUNDS = 100
ATTEMPTS_PER_USER = 4  # stays under the lockout threshold of 5 failures


def ks_two_sample(first: list[float], second: list[float]) -> tuple[float, float]:
    """(D, p): the largest gap between the empirical CDFs and its asymptotic p-value."""
    a, b = sorted(first), sorted(second)
    d = max(
        abs(bisect.bisect_right(a, x) / len(a) - bisect.bisect_right(b, x) / len(b)) for x in a + b
    )
    effective = math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (effective + 0.12 + 0.11 / effective) * d
    if lam < 0.3:  # the series converges slowly here, and Q_KS(0.3) = 1 - 1e-5
        return d, 1.0
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, p))


def test_ks_helper_sanity() -> None:
    same = [float(i) for i in range(100)]
    assert ks_two_sample(same, same) == (0.0, 1.0)
    d, p = ks_two_sample(same, [x + 50 for x in same])
    assert d == 0.5
    assert p < 1e-4


@pytest.mark.parametrize("aliases", [[], ["email", "preferred_username"]])
def test_unknown_user_and_wrong_password_take_the_same_time(
    server: RunningServer, idp_client: Any, aliases: list[str]
) -> None:
    """Also in a pool with sign-in aliases, where an unknown name is looked up as an alias too."""
    pool = idp_client.create_user_pool(PoolName="timing", AliasAttributes=aliases)["UserPool"]
    pool_id = pool["Id"]
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="timing",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    users = [f"known-{n}" for n in range(ROUNDS // ATTEMPTS_PER_USER + 1)]
    for name in users:
        idp_client.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        idp_client.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
        )
    strangers = [f"nobody-{uuid.uuid4().hex[:8]}" for _ in users]

    with httpx.Client(base_url=server.url) as http:

        def attempt(username: str) -> float:
            body = orjson.dumps(
                {
                    "ClientId": client_id,
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": username, "PASSWORD": "Wr0ng!horse1"},
                }
            )
            headers = {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            }
            started = time.perf_counter()
            response = http.post("/", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            assert orjson.loads(response.content) == {
                "__type": "NotAuthorizedException",
                "message": "Incorrect username or password.",
            }
            return elapsed * 1000

        # Warm-up on the last user of each kind, not measured.
        attempt(users[-1])
        attempt(strangers[-1])
        unknown, known = [], []
        for n in range(ROUNDS):
            index = n // ATTEMPTS_PER_USER
            if n % 2:
                known.append(attempt(users[index]))
                unknown.append(attempt(strangers[index]))
            else:
                unknown.append(attempt(strangers[index]))
                known.append(attempt(users[index]))

    gap = abs(statistics.median(unknown) - statistics.median(known))
    d, p = ks_two_sample(unknown, known)
    summary = (
        f"median unknown {statistics.median(unknown):.2f} ms, known {statistics.median(known):.2f}"
        f" ms, KS D={d:.3f} p={p:.4f}, fastest {min(unknown + known):.2f} ms"
    )
    print(summary)  # noqa: T201 (shown with -s: the measured margins)
    assert gap < 5.0, summary
    assert p > 0.001, summary
    # uvloop's timers tick in whole milliseconds, so a wait may end up to 1 ms early.
    floor_ms = lockout.FAILED_PROOF_FLOOR.total_seconds() * 1000
    assert min(unknown + known) >= floor_ms - 1, summary
