"""The rules of CSV user import: header, rows, job expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain.pool import Pool, new_pool_config
from cognate.domain.user_import import (
    CsvFileError,
    ImportJob,
    ImportStatus,
    RowError,
    csv_header,
    has_auto_verified_attribute,
    new_job_id,
    parse_header,
    parse_row,
    split_line,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SUB = "11111111-2222-3333-4444-555555555555"


def pool(**request: Any) -> Pool:
    request.setdefault("AutoVerifiedAttributes", ["email"])
    config = new_pool_config(request)
    return Pool(id="us-east-1_abcdefghi", name="p", config=config, created_at=NOW, updated_at=NOW)


COLUMNS = ["cognito:username", "email", "email_verified", "phone_number", "cognito:mfa_enabled"]


def row(*values: str, columns: list[str] = COLUMNS, of: Pool | None = None) -> Any:
    return parse_row(of or pool(), columns, ",".join(values), SUB)


def test_a_valid_row_creates_the_user_admin_create_user_would() -> None:
    user = row("alice", "Alice@Example.com", "TRUE", "", "false")
    assert user.username == "alice"
    assert user.attributes == {"sub": SUB, "email": "Alice@Example.com", "email_verified": "true"}
    assert user.mfa == {}


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (("", "a@example.com", "true", "", "false"), "cognito:username is required"),
        (("a b", "a@example.com", "true", "", "false"), "not a valid username"),
        (("alice", "a@example.com", "false", "", "false"), "auto verified attributes"),
        (("alice", "", "true", "", "false"), "email_verified is true but email is empty"),
        (("alice", "a@example.com", "yes", "", "false"), "email_verified must be true or false"),
        (("alice", "a@example.com", "true", "", "maybe"), "cognito:mfa_enabled must be true"),
        (("alice", "a@example.com", "true", "", "true"), "MFA is off"),
        (("alice", "not-an-email", "true", "", "false"), "email"),
        (("alice", "a@example.com", "true"), "as many values"),
    ],
)
def test_a_row_breaking_a_rule_fails_alone(values: tuple[str, ...], reason: str) -> None:
    with pytest.raises(RowError, match=reason):
        row(*values)


def test_required_attributes_and_username_attributes_follow_admin_create_user() -> None:
    required = pool(Schema=[{"Name": "name", "Required": True, "AttributeDataType": "String"}])
    with pytest.raises(RowError, match="name"):
        row("alice", "a@example.com", "true", "", "false", of=required)
    by_email = pool(UsernameAttributes=["email"])
    user = row("a@example.com", "", "true", "", "false", of=by_email)
    assert user.username == SUB
    assert user.attributes["email"] == "a@example.com"
    with pytest.raises(RowError, match="Username should be an email"):
        row("alice", "", "true", "", "false", of=by_email)


def test_mfa_enabled_turns_sms_mfa_on_and_needs_a_phone_number() -> None:
    optional = pool(MfaConfiguration="OPTIONAL")
    user = row("alice", "a@example.com", "true", "+15555550100", "true", of=optional)
    assert user.mfa["UserMFASettingList"] == ["SMS_MFA"]
    with pytest.raises(RowError, match="SMS_MFA"):
        row("alice", "a@example.com", "true", "", "true", of=optional)
    required = pool(MfaConfiguration="ON")
    with pytest.raises(RowError, match="must be true"):
        row("alice", "a@example.com", "true", "+15555550100", "false", of=required)


def test_header_rules() -> None:
    default = pool()
    assert parse_header(default, "\ufeffcognito:username, email") == ["cognito:username", "email"]
    for bad in ("email,no_such_attribute,cognito:username", "email", "email,email"):
        with pytest.raises(CsvFileError):
            parse_header(default, bad)
    custom = pool(Schema=[{"Name": "tier", "AttributeDataType": "String"}])
    assert csv_header(custom)[-3:] == ["cognito:mfa_enabled", "cognito:username", "custom:tier"]


def test_only_pools_with_an_auto_verified_contact_can_import() -> None:
    assert has_auto_verified_attribute(pool())
    assert not has_auto_verified_attribute(pool(AutoVerifiedAttributes=[]))


@given(st.lists(st.text(alphabet=st.characters(exclude_characters='\r\n\x00"'), max_size=8)))
def test_escaped_commas_and_backslashes_round_trip(values: list[str]) -> None:
    line = ",".join(value.replace("\\", "\\\\").replace(",", "\\,") for value in values)
    if line:
        assert split_line(line) == values


def test_a_job_not_started_within_a_day_is_expired() -> None:
    job = ImportJob(
        id=new_job_id(),
        pool_id="us-east-1_abcdefghi",
        name="j",
        logs_role_arn="arn:aws:iam::000000000000:role/r",
        status=ImportStatus.CREATED,
        created_at=NOW,
        started_at=None,
        completed_at=None,
        imported=0,
        skipped=0,
        failed=0,
        completion_message=None,
        upload_id=None,
        next_line=2,
        lease_expires_at=None,
    )
    assert job.id.startswith("import-") and len(job.id) == 17
    assert job.status_at(NOW + timedelta(hours=23)) is ImportStatus.CREATED
    assert job.status_at(NOW + timedelta(hours=24)) is ImportStatus.EXPIRED
    started = replace(job, status=ImportStatus.SUCCEEDED)
    assert started.status_at(NOW + timedelta(days=9)) is ImportStatus.SUCCEEDED
