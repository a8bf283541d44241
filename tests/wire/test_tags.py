"""Tagging user pools through boto3: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

import pytest


def test_tags_round_trip(idp_client: Any) -> None:
    pool = idp_client.create_user_pool(PoolName="tagged", UserPoolTags={"team": "identity"})[
        "UserPool"
    ]
    arn = pool["Arn"]
    assert idp_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "identity"}
    idp_client.tag_resource(ResourceArn=arn, Tags={"env": "dev", "team": "platform"})
    assert idp_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "team": "platform",
        "env": "dev",
    }
    described = idp_client.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["UserPoolTags"] == {"team": "platform", "env": "dev"}
    idp_client.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert idp_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "dev"}


def test_pool_without_tags(idp_client: Any, pool: dict[str, Any]) -> None:
    assert idp_client.list_tags_for_resource(ResourceArn=pool["Arn"])["Tags"] == {}


def test_tag_limit(idp_client: Any, pool: dict[str, Any]) -> None:
    arn = pool["Arn"]
    idp_client.tag_resource(ResourceArn=arn, Tags={f"k{index}": "v" for index in range(50)})
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="50"):
        idp_client.tag_resource(ResourceArn=arn, Tags={"one-more": "v"})
    # Replacing an existing key stays within the limit.
    idp_client.tag_resource(ResourceArn=arn, Tags={"k0": "changed"})
    assert len(idp_client.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_doesNotEx",
        "arn:aws:cognito-idp:us-east-1:000000000000:identitypool/whatever",
        "arn:aws:iam::000000000000:role/some-role",
    ],
)
def test_unknown_resource(idp_client: Any, arn: str) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = [
        (idp_client.list_tags_for_resource, {}),
        (idp_client.tag_resource, {"Tags": {"a": "b"}}),
        (idp_client.untag_resource, {"TagKeys": ["a"]}),
    ]
    for call, arguments in calls:
        with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
            call(ResourceArn=arn, **arguments)


def test_arn_of_another_account(idp_client: Any, pool: dict[str, Any]) -> None:
    foreign = pool["Arn"].replace(":000000000000:", ":123456789012:")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.list_tags_for_resource(ResourceArn=foreign)
