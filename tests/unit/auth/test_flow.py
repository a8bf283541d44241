"""The sign-in engine's pure rules: flows, decoys, password and SRP proofs, user states, steps.

SRP proofs are made by pycognito's AWSSRP, an independent client.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycognito import aws_srp

from cognate.auth import flow, passwords, sessions, srp
from cognate.auth.flow import AuthFlow, Challenge
from cognate.domain.client import Client
from cognate.domain.pool import Pool, new_pool_config
from cognate.domain.user import User, UserStatus
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from cognate.secretbox import SecretBox

BOX = SecretBox(secrets.token_bytes(32))
NOW = datetime(2025, 3, 3, 9, 5, 7, tzinfo=UTC)
POOL_ID = "us-east-1_AbCdEfGhI"
PASSWORD = "Passw0rd!"
ALL_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
]


def make_pool(**request: Any) -> Pool:
    return Pool(
        id=POOL_ID,
        name="p",
        config=new_pool_config({"PoolName": "p", **request}),
        created_at=NOW,
        updated_at=NOW,
    )


def make_client(flows: list[str] | None = None, *, enabled: bool = False) -> Client:
    config = {
        "ExplicitAuthFlows": ALL_FLOWS if flows is None else flows,
        "PreventUserExistenceErrors": "ENABLED" if enabled else "LEGACY",
    }
    return Client(
        id="client",
        pool_id=POOL_ID,
        name="c",
        config=config,
        has_secret=False,
        created_at=NOW,
        updated_at=NOW,
    )


def make_user(password: str | None = PASSWORD, **overrides: Any) -> User:
    fields: dict[str, Any] = {
        "id": 7,
        "pool_id": POOL_ID,
        "username": "alice",
        "sub": "00000000-0000-4000-8000-000000000000",
        "status": UserStatus.CONFIRMED,
        "is_enabled": True,
        "attributes": {"sub": "00000000-0000-4000-8000-000000000000", "email": "a@example.com"},
        "password": None,
        "password_set_at": NOW,
        "mfa": {},
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(overrides)
    if password is not None:
        fields["password"] = passwords.encode_credential(
            BOX, pool_id=POOL_ID, username=fields["username"], password=password
        )
    return User(**fields)


@pytest.mark.parametrize(
    ("auth_flow", "is_admin", "error"),
    [
        ("USER_SRP_AUTH", False, None),
        ("USER_SRP_AUTH", True, None),
        ("USER_PASSWORD_AUTH", False, None),
        ("USER_PASSWORD_AUTH", True, "Initiate Auth method not supported."),
        ("ADMIN_USER_PASSWORD_AUTH", False, "Initiate Auth method not supported."),
        ("ADMIN_NO_SRP_AUTH", False, "Initiate Auth method not supported."),
        ("ADMIN_USER_PASSWORD_AUTH", True, None),
        ("ADMIN_NO_SRP_AUTH", True, None),
        ("REFRESH_TOKEN_AUTH", False, None),
        ("REFRESH_TOKEN", True, None),
        ("CUSTOM_AUTH", False, "Custom auth lambda trigger is not configured for the user pool."),
        ("NO_SUCH_FLOW", False, "Invalid AuthFlow: NO_SUCH_FLOW"),
    ],
)
def test_flows_per_operation(auth_flow, is_admin, error):
    client = make_client()
    if error is None:
        assert flow.check_auth_flow(auth_flow, client, is_admin=is_admin) == auth_flow
    else:
        with pytest.raises(InvalidParameterException) as caught:
            flow.check_auth_flow(auth_flow, client, is_admin=is_admin)
        assert caught.value.message == error


def test_custom_auth_with_a_define_auth_challenge_function():
    client = make_client()
    assert flow.check_auth_flow("CUSTOM_AUTH", client, is_admin=True, has_custom_auth=True) == (
        "CUSTOM_AUTH"
    )


def test_user_auth_is_accepted_when_the_client_allows_it():
    assert flow.check_auth_flow("USER_AUTH", make_client(), is_admin=False) == "USER_AUTH"
    assert flow.check_auth_flow("USER_AUTH", make_client(), is_admin=True) == "USER_AUTH"


def test_flow_must_be_enabled_for_the_client():
    client = make_client(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(InvalidParameterException) as caught:
        flow.check_auth_flow("USER_PASSWORD_AUTH", client, is_admin=False)
    assert caught.value.message == "USER_PASSWORD_AUTH flow not enabled for this client"


def test_required_parameters():
    assert flow.required({"USERNAME": "bob"}, "USERNAME") == "bob"
    for parameters in (None, {}, {"USERNAME": ""}):
        with pytest.raises(InvalidParameterException, match=r"^Missing required parameter USER"):
            flow.required(parameters, "USERNAME")


def test_srp_a_must_be_hex_and_not_a_multiple_of_n():
    assert flow.parse_srp_a("0abc") == 0xABC
    with pytest.raises(InvalidParameterException):
        flow.parse_srp_a("-12")
    for bad in ("0", format(srp.N, "x"), format(2 * srp.N, "x")):
        with pytest.raises(NotAuthorizedException, match=r"Incorrect username or password\."):
            flow.parse_srp_a(bad)


def test_unknown_user_legacy_is_user_not_found():
    with pytest.raises(UserNotFoundException, match=r"^User does not exist\.$"):
        flow.subject_of(BOX, make_pool(), make_client(), None, "ghost")


@given(name=st.text(min_size=1, max_size=30))
def test_decoys_are_deterministic_and_shaped_like_users(name):
    pool, client = make_pool(), make_client(enabled=True)
    first = flow.subject_of(BOX, pool, client, None, name)
    second = flow.subject_of(BOX, pool, client, None, name.upper() if name.isascii() else name)
    if name.isascii():
        assert first == second  # case variants share the decoy in a case-insensitive pool
    salt, verifier = flow.decoy_verifier(BOX, pool.id, first.user_id_for_srp)
    assert (salt, verifier) == flow.decoy_verifier(BOX, pool.id, first.user_id_for_srp)
    assert len(salt) == srp.SALT_BYTES and 0 < verifier < srp.N
    assert first.user is None and first.credential is None
    assert len(first.lockout_key) == 64


def test_decoy_id_is_a_uuid_where_real_usernames_are():
    email_pool = make_pool(UsernameAttributes=["email"])
    decoy = flow.decoy_id(BOX, email_pool, "Nobody@Example.com")
    assert len(decoy) == 36 and decoy.count("-") == 4
    assert decoy == flow.decoy_id(BOX, email_pool, "nobody@example.com")
    assert flow.decoy_id(BOX, make_pool(), "Ghost") == "ghost"


def test_subject_of_a_user_is_keyed_by_its_id():
    user = make_user()
    subject = flow.subject_of(BOX, make_pool(), make_client(), user, "A@EXAMPLE.COM")
    assert (subject.user, subject.user_id_for_srp, subject.lockout_key) == (user, "alice", "7")


def test_plain_password_check():
    pool = make_pool()
    subject = flow.subject_of(BOX, pool, make_client(), make_user(), "alice")
    assert flow.password_matches(BOX, POOL_ID, subject, PASSWORD)
    assert not flow.password_matches(BOX, POOL_ID, subject, PASSWORD + "x")
    decoy = flow.subject_of(BOX, pool, make_client(enabled=True), None, "ghost")
    assert not flow.password_matches(BOX, POOL_ID, decoy, PASSWORD)


def test_unknown_and_wrong_password_do_the_same_exponentiations():
    """No timing oracle by construction: both paths make the same fixed-base exponentiations
    (x and b, each at most 256 bits) and no other."""
    pool = make_pool()
    user = flow.subject_of(BOX, pool, make_client(), make_user(), "alice")
    decoy = flow.subject_of(BOX, pool, make_client(enabled=True), None, "ghost")
    counts = []
    for subject in (user, decoy):
        with (
            mock.patch.object(srp, "g_pow", wraps=srp.g_pow) as g_pow,
            mock.patch.object(srp, "powmod", wraps=srp.powmod) as powmod,
        ):
            flow.password_matches(BOX, POOL_ID, subject, "wrong")
            flow.start_password_verifier(BOX, POOL_ID, subject)
        counts.append([call.args[0].bit_length() <= 256 for call in g_pow.call_args_list])
        assert powmod.call_count == 0
    assert counts[0] == counts[1] == [True, True]


def srp_round(
    subject: flow.Subject, password: str, *, now: datetime = NOW, tamper: bool = False
) -> bool:
    """One USER_SRP_AUTH round trip with pycognito as the client."""
    client = aws_srp.AWSSRP(
        username=subject.user_id_for_srp,
        password=password,
        pool_id=POOL_ID,
        client_id="client",
        client=object(),
    )
    request = client.get_auth_params()
    big_a = flow.parse_srp_a(request["SRP_A"])
    start = flow.start_password_verifier(BOX, POOL_ID, subject)
    session = sessions.new_session(
        pool_id=POOL_ID,
        client_id="client",
        username=subject.user_id_for_srp,
        challenge=Challenge.PASSWORD_VERIFIER,
        now=now,
        validity=timedelta(minutes=3),
        srp_a=big_a,
        srp_small_b=start.small_b,
        srp_big_b=start.big_b,
    )
    block = sessions.seal(BOX, session, sessions.SECRET_BLOCK_PURPOSE)
    parameters = flow.password_verifier_parameters(
        start, secret_block=block, user_id_for_srp=subject.user_id_for_srp
    )
    responses = dict(client.process_challenge(parameters, request))
    if tamper:
        responses["PASSWORD_CLAIM_SIGNATURE"] = responses["PASSWORD_CLAIM_SIGNATURE"][::-1]
    sent_at = srp.parse_timestamp(responses["TIMESTAMP"])
    assert sent_at is not None
    return flow.password_claim_is_valid(BOX, POOL_ID, subject, session, responses, sent_at)


@settings(max_examples=8, deadline=None)
@given(password=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
def test_srp_with_pycognito_proves_only_the_right_password(password):
    subject = flow.subject_of(BOX, make_pool(), make_client(), make_user(password), "alice")
    assert srp_round(subject, password)
    assert not srp_round(subject, password + "!")


def test_srp_rejects_a_tampered_signature_and_decoys():
    subject = flow.subject_of(BOX, make_pool(), make_client(), make_user(), "alice")
    assert not srp_round(subject, PASSWORD, tamper=True)
    decoy = flow.subject_of(BOX, make_pool(), make_client(enabled=True), None, "ghost")
    assert not srp_round(decoy, PASSWORD)


def test_srp_salt_is_canonical_and_shaped_alike_for_decoys():
    pool = make_pool()
    real = flow.subject_of(BOX, pool, make_client(), make_user(), "alice")
    decoy = flow.subject_of(BOX, pool, make_client(enabled=True), None, "ghost")
    for subject in (real, decoy):
        start = flow.start_password_verifier(BOX, POOL_ID, subject)
        parameters = flow.password_verifier_parameters(
            start, secret_block="x", user_id_for_srp=subject.user_id_for_srp
        )
        assert set(parameters) == {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"}
        assert parameters["SALT"] == srp.pad_hex(int(parameters["SALT"], 16))


def test_srp_timestamp_must_be_within_five_minutes():
    subject = flow.subject_of(BOX, make_pool(), make_client(), make_user(), "alice")
    client = aws_srp.AWSSRP(
        username="alice", password=PASSWORD, pool_id=POOL_ID, client_id="c", client=object()
    )
    request = client.get_auth_params()
    start = flow.start_password_verifier(BOX, POOL_ID, subject)
    session = sessions.new_session(
        pool_id=POOL_ID, client_id="c", username="alice", challenge="PASSWORD_VERIFIER",
        now=NOW, validity=timedelta(minutes=3), srp_a=int(request["SRP_A"], 16),
        srp_small_b=start.small_b, srp_big_b=start.big_b,
    )  # fmt: skip
    parameters = flow.password_verifier_parameters(
        start, secret_block=sessions.seal(BOX, session, "p"), user_id_for_srp="alice"
    )
    responses = client.process_challenge(parameters, request)
    sent_at = srp.parse_timestamp(responses["TIMESTAMP"])
    assert sent_at is not None
    for offset, expected in ((4, True), (6, False), (-6, False)):
        now = sent_at + timedelta(minutes=offset)
        assert flow.password_claim_is_valid(BOX, POOL_ID, subject, session, responses, now) is (
            expected
        )
    responses = {**responses, "TIMESTAMP": "yesterday"}
    assert not flow.password_claim_is_valid(BOX, POOL_ID, subject, session, responses, sent_at)


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"is_enabled": False}, NotAuthorizedException, "User is disabled."),
        ({"status": UserStatus.UNCONFIRMED}, UserNotConfirmedException, "User is not confirmed."),
        ({"status": UserStatus.RESET_REQUIRED}, PasswordResetRequiredException,
         "Password reset required for the user"),
        ({"status": UserStatus.FORCE_CHANGE_PASSWORD,
          "password_set_at": NOW - timedelta(days=7, seconds=1)}, NotAuthorizedException,
         "Temporary password has expired and must be reset by an administrator."),
    ],
)  # fmt: skip
def test_user_states_after_a_correct_password(overrides, error, message):
    with pytest.raises(error) as caught:
        flow.check_can_sign_in(make_pool(), make_user(None, **overrides), NOW)
    assert caught.value.message == message


def test_fresh_temporary_password_leads_to_new_password_required():
    pool = make_pool(Policies={"PasswordPolicy": {"TemporaryPasswordValidityDays": 1}})
    user = make_user(
        None, status=UserStatus.FORCE_CHANGE_PASSWORD, password_set_at=NOW - timedelta(hours=23)
    )
    flow.check_can_sign_in(pool, user, NOW)
    attempt = flow.Attempt(pool=pool, client=make_client(), user=user)
    assert flow.next_challenge(attempt) == Challenge.NEW_PASSWORD_REQUIRED
    done = flow.Attempt(
        pool=pool, client=make_client(), user=user, completed=("NEW_PASSWORD_REQUIRED",)
    )
    assert flow.next_challenge(done) is None
    confirmed = flow.Attempt(pool=pool, client=make_client(), user=make_user(None))
    assert flow.next_challenge(confirmed) is None


def test_new_password_required_parameters_list_missing_required_attributes():
    pool = make_pool(
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}],
    )
    user = make_user(None, status=UserStatus.FORCE_CHANGE_PASSWORD)
    attempt = flow.Attempt(pool=pool, client=make_client(), user=user)
    parameters = flow.challenge_parameters(Challenge.NEW_PASSWORD_REQUIRED, attempt)
    assert parameters["USER_ID_FOR_SRP"] == "alice"
    assert json.loads(parameters["requiredAttributes"]) == ["userAttributes.name"]
    assert json.loads(parameters["userAttributes"]) == {"email": "a@example.com"}


def test_new_password_attributes_are_checked_and_required_ones_enforced():
    pool = make_pool(Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}])
    user = make_user(None, status=UserStatus.FORCE_CHANGE_PASSWORD)
    with pytest.raises(InvalidParameterException, match="name: The attribute is required"):
        flow.new_password_attributes(pool, user, {"NEW_PASSWORD": "x"})
    with pytest.raises(InvalidParameterException, match="does not exist in the schema"):
        flow.new_password_attributes(pool, user, {"userAttributes.nope": "x"})
    updated = flow.new_password_attributes(pool, user, {"userAttributes.name": "Alice"})
    assert updated["name"] == "Alice" and updated["email"] == "a@example.com"


def test_refresh_and_password_flow_sets():
    assert {AuthFlow.REFRESH_TOKEN, AuthFlow.REFRESH_TOKEN_AUTH} == flow.REFRESH_FLOWS
