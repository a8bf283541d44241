"""ListUsers (filters, attribute selection, pagination) and GetCSVHeader through boto3."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from cognate.store.tables import user_attributes, users
from tests.conftest import RunningServer, make_client
from tests.wire.test_import_jobs import DEFAULT_HEADER

PEOPLE = [
    ("alice", {"email": "alice@example.com", "given_name": "Alice", "family_name": "Smith"}),
    ("bob", {"email": "bob@example.org", "given_name": "Bob", "phone_number": "+15550100"}),
    ("Carol", {"email": "carol@example.com", "name": 'Carol "CJ" Jones', "family_name": "Jones"}),
    (
        "dave",
        {"email": "dave@sample.net", "preferred_username": "davey", "family_name": "Smithson"},
    ),
]


def create_user(idp_client: Any, pool_id: str, username: str, attributes: dict[str, str]) -> None:
    idp_client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        MessageAction="SUPPRESS",
    )


@pytest.fixture
def people(idp_client: Any, pool_id: str) -> str:
    """The pool, holding PEOPLE; dave is disabled."""
    for username, attributes in PEOPLE:
        create_user(idp_client, pool_id, username, attributes)
    idp_client.admin_disable_user(UserPoolId=pool_id, Username="dave")
    return pool_id


@pytest.fixture
def unchecked_client(server: RunningServer) -> Any:
    """A boto3 client that sends invalid parameters instead of refusing them itself."""
    return make_client(server.url, config=Config(parameter_validation=False))


def usernames(idp_client: Any, pool_id: str, filter_text: str) -> list[str]:
    found = idp_client.list_users(UserPoolId=pool_id, Filter=filter_text)["Users"]
    return [user["Username"] for user in found]


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("", ["alice", "bob", "Carol", "dave"]),
        ('email = "bob@example.org"', ["bob"]),
        ('email ^= "ca"', ["Carol"]),
        ('email^="d"', ["dave"]),
        ('email = "bob"', []),
        ('given_name = "Alice"', ["alice"]),
        ('family_name ^= "Smith"', ["alice", "dave"]),
        ('family_name = "Smith"', ["alice"]),
        ('name = "Carol \\"CJ\\" Jones"', ["Carol"]),
        ('phone_number ^= "+1555"', ["bob"]),
        ('preferred_username = "davey"', ["dave"]),
        ('username = "carol"', ["Carol"]),
        ('username = "CAROL"', ["Carol"]),
        ('username ^= "A"', ["alice"]),
        ('status = "Enabled"', ["alice", "bob", "Carol"]),
        ('status = "Disabled"', ["dave"]),
        ('status = "disabled"', []),
        ('cognito:user_status = "FORCE_CHANGE_PASSWORD"', ["alice", "bob", "Carol", "dave"]),
        ('cognito:user_status = "force_change_password"', ["alice", "bob", "Carol", "dave"]),
        ('cognito:user_status = "CONFIRMED"', []),
        ('  email   ^=   "alice"  ', ["alice"]),
    ],
)
def test_filters(idp_client: Any, people: str, filter_text: str, expected: list[str]) -> None:
    assert usernames(idp_client, people, filter_text) == expected


def test_sub_filter(idp_client: Any, people: str) -> None:
    bob = idp_client.admin_get_user(UserPoolId=people, Username="bob")
    sub = next(item["Value"] for item in bob["UserAttributes"] if item["Name"] == "sub")
    assert usernames(idp_client, people, f'sub = "{sub}"') == ["bob"]
    assert usernames(idp_client, people, f'sub ^= "{sub[:8]}"') == ["bob"]


def test_user_type(idp_client: Any, people: str) -> None:
    [user] = idp_client.list_users(UserPoolId=people, Filter='username = "dave"')["Users"]
    assert user["Enabled"] is False
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert isinstance(user["UserCreateDate"], datetime)
    assert isinstance(user["UserLastModifiedDate"], datetime)
    names = {attribute["Name"] for attribute in user["Attributes"]}
    assert {"sub", "email", "preferred_username", "family_name"} <= names


@pytest.mark.parametrize(
    ("filter_text", "message"),
    [
        ('custom:tier = "gold"', "Invalid search attribute: custom:tier"),
        ('locale = "en"', "Invalid search attribute: locale"),
        ('email = bob@example.org"', "Error while parsing filter."),
        ('email == "x"', "Error while parsing filter."),
        ('email = "unterminated', "Error while parsing filter."),
        ('email = "x" and name = "y"', "Error while parsing filter."),
        ("email", "Error while parsing filter."),
    ],
)
def test_invalid_filters(idp_client: Any, people: str, filter_text: str, message: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match=re.escape(message)):
        idp_client.list_users(UserPoolId=people, Filter=filter_text)


def test_attributes_to_get(idp_client: Any, people: str) -> None:
    found = idp_client.list_users(
        UserPoolId=people, Filter='username = "alice"', AttributesToGet=["email", "given_name"]
    )["Users"]
    assert sorted(found[0]["Attributes"], key=lambda item: item["Name"]) == [
        {"Name": "email", "Value": "alice@example.com"},
        {"Name": "given_name", "Value": "Alice"},
    ]
    # As in Cognito, an empty list selects no attributes at all.
    found = idp_client.list_users(UserPoolId=people, AttributesToGet=[])["Users"]
    assert len(found) == 4
    assert all(not user.get("Attributes") for user in found)
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException,
        match=re.escape("One or more requested attributes do not exist."),
    ):
        idp_client.list_users(UserPoolId=people, AttributesToGet=["email", "custom:nope"])


def test_errors(idp_client: Any, unchecked_client: Any, people: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.list_users(UserPoolId="us-east-1_nonexist0")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="limit"):
        unchecked_client.list_users(UserPoolId=people, Limit=61)
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="filter"):
        idp_client.list_users(UserPoolId=people, Filter=f'email = "{"x" * 260}"')


def test_pagination(idp_client: Any, pool_id: str) -> None:
    names = [f"member{index:02d}" for index in range(7)]
    for name in names:
        create_user(idp_client, pool_id, name, {"email": f"{name}@example.com"})
    first = idp_client.list_users(UserPoolId=pool_id, Limit=3)
    assert [user["Username"] for user in first["Users"]] == names[:3]
    paginator = idp_client.get_paginator("list_users")
    pages = list(paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert "PaginationToken" not in pages[-1]
    assert [user["Username"] for page in pages for user in page["Users"]] == names
    filtered = paginator.paginate(
        UserPoolId=pool_id, Filter='email ^= "member0"', PaginationConfig={"PageSize": 2}
    )
    assert [user["Username"] for page in filtered for user in page["Users"]] == names


def test_token_is_bound_to_its_pool(idp_client: Any, pool_id: str) -> None:
    for name in ("one", "two"):
        create_user(idp_client, pool_id, name, {})
    token = idp_client.list_users(UserPoolId=pool_id, Limit=1)["PaginationToken"]
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_users(UserPoolId=other, PaginationToken=token)
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_users(UserPoolId=pool_id, PaginationToken="not-a-token")


def test_case_sensitive_pool_username_filter(idp_client: Any) -> None:
    pool_id = idp_client.create_user_pool(
        PoolName="strict", UsernameConfiguration={"CaseSensitive": True}
    )["UserPool"]["Id"]
    create_user(idp_client, pool_id, "Erin", {})
    assert usernames(idp_client, pool_id, 'username = "Erin"') == ["Erin"]
    assert usernames(idp_client, pool_id, 'username = "erin"') == []


def test_csv_header(idp_client: Any) -> None:
    pool_id = idp_client.create_user_pool(
        PoolName="importer",
        Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    answer = idp_client.get_csv_header(UserPoolId=pool_id)
    assert answer["UserPoolId"] == pool_id
    assert answer["CSVHeader"] == [*DEFAULT_HEADER, "custom:tier"]
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.get_csv_header(UserPoolId="us-east-1_nonexist0")


async def _seed(store_url: str, pool_id: str, count: int) -> None:
    """Insert `count` users straight into the store: creating them one call at a time would
    take minutes, and only the listing is under test here."""
    now = datetime.now(UTC)
    engine = create_async_engine(store_url)
    try:
        async with engine.begin() as conn:
            base = {
                "pool_id": pool_id,
                "status": "CONFIRMED",
                "enabled": True,
                "mfa": {},
                "created_at": now,
                "updated_at": now,
            }
            rows = []
            for index in range(count):
                email = f"user{index}@example.com"
                rows.append(
                    {
                        **base,
                        "username": f"user{index}",
                        "username_key": f"user{index}",
                        "sub": str(uuid.uuid4()),
                        "attributes": {"email": email},
                    }
                )
            await conn.execute(users.insert(), rows)
            ids = (
                await conn.execute(
                    users.select()
                    .with_only_columns(users.c.id, users.c.username)
                    .where(users.c.pool_id == pool_id)
                )
            ).all()
            await conn.execute(
                user_attributes.insert(),
                [
                    {
                        "user_id": row.id,
                        "pool_id": pool_id,
                        "name": "email",
                        "value": f"{row.username}@example.com",
                    }
                    for row in ids
                ],
            )
    finally:
        await engine.dispose()


def test_prefix_filter_at_100k_users(idp_client: Any, pool_id: str, server: RunningServer) -> None:
    # Correctness at scale; the speed is measured by bench/admin_users.py, not by a timed test.
    asyncio.run(_seed(server.settings.store_url(), pool_id, 100_000))
    expected_first = sorted(
        [f"user{n}" for n in [42, *range(420, 430), *range(4200, 4300), *range(42000, 43000)]],
        key=lambda name: int(name[4:]),
    )[:60]
    found = idp_client.list_users(UserPoolId=pool_id, Filter='email ^= "user42"', Limit=60)
    assert [user["Username"] for user in found["Users"]] == expected_first
    assert "PaginationToken" in found
