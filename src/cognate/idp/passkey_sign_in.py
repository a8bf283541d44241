"""The WEB_AUTHN first factor of choice-based sign-in (USER_AUTH, idp/user_auth.py).

cognito-surface.md §2b: WEB_AUTHN is offered in AvailableChallenges (and started by
PREFERRED_CHALLENGE=WEB_AUTHN or the SELECT_CHALLENGE ANSWER) when the pool allows it
(domain/passkeys.is_enabled) and the user has a passkey for the pool's relying party. Its
ChallengeParameters hold CREDENTIAL_REQUEST_OPTIONS, a PublicKeyCredentialRequestOptionsJSON
whose challenge is derived from the Session (auth/webauthn.py); the answer is USERNAME and
CREDENTIAL, an AuthenticationResponseJSON.

The answer is an attempt like a password (security-test-plan.md B): it spends the Session in the
lockout claim's transaction (a replayed assertion finds it spent), and every failed check counts.
A verified passkey is the whole first factor: no MFA follows it (auth/flow.py), as after an
EMAIL_OTP / SMS_OTP code; the state checks, a remembered device and the triggers still do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial

from cognate.auth import flow, sessions, webauthn
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain import passkeys as passkey_rules
from cognate.domain.client import Client
from cognate.domain.passkeys import Passkey
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import NotAuthorizedException, WebAuthnConfigurationMissingException
from cognate.idp import auth_triggers, device_auth, sign_in_steps
from cognate.idp.passkeys import relying_party_id
from cognate.idp.sign_in_subjects import lockout_attempt, session_subject
from cognate.store import passkeys as passkey_store

Answer = sign_in_steps.Answer

_NO_USER = 0  # no user has id 0 (ids start at 1): a decoy's passkey lookup finds nothing


async def usable_passkeys(ctx: Context, pool: Pool, user: User | None) -> tuple[str, list[Passkey]]:
    """The pool's relying party id and the user's passkeys registered for it; no passkeys when
    the pool does not offer them or has no relying party. A decoy (None) has none, found by
    the same queries, so the answer takes a real user's time."""
    if not passkey_rules.is_enabled(pool.config):
        return "", []
    async with ctx.store.read() as conn:
        try:
            rp_id = await relying_party_id(ctx, conn, pool)
        except WebAuthnConfigurationMissingException:
            return "", []
        registered = await passkey_store.list_passkeys(conn, _NO_USER if user is None else user.id)
    return rp_id, [passkey for passkey in registered if passkey.relying_party_id == rp_id]


async def has_passkey(ctx: Context, pool: Pool, user: User | None) -> bool:
    """Whether WEB_AUTHN is a first factor `user` can use (never for a decoy)."""
    _rp_id, usable = await usable_passkeys(ctx, pool, user)
    return user is not None and bool(usable)


async def web_authn_challenge(
    ctx: Context, pool: Pool, client: Client, user: User | None
) -> Answer:
    """The WEB_AUTHN challenge: a new Session and the request options its challenge is in.
    Only offered to users with a passkey (never to a decoy, None), so refused otherwise."""
    rp_id, usable = await usable_passkeys(ctx, pool, user)
    if user is None or not usable:
        raise NotAuthorizedException(flow.INCORRECT)
    session = sessions.new_session(
        pool_id=pool.id,
        client_id=client.id,
        username=user.username,
        challenge=Challenge.WEB_AUTHN,
        now=ctx.clock(),
        validity=client.auth_session_validity,
    )
    options = webauthn.request_options(
        challenge=webauthn.assertion_challenge(ctx.secrets, session.id),
        rp_id=rp_id,
        registered=usable,
        verification=passkey_rules.user_verification(pool.config),
    )
    return {
        "ChallengeName": Challenge.WEB_AUTHN.value,
        "Session": sessions.seal(ctx.secrets, session, sessions.SESSION_PURPOSE),
        "ChallengeParameters": {
            "CREDENTIAL_REQUEST_OPTIONS": json.dumps(options, separators=(",", ":"))
        },
    }


async def answer_web_authn(
    ctx: Context,
    pool: Pool,
    client: Client,
    session: sessions.AuthSession,
    name: str,
    responses: Mapping[str, str],
    metadata: Mapping[str, str],
    *,
    finish: sign_in_steps.Finish = auth_triggers.complete_sign_in,
) -> Answer:
    """RespondToAuthChallenge WEB_AUTHN: the assertion must be made by one of this user's
    passkeys, for this Session's challenge, at an allowed origin; then the sign-in goes on,
    ending with `finish` (the hosted UI's ends without tokens: hosted_ui/challenges.py)."""
    assertion = webauthn.parse_assertion(flow.required(responses, "CREDENTIAL"))
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    user = subject.user
    if user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    device = await device_auth.claimed_device(ctx, user, responses.get("DEVICE_KEY"))
    rp_id, usable = await usable_passkeys(ctx, pool, user)
    credential_id = webauthn.assertion_id(assertion)
    passkey = next((each for each in usable if each.credential_id == credential_id), None)
    now = ctx.clock()
    spend = partial(sessions.spend, session=session, now=now)
    async with lockout_attempt(ctx, pool, subject, also=spend):
        if passkey is None:
            raise NotAuthorizedException(flow.INCORRECT)
        sign_count = webauthn.verify_assertion(
            assertion,
            passkey,
            challenge=webauthn.assertion_challenge(ctx.secrets, session.id),
            rp_id=rp_id,
            user_sub=user.sub,
            verification=passkey_rules.user_verification(pool.config),
        )
        async with ctx.store.begin() as conn:
            if not await passkey_store.record_use(conn, passkey, sign_count=sign_count, now=now):
                raise NotAuthorizedException(flow.INCORRECT)
    return await sign_in_steps.after_proof(
        ctx, pool, client, subject, metadata=metadata, completed=(Challenge.WEB_AUTHN.value,),
        device=device, finish=finish,
    )  # fmt: skip
