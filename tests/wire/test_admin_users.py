"""User administration over the wire with boto3: create, get, delete, enable/disable, attributes,
passwords, confirmation, invitations (through real SMTP and SMS sinks)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_client, start_server
from tests.sinks import SmsSink, SmtpSink, sms_sink, smtp_sink

PASSWORD = "Passw0rd!"
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def attributes_of(user: dict[str, Any], key: str = "UserAttributes") -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in user[key]}


def create(client: Any, pool_id: str, username: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("MessageAction", "SUPPRESS")
    result: dict[str, Any] = client.admin_create_user(
        UserPoolId=pool_id, Username=username, **kwargs
    )["User"]
    return result


def new_pool(client: Any, **kwargs: Any) -> str:
    name = f"pool-{uuid.uuid4().hex[:8]}"
    return str(client.create_user_pool(PoolName=name, **kwargs)["UserPool"]["Id"])


def user_names(client: Any, pool_id: str) -> list[str]:
    users = client.list_users(UserPoolId=pool_id)["Users"]
    return [user["Username"] for user in users]


# --- AdminCreateUser / AdminGetUser ------------------------------------------------------------


def test_create_and_get_user(idp_client: Any, pool_id: str) -> None:
    user = create(
        idp_client,
        pool_id,
        "Alice",
        UserAttributes=[
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "name", "Value": "A"},
        ],
        TemporaryPassword="Temp0rary!",
        ValidationData=[{"Name": "ignored", "Value": "x"}],
    )
    assert user["Username"] == "Alice"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    attributes = attributes_of(user, "Attributes")
    assert UUID_PATTERN.fullmatch(attributes["sub"])
    assert attributes["email"] == "alice@example.com"
    got = idp_client.admin_get_user(UserPoolId=pool_id, Username="Alice")
    assert got["Username"] == "Alice"
    assert got["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert attributes_of(got) == attributes
    assert got["UserCreateDate"] == user["UserCreateDate"]
    assert "MFAOptions" not in got and "UserMFASettingList" not in got


def test_usernames_are_case_insensitive_by_default(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "CaseUser")
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="caseuser")["Username"] == (
        "CaseUser"
    )
    with pytest.raises(
        idp_client.exceptions.UsernameExistsException, match="User account already exists"
    ):
        create(idp_client, pool_id, "CASEUSER")


def test_case_sensitive_pool_keeps_case_apart(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, UsernameConfiguration={"CaseSensitive": True})
    create(idp_client, pool_id, "Bob")
    create(idp_client, pool_id, "bob")
    with pytest.raises(
        idp_client.exceptions.UserNotFoundException, match=re.escape("User does not exist.")
    ):
        idp_client.admin_get_user(UserPoolId=pool_id, Username="BOB")


def test_email_as_username_pool(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, UsernameAttributes=["email"])
    user = create(idp_client, pool_id, "Jane@Example.com")
    assert UUID_PATTERN.fullmatch(user["Username"])
    attributes = attributes_of(user, "Attributes")
    assert attributes["email"] == "Jane@Example.com"
    assert attributes["sub"] == user["Username"]
    for name in ("Jane@Example.com", "jane@example.com", user["Username"]):
        got = idp_client.admin_get_user(UserPoolId=pool_id, Username=name)
        assert got["Username"] == user["Username"]
    with pytest.raises(
        idp_client.exceptions.UsernameExistsException,
        match=re.escape("An account with the given email already exists."),
    ):
        create(idp_client, pool_id, "JANE@example.com")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="should be an email"):
        create(idp_client, pool_id, "not-an-email")


def test_phone_as_username_pool(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, UsernameAttributes=["phone_number"])
    user = create(idp_client, pool_id, "+15550001111")
    assert attributes_of(user, "Attributes")["phone_number"] == "+15550001111"
    got = idp_client.admin_get_user(UserPoolId=pool_id, Username="+15550001111")
    assert got["Username"] == user["Username"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="phone number"):
        create(idp_client, pool_id, "a@example.com")


def test_alias_pool_lookup_needs_verified_email(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, AliasAttributes=["email", "preferred_username"])
    create(
        idp_client,
        pool_id,
        "verified",
        UserAttributes=[
            {"Name": "email", "Value": "V@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "preferred_username", "Value": "Vee"},
        ],
    )
    create(
        idp_client,
        pool_id,
        "unverified",
        UserAttributes=[{"Name": "email", "Value": "u@example.com"}],
    )
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="v@EXAMPLE.com")["Username"] == (
        "verified"
    )
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="vee")["Username"] == "verified"
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_get_user(UserPoolId=pool_id, Username="u@example.com")
    # An unverified email is no alias, so another user may share it.
    create(
        idp_client, pool_id, "other", UserAttributes=[{"Name": "email", "Value": "u@example.com"}]
    )
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="email format"):
        create(idp_client, pool_id, "x@example.com")


def test_alias_conflict_and_force_alias_creation(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, AliasAttributes=["email"])
    verified = [
        {"Name": "email", "Value": "shared@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    create(idp_client, pool_id, "first", UserAttributes=verified)
    with pytest.raises(
        idp_client.exceptions.AliasExistsException,
        match=re.escape("An account with the given email already exists."),
    ):
        create(idp_client, pool_id, "second", UserAttributes=verified)
    assert "second" not in user_names(idp_client, pool_id)
    create(idp_client, pool_id, "second", UserAttributes=verified, ForceAliasCreation=True)
    got = idp_client.admin_get_user(UserPoolId=pool_id, Username="shared@example.com")
    assert got["Username"] == "second"
    first = idp_client.admin_get_user(UserPoolId=pool_id, Username="first")
    assert attributes_of(first)["email_verified"] == "false"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            [{"Name": "nickname2", "Value": "x"}],
            "nickname2: Attribute does not exist in the schema.",
        ),
        ([{"Name": "sub", "Value": "x"}], "sub: Attribute cannot be updated."),
        ([{"Name": "email", "Value": "no-at-sign"}], "Invalid email address format."),
        ([{"Name": "phone_number", "Value": "555-1234"}], "Invalid phone number format."),
        ([{"Name": "email_verified", "Value": "yes"}], "email_verified: Value must be"),
        ([{"Name": "birthdate", "Value": "2020-1-1"}], "birthdate: String must be at least 10"),
    ],
)
def test_invalid_attributes_create_nothing(
    idp_client: Any, pool_id: str, attributes: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match=re.escape(message)):
        create(idp_client, pool_id, "bad-attrs", UserAttributes=attributes)
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_get_user(UserPoolId=pool_id, Username="bad-attrs")


def test_required_attribute_and_custom_constraints(idp_client: Any) -> None:
    pool_id = new_pool(
        idp_client,
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {
                "Name": "age",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"},
            },
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException,
        match="Attributes did not conform to the schema: email: The attribute is required",
    ):
        create(idp_client, pool_id, "nomail")
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException, match="no greater than 150"
    ):
        create(
            idp_client,
            pool_id,
            "old",
            UserAttributes=[
                {"Name": "email", "Value": "o@example.com"},
                {"Name": "custom:age", "Value": "151"},
            ],
        )
    assert user_names(idp_client, pool_id) == []
    create(
        idp_client,
        pool_id,
        "ok",
        UserAttributes=[
            {"Name": "email", "Value": "ok@example.com"},
            {"Name": "custom:age", "Value": "42"},
            {"Name": "custom:badge", "Value": "B1"},
        ],
    )
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="cannot be updated"):
        idp_client.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="ok",
            UserAttributes=[{"Name": "custom:badge", "Value": "B2"}],
        )
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="is required"):
        idp_client.admin_delete_user_attributes(
            UserPoolId=pool_id, Username="ok", UserAttributeNames=["email"]
        )


def test_weak_temporary_password(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidPasswordException, match="not long enough"):
        create(idp_client, pool_id, "weak", TemporaryPassword="Ab1!")
    assert "weak" not in user_names(idp_client, pool_id)


def test_unknown_pool(idp_client: Any) -> None:
    missing = "us-east-1_Missing00"
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        create(idp_client, missing, "x")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.admin_get_user(UserPoolId=missing, Username="x")


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("admin_get_user", {}),
        ("admin_delete_user", {}),
        ("admin_enable_user", {}),
        ("admin_disable_user", {}),
        ("admin_confirm_sign_up", {}),
        ("admin_reset_user_password", {}),
        ("admin_user_global_sign_out", {}),
        ("admin_set_user_password", {"Password": PASSWORD, "Permanent": True}),
        ("admin_update_user_attributes", {"UserAttributes": [{"Name": "name", "Value": "n"}]}),
        ("admin_delete_user_attributes", {"UserAttributeNames": ["name"]}),
    ],
)
def test_unknown_user(idp_client: Any, pool_id: str, operation: str, extra: dict[str, Any]) -> None:
    with pytest.raises(
        idp_client.exceptions.UserNotFoundException, match=re.escape("User does not exist.")
    ):
        getattr(idp_client, operation)(UserPoolId=pool_id, Username="ghost", **extra)


def test_parallel_creates_of_one_username(idp_client: Any, pool_id: str) -> None:
    def attempt(_: int) -> str:
        try:
            create(idp_client, pool_id, "racer")
        except idp_client.exceptions.UsernameExistsException:
            return "exists"
        return "created"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    assert outcomes.count("created") == 1
    assert outcomes.count("exists") == 9
    assert user_names(idp_client, pool_id) == ["racer"]


# --- delete / enable / disable / confirm / sign-out --------------------------------------------


def test_delete_enable_disable(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "toggle")
    idp_client.admin_disable_user(UserPoolId=pool_id, Username="toggle")
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="toggle")["Enabled"] is False
    idp_client.admin_enable_user(UserPoolId=pool_id, Username="TOGGLE")
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="toggle")["Enabled"] is True
    assert idp_client.admin_user_global_sign_out(UserPoolId=pool_id, Username="toggle")
    idp_client.admin_delete_user(UserPoolId=pool_id, Username="toggle")
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.admin_get_user(UserPoolId=pool_id, Username="toggle")
    create(idp_client, pool_id, "toggle")  # the name is free again


def test_confirm_sign_up_only_from_unconfirmed(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "forced")
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException,
        match=re.escape("User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD"),
    ):
        idp_client.admin_confirm_sign_up(UserPoolId=pool_id, Username="forced")


# --- attributes --------------------------------------------------------------------------------


def test_update_attributes_resets_verification_and_moves_alias(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, AliasAttributes=["email"])
    create(
        idp_client,
        pool_id,
        "mover",
        UserAttributes=[
            {"Name": "email", "Value": "old@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp_client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="old@example.com",
        UserAttributes=[
            {"Name": "email", "Value": "new@example.com"},
            {"Name": "name", "Value": "M"},
        ],
    )
    attributes = attributes_of(idp_client.admin_get_user(UserPoolId=pool_id, Username="mover"))
    assert attributes["email"] == "new@example.com"
    assert attributes["email_verified"] == "false"
    assert attributes["name"] == "M"
    for name in ("old@example.com", "new@example.com"):
        with pytest.raises(idp_client.exceptions.UserNotFoundException):
            idp_client.admin_get_user(UserPoolId=pool_id, Username=name)
    idp_client.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="mover",
        UserAttributes=[
            {"Name": "email", "Value": "new@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    assert idp_client.admin_get_user(UserPoolId=pool_id, Username="new@example.com")[
        "Username"
    ] == ("mover")


def test_update_to_taken_alias_changes_nothing(idp_client: Any) -> None:
    pool_id = new_pool(idp_client, UsernameAttributes=["email"])
    create(idp_client, pool_id, "one@example.com")
    two = create(idp_client, pool_id, "two@example.com")["Username"]
    with pytest.raises(
        idp_client.exceptions.AliasExistsException,
        match=re.escape("An account with the given email already exists."),
    ):
        idp_client.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="two@example.com",
            UserAttributes=[
                {"Name": "email", "Value": "ONE@example.com"},
                {"Name": "name", "Value": "x"},
            ],
        )
    attributes = attributes_of(idp_client.admin_get_user(UserPoolId=pool_id, Username=two))
    assert attributes["email"] == "two@example.com"
    assert "name" not in attributes


def test_update_attribute_validation(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "valid")
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="does not exist"):
        idp_client.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="valid",
            UserAttributes=[{"Name": "custom:nope", "Value": "1"}],
        )
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="sub"):
        idp_client.admin_update_user_attributes(
            UserPoolId=pool_id, Username="valid", UserAttributes=[{"Name": "sub", "Value": "1"}]
        )


def test_delete_attributes(idp_client: Any, pool_id: str) -> None:
    create(
        idp_client,
        pool_id,
        "trim",
        UserAttributes=[
            {"Name": "email", "Value": "t@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": "T"},
        ],
    )
    idp_client.admin_delete_user_attributes(
        UserPoolId=pool_id, Username="trim", UserAttributeNames=["email", "name"]
    )
    attributes = attributes_of(idp_client.admin_get_user(UserPoolId=pool_id, Username="trim"))
    assert set(attributes) == {"sub"}
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="sub"):
        idp_client.admin_delete_user_attributes(
            UserPoolId=pool_id, Username="trim", UserAttributeNames=["sub"]
        )


# --- passwords ---------------------------------------------------------------------------------


def test_set_password_status_and_history(idp_client: Any) -> None:
    pool_id = new_pool(
        idp_client, Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 2}}
    )
    create(idp_client, pool_id, "hist", TemporaryPassword="Temp0rary!")

    def set_password(password: str, *, permanent: bool = True) -> None:
        idp_client.admin_set_user_password(
            UserPoolId=pool_id, Username="hist", Password=password, Permanent=permanent
        )

    used = "Password has previously been used."
    with pytest.raises(idp_client.exceptions.PasswordHistoryPolicyViolationException, match=used):
        set_password("Temp0rary!")
    set_password("First0ne!")
    assert (
        idp_client.admin_get_user(UserPoolId=pool_id, Username="hist")["UserStatus"] == "CONFIRMED"
    )
    set_password("Second0ne!", permanent=False)
    status = idp_client.admin_get_user(UserPoolId=pool_id, Username="hist")["UserStatus"]
    assert status == "FORCE_CHANGE_PASSWORD"
    with pytest.raises(idp_client.exceptions.PasswordHistoryPolicyViolationException):
        set_password("First0ne!")
    set_password("Temp0rary!")  # only the last two passwords are remembered
    with pytest.raises(idp_client.exceptions.InvalidPasswordException, match="password policy"):
        set_password("short")


def test_reset_password(idp_client: Any, pool_id: str) -> None:
    create(
        idp_client,
        pool_id,
        "resettable",
        UserAttributes=[
            {"Name": "email", "Value": "r@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException,
        match=re.escape("User password cannot be reset in the current state."),
    ):
        idp_client.admin_reset_user_password(UserPoolId=pool_id, Username="resettable")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="resettable", Password=PASSWORD, Permanent=True
    )
    idp_client.admin_reset_user_password(UserPoolId=pool_id, Username="resettable")
    got = idp_client.admin_get_user(UserPoolId=pool_id, Username="resettable")
    assert got["UserStatus"] == "RESET_REQUIRED"
    create(idp_client, pool_id, "nocontact")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="nocontact", Password=PASSWORD, Permanent=True
    )
    with pytest.raises(
        idp_client.exceptions.InvalidParameterException, match="registered/verified"
    ):
        idp_client.admin_reset_user_password(UserPoolId=pool_id, Username="nocontact")


# --- invitations -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sinks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, SmtpSink, SmsSink]]:
    """A server delivering email to an SMTP sink and SMS to a webhook sink."""
    data_dir: Path = tmp_path_factory.mktemp("invitations")
    with smtp_sink() as mail, sms_sink() as sms:
        thread, running = start_server(data_dir, smtp_url=mail.url, sms_webhook_url=sms.url)
        try:
            yield make_client(running.url), mail, sms
        finally:
            thread.stop()


def test_email_invitation_carries_a_working_temporary_password(
    sinks: tuple[Any, SmtpSink, SmsSink],
) -> None:
    client, mail, _ = sinks
    pool_id = new_pool(
        client,
        Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 1}},
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "From": "Admin <admin@example.com>",
        },
    )
    before = len(mail.messages)
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="invitee",
        UserAttributes=[{"Name": "email", "Value": "invitee@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    message = mail.wait_for(before + 1)[-1]
    assert message["To"] == "invitee@example.com"
    assert message["From"] == "Admin <admin@example.com>"
    assert message["Subject"] == "Your temporary password"
    plain = message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    found = re.search(r"Your username is (\S+) and temporary password is (\S+)\. ", body)
    assert found is not None
    assert found.group(1) == "invitee"
    # The emailed password is the stored one: setting it again violates the history.
    with pytest.raises(client.exceptions.PasswordHistoryPolicyViolationException):
        client.admin_set_user_password(
            UserPoolId=pool_id, Username="invitee", Password=found.group(2), Permanent=True
        )


def test_html_invitation_template_and_sms(sinks: tuple[Any, SmtpSink, SmsSink]) -> None:
    client, mail, sms = sinks
    pool_id = new_pool(
        client,
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "EmailSubject": "Welcome",
                "EmailMessage": "<p>Hi {username}</p><p>Code: <b>{####}</b></p>",
                "SMSMessage": "User {username} pw {####}",
            }
        },
    )
    mails, texts = len(mail.messages), len(sms.messages)
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="both",
        TemporaryPassword="Temp<0rary>&!",
        UserAttributes=[
            {"Name": "email", "Value": "both@example.com"},
            {"Name": "phone_number", "Value": "+15557654321"},
        ],
        DesiredDeliveryMediums=["EMAIL", "SMS"],
    )
    message = mail.wait_for(mails + 1)[-1]
    assert message["Subject"] == "Welcome"
    html_part = message.get_body(("html",))
    plain_part = message.get_body(("plain",))
    assert html_part is not None
    assert plain_part is not None
    html = html_part.get_content()
    assert "<b>Temp&lt;0rary&gt;&amp;!</b>" in html
    assert "Code: Temp<0rary>&!" in plain_part.get_content()
    text = sms.wait_for(texts + 1)[-1]
    assert text == {"phone_number": "+15557654321", "message": "User both pw Temp<0rary>&!"}


def test_default_medium_is_sms_and_suppress_sends_nothing(
    sinks: tuple[Any, SmtpSink, SmsSink],
) -> None:
    client, mail, sms = sinks
    pool_id = new_pool(client)
    mails, texts = len(mail.messages), len(sms.messages)
    # Default medium SMS and no phone number: nothing to send, the user is still created.
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="mailonly",
        UserAttributes=[{"Name": "email", "Value": "m@example.com"}],
    )
    create(
        client,
        pool_id,
        "quiet",
        UserAttributes=[{"Name": "phone_number", "Value": "+15550009999"}],
        DesiredDeliveryMediums=["SMS"],
    )
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="loud",
        UserAttributes=[{"Name": "phone_number", "Value": "+15550008888"}],
    )
    assert sms.wait_for(texts + 1)[-1]["phone_number"] == "+15550008888"
    assert len(sms.messages) == texts + 1
    assert len(mail.messages) == mails


def test_resend_invitation(sinks: tuple[Any, SmtpSink, SmsSink]) -> None:
    client, _, sms = sinks
    pool_id = new_pool(client)
    phone = [{"Name": "phone_number", "Value": "+15550007777"}]
    texts = len(sms.messages)
    client.admin_create_user(UserPoolId=pool_id, Username="again", UserAttributes=phone)
    first = sms.wait_for(texts + 1)[-1]["message"]
    user = client.admin_create_user(UserPoolId=pool_id, Username="again", MessageAction="RESEND")[
        "User"
    ]
    assert user["Username"] == "again"
    second = sms.wait_for(texts + 2)[-1]["message"]
    assert first != second
    with pytest.raises(client.exceptions.UserNotFoundException):
        client.admin_create_user(UserPoolId=pool_id, Username="nobody", MessageAction="RESEND")
    client.admin_set_user_password(
        UserPoolId=pool_id, Username="again", Password=PASSWORD, Permanent=True
    )
    with pytest.raises(client.exceptions.UnsupportedUserStateException):
        client.admin_create_user(UserPoolId=pool_id, Username="again", MessageAction="RESEND")


def test_failed_delivery_leaves_no_user(tmp_path: Path) -> None:
    with sms_sink(status=500) as sms:
        thread, running = start_server(tmp_path, sms_webhook_url=sms.url)
        try:
            client = make_client(running.url)
            pool_id = new_pool(client)
            with pytest.raises(client.exceptions.CodeDeliveryFailureException):
                client.admin_create_user(
                    UserPoolId=pool_id,
                    Username="undelivered",
                    UserAttributes=[{"Name": "phone_number", "Value": "+15550006666"}],
                )
            assert user_names(client, pool_id) == []
        finally:
            thread.stop()
