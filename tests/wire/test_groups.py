"""Groups and memberships through boto3."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.config import Config

from tests.conftest import RunningServer, make_client

GROUP_EXISTS = re.escape("A group with the name already exists.")
GROUP_NOT_FOUND = re.escape("Group not found.")
USER_NOT_FOUND = re.escape("User does not exist.")
ROLE = "arn:aws:iam::000000000000:role/readers"


def create_user(idp_client: Any, pool_id: str, username: str, **attributes: str) -> None:
    idp_client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        MessageAction="SUPPRESS",
    )


def test_create_get_group(idp_client: Any, pool_id: str) -> None:
    created = idp_client.create_group(
        GroupName="readers", UserPoolId=pool_id, Description="Read only", RoleArn=ROLE, Precedence=3
    )["Group"]
    fetched = idp_client.get_group(GroupName="readers", UserPoolId=pool_id)["Group"]
    assert created == fetched
    assert fetched["GroupName"] == "readers"
    assert fetched["UserPoolId"] == pool_id
    assert fetched["Description"] == "Read only"
    assert fetched["RoleArn"] == ROLE
    assert fetched["Precedence"] == 3
    assert fetched["CreationDate"] == fetched["LastModifiedDate"]


def test_minimal_group_has_no_optional_fields(idp_client: Any, pool_id: str) -> None:
    group = idp_client.create_group(GroupName="plain", UserPoolId=pool_id)["Group"]
    assert "Description" not in group
    assert "RoleArn" not in group
    assert "Precedence" not in group


def test_duplicate_group(idp_client: Any, pool_id: str) -> None:
    idp_client.create_group(GroupName="dup", UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.GroupExistsException, match=GROUP_EXISTS):
        idp_client.create_group(GroupName="dup", UserPoolId=pool_id)


def test_same_name_in_two_pools(idp_client: Any, pool_id: str) -> None:
    other = idp_client.create_user_pool(PoolName="second")["UserPool"]["Id"]
    idp_client.create_group(GroupName="shared", UserPoolId=pool_id)
    idp_client.create_group(GroupName="shared", UserPoolId=other)


@pytest.fixture
def unchecked_client(server: RunningServer) -> Any:
    """A boto3 client that sends invalid parameters instead of refusing them itself."""
    return make_client(server.url, config=Config(parameter_validation=False))


def test_group_validation(unchecked_client: Any, pool_id: str) -> None:
    client = unchecked_client
    invalid = client.exceptions.InvalidParameterException
    with pytest.raises(invalid, match="groupName"):
        client.create_group(GroupName="bad name\u0001", UserPoolId=pool_id)
    with pytest.raises(invalid, match="precedence"):
        client.create_group(GroupName="neg", UserPoolId=pool_id, Precedence=-1)
    with pytest.raises(invalid, match="roleArn"):
        client.create_group(GroupName="role", UserPoolId=pool_id, RoleArn="not-an-arn-at-all-xyz")
    with pytest.raises(invalid, match="limit"):
        client.list_groups(UserPoolId=pool_id, Limit=61)


def test_unknown_pool_and_group(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="does not exist"):
        idp_client.create_group(GroupName="g", UserPoolId="us-east-1_nonexist0")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match=GROUP_NOT_FOUND):
        idp_client.get_group(GroupName="missing", UserPoolId=pool_id)
    for call in (idp_client.update_group, idp_client.delete_group):
        with pytest.raises(
            idp_client.exceptions.ResourceNotFoundException, match="Group not found"
        ):
            call(GroupName="missing", UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="Group not found"):
        idp_client.list_users_in_group(GroupName="missing", UserPoolId=pool_id)


def test_update_changes_only_given_fields(idp_client: Any, pool_id: str) -> None:
    before = idp_client.create_group(
        GroupName="editors", UserPoolId=pool_id, Description="old", RoleArn=ROLE, Precedence=5
    )["Group"]
    after = idp_client.update_group(GroupName="editors", UserPoolId=pool_id, Precedence=1)["Group"]
    assert after["Precedence"] == 1
    assert after["Description"] == "old"
    assert after["RoleArn"] == ROLE
    assert after["CreationDate"] == before["CreationDate"]
    assert after["LastModifiedDate"] >= before["LastModifiedDate"]
    idp_client.update_group(GroupName="editors", UserPoolId=pool_id, Description="new")
    fetched = idp_client.get_group(GroupName="editors", UserPoolId=pool_id)["Group"]
    assert (fetched["Description"], fetched["Precedence"]) == ("new", 1)


def test_list_groups_ordered_and_paged(idp_client: Any, pool_id: str) -> None:
    names = [f"g{index:02d}" for index in range(7)]
    for name in reversed(names):
        idp_client.create_group(GroupName=name, UserPoolId=pool_id)
    first = idp_client.list_groups(UserPoolId=pool_id, Limit=3)
    assert [group["GroupName"] for group in first["Groups"]] == names[:3]
    paginator = idp_client.get_paginator("list_groups")
    pages = list(paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert "NextToken" not in pages[-1]
    assert [group["GroupName"] for page in pages for group in page["Groups"]] == names
    everything = idp_client.list_groups(UserPoolId=pool_id)
    assert [group["GroupName"] for group in everything["Groups"]] == names
    assert "NextToken" not in everything


def test_group_token_is_bound_to_its_pool(idp_client: Any, pool_id: str) -> None:
    for name in ("a", "b"):
        idp_client.create_group(GroupName=name, UserPoolId=pool_id)
    token = idp_client.list_groups(UserPoolId=pool_id, Limit=1)["NextToken"]
    other = idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_groups(UserPoolId=other, NextToken=token)
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_groups(UserPoolId=pool_id, NextToken="garbage")


def test_membership(idp_client: Any, pool_id: str) -> None:
    create_user(idp_client, pool_id, "alice", email="alice@example.com")
    for name in ("admins", "readers"):
        idp_client.create_group(GroupName=name, UserPoolId=pool_id)
    for _ in range(2):  # adding twice is not an error
        idp_client.admin_add_user_to_group(
            UserPoolId=pool_id, Username="alice", GroupName="readers"
        )
    idp_client.admin_add_user_to_group(UserPoolId=pool_id, Username="ALICE", GroupName="admins")
    groups = idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"]
    assert [group["GroupName"] for group in groups] == ["admins", "readers"]
    members = idp_client.list_users_in_group(UserPoolId=pool_id, GroupName="readers")["Users"]
    assert [user["Username"] for user in members] == ["alice"]
    assert {"Name": "email", "Value": "alice@example.com"} in members[0]["Attributes"]
    assert members[0]["Enabled"] is True
    assert members[0]["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    idp_client.admin_remove_user_from_group(
        UserPoolId=pool_id, Username="alice", GroupName="readers"
    )
    groups = idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"]
    assert [group["GroupName"] for group in groups] == ["admins"]
    assert idp_client.list_users_in_group(UserPoolId=pool_id, GroupName="readers")["Users"] == []


def test_membership_errors(idp_client: Any, pool_id: str) -> None:
    idp_client.create_group(GroupName="g", UserPoolId=pool_id)
    create_user(idp_client, pool_id, "bob")
    with pytest.raises(idp_client.exceptions.UserNotFoundException, match=USER_NOT_FOUND):
        idp_client.admin_add_user_to_group(UserPoolId=pool_id, Username="nobody", GroupName="g")
    with pytest.raises(idp_client.exceptions.UserNotFoundException, match=USER_NOT_FOUND):
        idp_client.admin_remove_user_from_group(
            UserPoolId=pool_id, Username="nobody", GroupName="g"
        )
    with pytest.raises(idp_client.exceptions.UserNotFoundException, match=USER_NOT_FOUND):
        idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="nobody")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match=GROUP_NOT_FOUND):
        idp_client.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="nope")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match=GROUP_NOT_FOUND):
        idp_client.admin_remove_user_from_group(
            UserPoolId=pool_id, Username="bob", GroupName="nope"
        )


def test_delete_group_removes_memberships(idp_client: Any, pool_id: str) -> None:
    create_user(idp_client, pool_id, "carol")
    idp_client.create_group(GroupName="temp", UserPoolId=pool_id, Description="first")
    idp_client.admin_add_user_to_group(UserPoolId=pool_id, Username="carol", GroupName="temp")
    idp_client.delete_group(GroupName="temp", UserPoolId=pool_id)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match=GROUP_NOT_FOUND):
        idp_client.get_group(GroupName="temp", UserPoolId=pool_id)
    assert (
        idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="carol")["Groups"] == []
    )
    # A new group of the same name starts empty.
    idp_client.create_group(GroupName="temp", UserPoolId=pool_id)
    assert idp_client.list_users_in_group(UserPoolId=pool_id, GroupName="temp")["Users"] == []


def test_deleting_user_removes_memberships(idp_client: Any, pool_id: str) -> None:
    create_user(idp_client, pool_id, "dave")
    idp_client.create_group(GroupName="g", UserPoolId=pool_id)
    idp_client.admin_add_user_to_group(UserPoolId=pool_id, Username="dave", GroupName="g")
    idp_client.admin_delete_user(UserPoolId=pool_id, Username="dave")
    assert idp_client.list_users_in_group(UserPoolId=pool_id, GroupName="g")["Users"] == []


def test_membership_paginators(idp_client: Any, pool_id: str) -> None:
    usernames = [f"user{index}" for index in range(5)]
    for username in usernames:
        create_user(idp_client, pool_id, username)
    group_names = [f"team{index}" for index in range(5)]
    for name in group_names:
        idp_client.create_group(GroupName=name, UserPoolId=pool_id)
        for username in usernames:
            idp_client.admin_add_user_to_group(
                UserPoolId=pool_id, Username=username, GroupName=name
            )

    users = idp_client.get_paginator("list_users_in_group").paginate(
        UserPoolId=pool_id, GroupName="team0", PaginationConfig={"PageSize": 2}
    )
    pages = list(users)
    assert len(pages) == 3
    assert [user["Username"] for page in pages for user in page["Users"]] == usernames

    groups = idp_client.get_paginator("admin_list_groups_for_user").paginate(
        UserPoolId=pool_id, Username="user3", PaginationConfig={"PageSize": 2}
    )
    pages = list(groups)
    assert len(pages) == 3
    assert [group["GroupName"] for page in pages for group in page["Groups"]] == group_names

    # A token paging one user's groups does not page another user's.
    token = idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="user3", Limit=1)[
        "NextToken"
    ]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.admin_list_groups_for_user(UserPoolId=pool_id, Username="user4", NextToken=token)
