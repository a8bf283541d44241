"""UpdateAuthEventFeedback (public, with a FeedbackToken) and the one-click feedback page
(wave2-surface.md §4.6). No code path sends the notification email that carries the token yet
(Cognate assigns no account-takeover risk level), so the tests seal tokens with the server's
own master key, exactly as the server would."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from cognate.domain import feedback_tokens
from cognate.secretbox import SecretBox
from tests.conftest import RunningServer, make_client
from tests.wire.test_threat_protection import STRONG, events, make_app, make_pool, make_user

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def public_client(server: RunningServer) -> Any:
    """A client that signs nothing: UpdateAuthEventFeedback needs no AWS credentials."""
    config = Config(signature_version=UNSIGNED, parameter_validation=False)
    return make_client(server.url, config=config)


@pytest.fixture(scope="module")
def box(server: RunningServer) -> SecretBox:
    return SecretBox.from_settings(server.settings.master_key, server.data_dir)


class Signed:
    """A user of an ENFORCED pool with one passed SignIn event."""

    def __init__(self, idp_client: Any, mode: str = "ENFORCED") -> None:
        self.pool_id = make_pool(idp_client, mode=mode)
        client_id = make_app(idp_client, self.pool_id)
        self.name = make_user(idp_client, self.pool_id, STRONG)
        idp_client.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.name, "PASSWORD": STRONG},
        )
        attributes = idp_client.admin_get_user(UserPoolId=self.pool_id, Username=self.name)
        self.sub = next(a["Value"] for a in attributes["UserAttributes"] if a["Name"] == "sub")
        self.event_id = events(idp_client, self.pool_id, self.name)[0]["EventId"]

    def token(self, box: SecretBox, *, now: datetime | None = None, **changes: str) -> str:
        grant = {"pool_id": self.pool_id, "user_sub": self.sub, "event_id": self.event_id}
        grant.update(changes)
        return feedback_tokens.seal(box, now=now or datetime.now(UTC), **grant)


def feedback_of(idp_client: Any, user: Signed) -> Any:
    return events(idp_client, user.pool_id, user.name)[0].get("EventFeedback")


def test_feedback_with_a_token_is_recorded_as_the_user_s(
    idp_client: Any, public_client: Any, box: SecretBox
) -> None:
    user = Signed(idp_client)
    for value in ("Invalid", "Valid"):  # a user may change their verdict
        public_client.update_auth_event_feedback(
            UserPoolId=user.pool_id,
            Username=user.name,
            EventId=user.event_id,
            FeedbackToken=user.token(box),
            FeedbackValue=value,
        )
        feedback = feedback_of(idp_client, user)
        assert feedback["FeedbackValue"] == value
        assert feedback["Provider"] == "User"
        assert isinstance(feedback["FeedbackDate"], datetime)


def test_wrong_expired_or_foreign_tokens_are_not_authorized_and_change_nothing(
    idp_client: Any, public_client: Any, box: SecretBox
) -> None:
    user = Signed(idp_client)
    other = Signed(idp_client)
    stale = datetime.now(UTC) - feedback_tokens.LIFETIME - timedelta(minutes=1)
    good = user.token(box)
    foreign_box = SecretBox(b"\x01" * 32)
    cases: list[tuple[str, dict[str, str]]] = [
        ("garbage", {}),
        (good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"), {}),
        (user.token(box, now=stale), {}),
        (user.token(foreign_box), {}),
        (other.token(box), {}),  # another user's token, presented for this user's event
        (user.token(box, event_id="another-event"), {}),
        (good, {"EventId": "another-event"}),
        (good, {"Username": other.name}),
        (user.token(box, pool_id=other.pool_id), {}),
    ]
    for token, changes in cases:
        request = {
            "UserPoolId": user.pool_id,
            "Username": user.name,
            "EventId": user.event_id,
            "FeedbackToken": token,
            "FeedbackValue": "Invalid",
            **changes,
        }
        with pytest.raises(public_client.exceptions.NotAuthorizedException):
            public_client.update_auth_event_feedback(**request)
    assert feedback_of(idp_client, user) is None
    assert feedback_of(idp_client, other) is None


def test_feedback_needs_threat_protection_and_a_valid_request(
    idp_client: Any, public_client: Any, box: SecretBox
) -> None:
    user = Signed(idp_client, mode="AUDIT")
    token = user.token(box)
    idp_client.update_user_pool(
        UserPoolId=user.pool_id, UserPoolAddOns={"AdvancedSecurityMode": "OFF"}
    )
    with pytest.raises(public_client.exceptions.UserPoolAddOnNotEnabledException):
        public_client.update_auth_event_feedback(
            UserPoolId=user.pool_id,
            Username=user.name,
            EventId=user.event_id,
            FeedbackToken=token,
            FeedbackValue="Valid",
        )
    with pytest.raises(public_client.exceptions.InvalidParameterException):
        public_client.update_auth_event_feedback(
            UserPoolId=user.pool_id,
            Username=user.name,
            EventId=user.event_id,
            FeedbackToken="not base64!",
            FeedbackValue="Yes",
        )


def test_the_one_click_page_confirms_before_it_records(
    idp_client: Any, server: RunningServer, box: SecretBox
) -> None:
    user = Signed(idp_client)
    link = feedback_tokens.link(server.url, user.token(box), "invalid")
    with httpx.Client() as browser:
        page = browser.get(link)
        assert page.status_code == 200
        assert "not you" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        # Fetching the link (a mail scanner, a preview) changes nothing.
        assert feedback_of(idp_client, user) is None
        match = CSRF.search(page.text)
        assert match
        form = {"t": user.token(box), "v": "invalid"}
        forged = httpx.post(f"{server.url}/_feedback", data={**form, "_csrf": match.group(1)})
        assert forged.status_code == 403  # no CSRF cookie: another site's form
        assert feedback_of(idp_client, user) is None
        done = browser.post(f"{server.url}/_feedback", data={**form, "_csrf": match.group(1)})
        assert done.status_code == 200
        assert "Thank you" in done.text
    feedback = feedback_of(idp_client, user)
    assert feedback["FeedbackValue"] == "Invalid"
    assert feedback["Provider"] == "User"


@pytest.mark.parametrize("query", ["t=garbage&v=valid", "v=valid", "t={token}&v=maybe"])
def test_the_page_refuses_a_bad_link(
    idp_client: Any, server: RunningServer, box: SecretBox, query: str
) -> None:
    user = Signed(idp_client)
    url = f"{server.url}/_feedback?" + query.format(token=user.token(box))
    answer = httpx.get(url)
    assert answer.status_code == 400
    assert "not valid" in answer.text
    assert "<form" not in answer.text


def test_the_page_answers_a_pool_without_threat_protection(
    idp_client: Any, server: RunningServer, box: SecretBox
) -> None:
    user = Signed(idp_client, mode="AUDIT")
    token = user.token(box)
    idp_client.update_user_pool(
        UserPoolId=user.pool_id, UserPoolAddOns={"AdvancedSecurityMode": "OFF"}
    )
    with httpx.Client() as browser:
        page = browser.get(feedback_tokens.link(server.url, token, "valid"))
        csrf = CSRF.search(page.text)
        assert csrf
        answer = browser.post(
            f"{server.url}/_feedback", data={"t": token, "v": "valid", "_csrf": csrf.group(1)}
        )
    assert answer.status_code == 400
    assert "UserPoolAddOnNotEnabledException" in answer.text
