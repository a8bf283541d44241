"""CSV user import over the wire, as an AWS user runs it: boto3 for the API, and the CSV PUT to
the job's PreSignedUrl with plain HTTP (requests, as the developer guide's scripts do)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.conftest import make_client, start_server
from tests.wire.clocked import ShiftedClock

ROLE = "arn:aws:iam::000000000000:role/CognitoImport"
DEFAULT_HEADER = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
]


def new_pool(client: Any, **kwargs: Any) -> str:
    kwargs.setdefault("AutoVerifiedAttributes", ["email"])
    name = f"pool-{uuid.uuid4().hex[:8]}"
    return str(client.create_user_pool(PoolName=name, **kwargs)["UserPool"]["Id"])


def new_job(client: Any, pool_id: str, name: str = "import-test") -> dict[str, Any]:
    job: dict[str, Any] = client.create_user_import_job(
        JobName=name, UserPoolId=pool_id, CloudWatchLogsRoleArn=ROLE
    )["UserImportJob"]
    return job


def csv_of(header: list[str], rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(header)]
    lines += [",".join(row.get(column, "") for column in header) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def upload(job: dict[str, Any], body: bytes) -> requests.Response:
    return requests.put(
        job["PreSignedUrl"],
        data=body,
        headers={"x-amz-server-side-encryption": "aws:kms"},
        timeout=30,
    )


def wait_until_done(client: Any, pool_id: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = client.describe_user_import_job(UserPoolId=pool_id, JobId=job_id)[
            "UserImportJob"
        ]
        if job["Status"] in ("Succeeded", "Failed", "Stopped"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def person(username: str, **attributes: str) -> dict[str, str]:
    return {"cognito:username": username, "cognito:mfa_enabled": "false", **attributes}


def attributes_of(user: dict[str, Any]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in user["UserAttributes"]}


def test_import_creates_reset_required_users_and_counts_rows(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    idp_client.admin_create_user(UserPoolId=pool_id, Username="existing", MessageAction="SUPPRESS")
    header = idp_client.get_csv_header(UserPoolId=pool_id)["CSVHeader"]

    job = new_job(idp_client, pool_id, "first import")
    assert job["Status"] == "Created"
    assert job["JobId"].startswith("import-")
    assert job["CloudWatchLogsRoleArn"] == ROLE
    assert job["PreSignedUrl"].startswith(idp_client.meta.endpoint_url + "/")
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (0, 0, 0)

    rows = [
        person("alice", email="alice@example.com", email_verified="TRUE", given_name="Alice"),
        person("bob", email="bob@example.com", email_verified="true", name="Bob\\, Jr."),
        person("carol", email="carol@example.com", email_verified="false"),  # no verified contact
        person("dave", email="not-an-email", email_verified="true"),  # fails the schema
        person("existing", email="e@example.com", email_verified="true"),  # skipped
    ]
    answer = upload(job, csv_of(header, rows))
    assert answer.status_code == 200, answer.text
    assert answer.headers["ETag"].startswith('"')

    started = idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert started["UserImportJob"]["Status"] in ("Pending", "InProgress", "Succeeded")
    done = wait_until_done(idp_client, pool_id, job["JobId"])
    assert done["Status"] == "Succeeded"
    assert done["CompletionMessage"] == "Succeeded"
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (2, 1, 2)
    assert done["StartDate"] <= done["CompletionDate"]

    alice = idp_client.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert alice["UserStatus"] == "RESET_REQUIRED"
    assert attributes_of(alice) == {
        "sub": attributes_of(alice)["sub"],
        "email": "alice@example.com",
        "email_verified": "true",
        "given_name": "Alice",
    }
    bob = idp_client.admin_get_user(UserPoolId=pool_id, Username="bob")
    assert attributes_of(bob)["name"] == "Bob, Jr."
    for missing in ("carol", "dave"):
        with pytest.raises(idp_client.exceptions.UserNotFoundException):
            idp_client.admin_get_user(UserPoolId=pool_id, Username=missing)
    existing = idp_client.admin_get_user(UserPoolId=pool_id, Username="existing")
    assert existing["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    # Once started, the job takes no other file and cannot be started again.
    assert upload(job, csv_of(header, rows)).status_code == 403
    with pytest.raises(idp_client.exceptions.PreconditionNotMetException):
        idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])


def test_imported_user_sets_a_password_before_signing_in(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    job = new_job(idp_client, pool_id)
    row = person("erin", email="erin@example.com", email_verified="true")
    assert upload(job, csv_of(DEFAULT_HEADER, [row])).status_code == 200
    idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert wait_until_done(idp_client, pool_id, job["JobId"])["ImportedUsers"] == 1

    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="erin", Password="Passw0rd!", Permanent=True
    )
    tokens = idp_client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "erin", "PASSWORD": "Passw0rd!"},
    )
    assert "IdToken" in tokens["AuthenticationResult"]


def test_reupload_replaces_the_file_and_columns_may_be_in_any_order(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    job = new_job(idp_client, pool_id)
    first = person("first", email="first@example.com", email_verified="true")
    assert upload(job, csv_of(DEFAULT_HEADER, [first])).status_code == 200
    header = ["email_verified", "cognito:username", "email", "cognito:mfa_enabled"]
    rows = [person(f"user{n}", email=f"u{n}@example.com", email_verified="true") for n in range(3)]
    assert upload(job, csv_of(header, rows)).status_code == 200
    idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    done = wait_until_done(idp_client, pool_id, job["JobId"])
    assert (done["Status"], done["ImportedUsers"], done["FailedUsers"]) == ("Succeeded", 3, 0)
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_get_user(UserPoolId=pool_id, Username="first")


def test_an_unreadable_file_fails_the_job(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    job = new_job(idp_client, pool_id)
    assert upload(job, b"cognito:username,no_such_attribute\nalice,x\n").status_code == 200
    idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    done = wait_until_done(idp_client, pool_id, job["JobId"])
    assert (done["Status"], done["CompletionMessage"]) == ("Failed", "CsvParsingFailure")


def tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


def test_a_wrong_or_borrowed_signature_is_refused(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    job = new_job(idp_client, pool_id)
    other = new_job(idp_client, pool_id)
    body = csv_of(DEFAULT_HEADER, [])
    signature = parse_qs(urlsplit(job["PreSignedUrl"]).query)["X-Amz-Signature"][0]
    forged = [
        tampered(job["PreSignedUrl"], **{"X-Amz-Signature": "0" * 64}),
        tampered(job["PreSignedUrl"], **{"X-Amz-Expires": "604800"}),
        tampered(other["PreSignedUrl"], **{"X-Amz-Signature": signature}),
        job["PreSignedUrl"].split("?")[0],
    ]
    for url in forged:
        answer = requests.put(url, data=body, timeout=30)
        assert answer.status_code == 403
        assert "<Code>AccessDenied</Code>" in answer.text
    with pytest.raises(idp_client.exceptions.PreconditionNotMetException):
        idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])


def test_job_errors(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    job = new_job(idp_client, pool_id)
    with pytest.raises(idp_client.exceptions.PreconditionNotMetException):
        idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])  # no file yet
    with pytest.raises(idp_client.exceptions.PreconditionNotMetException):
        idp_client.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])  # not running
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_user_import_job(UserPoolId=pool_id, JobId="import-nosuchjob1")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        new_job(idp_client, "us-east-1_NoSuchPool")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="cloudWatchLogs"):
        idp_client.create_user_import_job(
            JobName="x", UserPoolId=pool_id, CloudWatchLogsRoleArn="not an arn at all, no"
        )
    # Imported users could not reset their passwords without a verified contact.
    plain = new_pool(idp_client, AutoVerifiedAttributes=[])
    plain_job = new_job(idp_client, plain)
    assert upload(plain_job, csv_of(DEFAULT_HEADER, [])).status_code == 200
    with pytest.raises(idp_client.exceptions.PreconditionNotMetException):
        idp_client.start_user_import_job(UserPoolId=plain, JobId=plain_job["JobId"])


def test_list_pages_through_jobs(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    ids = [new_job(idp_client, pool_id, f"job {n}")["JobId"] for n in range(3)]
    first = idp_client.list_user_import_jobs(UserPoolId=pool_id, MaxResults=2)
    rest = idp_client.list_user_import_jobs(
        UserPoolId=pool_id, MaxResults=2, PaginationToken=first["PaginationToken"]
    )
    assert "PaginationToken" not in rest
    listed = [job["JobId"] for job in first["UserImportJobs"] + rest["UserImportJobs"]]
    assert sorted(listed) == sorted(ids)
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_user_import_jobs(
            UserPoolId=new_pool(idp_client), MaxResults=2, PaginationToken=first["PaginationToken"]
        )


def test_stop_ends_the_job_between_batches(idp_client: Any) -> None:
    pool_id = new_pool(idp_client)
    job = new_job(idp_client, pool_id)
    total = 5000
    rows = [
        person(f"bulk{n}", email=f"b{n}@example.com", email_verified="true") for n in range(total)
    ]
    assert upload(job, csv_of(DEFAULT_HEADER, rows)).status_code == 200
    idp_client.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    stopping = idp_client.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert stopping["UserImportJob"]["Status"] in ("Stopping", "Stopped")
    done = wait_until_done(idp_client, pool_id, job["JobId"])
    assert (done["Status"], done["CompletionMessage"]) == ("Stopped", "Stopped")
    assert done["ImportedUsers"] < total
    listed = idp_client.list_users(UserPoolId=pool_id, Limit=60)["Users"]
    assert len(listed) == min(done["ImportedUsers"], 60)


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ShiftedClock]]:
    clock = ShiftedClock()
    data_dir: Path = tmp_path_factory.mktemp("import-clock")
    thread, running = start_server(data_dir, clock=clock)
    yield make_client(running.url), clock
    thread.stop()


def test_the_upload_url_expires(clocked: tuple[Any, ShiftedClock]) -> None:
    client, clock = clocked
    pool_id = new_pool(client)
    job = new_job(client, pool_id)
    clock.offset += timedelta(seconds=901)
    answer = upload(job, csv_of(DEFAULT_HEADER, []))
    assert answer.status_code == 403
    assert "Request has expired" in answer.text
