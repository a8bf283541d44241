"""The triggers of a federated sign-in, run from handler files as AWS users write them:
InboundFederation, PreSignUp_ExternalProvider (first sign-in only), PostAuthentication and
PreTokenGeneration with TokenGeneration_HostedAuth."""

from __future__ import annotations

import httpx
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PostAuthenticationTriggerEvent,
    PreSignUpTriggerEvent,
    PreTokenGenerationTriggerEvent,
)

from tests.federation.conftest import ARN, PROVIDER, Downstream, Upstream, make_federation
from tests.federation.journey import attributes, claims, sign_in_federated, to_idp_response


def test_trigger_order_and_events(upstream: Upstream, downstream: Downstream) -> None:
    fed = make_federation(
        upstream, downstream,
        lambda_config={"PreSignUp": ARN + "recorder", "PostAuthentication": ARN + "recorder",
                       "PreTokenGeneration": ARN + "recorder"},
    )  # fmt: skip
    downstream.forget_events()
    username, upstream_sub = upstream.user()
    sign_in_federated(fed, username)
    federated_name = f"upstream_{upstream_sub}"

    pre_sign_up = PreSignUpTriggerEvent(downstream.event("PreSignUp_ExternalProvider"))
    assert pre_sign_up.user_pool_id == fed.pool_id
    assert pre_sign_up.user_name == federated_name
    assert pre_sign_up.caller_context.client_id == fed.client_id
    assert pre_sign_up.request.user_attributes["email"] == f"{username}@example.com"
    assert pre_sign_up.request.user_attributes["email_verified"] == "true"

    post = PostAuthenticationTriggerEvent(downstream.event("PostAuthentication_Authentication"))
    assert post.user_name == federated_name
    assert post.request.user_attributes["cognito:user_status"] == "EXTERNAL_PROVIDER"
    assert PROVIDER in post.request.user_attributes["identities"]

    pre_token = PreTokenGenerationTriggerEvent(downstream.event("TokenGeneration_HostedAuth"))
    assert pre_token.user_name == federated_name
    groups = pre_token.request.group_configuration.groups_to_override
    assert groups == [f"{fed.pool_id}_{PROVIDER}"]

    # The second sign-in is no sign-up: PreSignUp does not run again.
    downstream.forget_events()
    sign_in_federated(fed, username)
    assert not (downstream.functions / "PreSignUp_ExternalProvider.json").exists()
    assert (downstream.functions / "PostAuthentication_Authentication.json").exists()


def test_pre_sign_up_can_refuse_the_first_sign_in(
    upstream: Upstream, downstream: Downstream
) -> None:
    fed = make_federation(upstream, downstream, lambda_config={"PreSignUp": ARN + "refuse_blocked"})
    username, _ = upstream.user(email=f"x{upstream.pool_id[-4:]}@blocked.example")
    with httpx.Client() as http:
        answer = http.get(to_idp_response(http, fed, username))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "PreSignUp failed with error Domain not allowed." in answer.text
    assert downstream.client.list_users(UserPoolId=fed.pool_id)["Users"] == []
    allowed, _ = upstream.user()
    assert "id_token" in sign_in_federated(fed, allowed)


def test_inbound_federation_replaces_the_attributes_to_map(
    upstream: Upstream, downstream: Downstream
) -> None:
    fed = make_federation(
        upstream, downstream,
        lambda_config={"InboundFederation": {"LambdaArn": ARN + "inbound",
                                             "LambdaVersion": "V1_0"}},
        mapping={"email": "email", "name": "name", "custom:department": "department",
                 "email_verified": "email_verified"},
        Schema=[{"Name": "department", "AttributeDataType": "String", "Mutable": True}],
    )  # fmt: skip
    downstream.forget_events()
    username, upstream_sub = upstream.user(name="Ada Lovelace")
    tokens = sign_in_federated(fed, username)

    event = downstream.event("InboundFederation_ExternalProvider")
    assert event["triggerSource"] == "InboundFederation_ExternalProvider"
    assert event["userName"] == f"upstream_{upstream_sub}"
    assert event["callerContext"]["clientId"] == fed.client_id
    request = event["request"]
    assert request["providerName"] == PROVIDER
    assert request["providerType"] == "OIDC"
    assert request["attributes"]["idToken"]["sub"] == upstream_sub
    assert request["attributes"]["idToken"]["email_verified"] == "true"
    assert request["attributes"]["userInfo"]["email"] == f"{username}@example.com"
    assert request["attributes"]["tokenResponse"]["token_type"] == "Bearer"

    id_claims = claims(tokens["id_token"])
    assert id_claims["name"] == "Dr. Ada Lovelace"
    assert id_claims["custom:department"] == "R&D"
    # email_verified was not among the attributes the function kept: not mapped.
    assert "email_verified" not in id_claims
    _, stored = attributes(fed, f"upstream_{upstream_sub}")
    assert stored["custom:department"] == "R&D"
