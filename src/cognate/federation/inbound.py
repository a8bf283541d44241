"""The InboundFederation trigger: the pool's function sees what the provider sent and may
replace the attributes that AttributeMapping then maps.

Developer guide, "Inbound federation Lambda trigger": LambdaConfig.InboundFederation
`{LambdaArn, LambdaVersion: V1_0}`; triggerSource InboundFederation_ExternalProvider; request
`{providerName, providerType, attributes}` (string maps): for OIDC and social providers
`{tokenResponse, idToken, userInfo}`, for SAML `{samlResponse}` (the assertion's attributes);
response `userAttributesToMap`: the provider attributes to map, replacing what the provider
sent (omitted ones are dropped); `{}` or nothing keeps them all. It runs on every federated
sign-in, before the user is created or updated (so before PreSignUp_ExternalProvider).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import InvalidLambdaResponseException
from cognate.federation.mapping import claim_text
from cognate.store.identity_providers import IdentityProvider
from cognate.triggers import events

INBOUND_FEDERATION: Final = "InboundFederation"
SOURCE: Final = "InboundFederation_ExternalProvider"


def _arn(pool: Pool) -> str | None:
    config: Mapping[str, Any] = pool.config.get("LambdaConfig") or {}
    trigger = config.get(INBOUND_FEDERATION)
    if isinstance(trigger, Mapping) and trigger.get("LambdaArn"):
        return str(trigger["LambdaArn"])
    return None


def _strings(claims: Mapping[str, Any]) -> dict[str, str]:
    return {str(name): claim_text(value) for name, value in claims.items() if value is not None}


async def inbound_federation(
    ctx: Context,
    pool: Pool,
    client: Client,
    provider: IdentityProvider,
    *,
    username: str,
    attributes: Mapping[str, Mapping[str, Any]],
    claims: dict[str, Any],
) -> dict[str, Any]:
    """The provider attributes to map: `claims`, or what the pool's function put instead.
    `attributes`: what the provider sent, by part (the event's `request.attributes`)."""
    arn = _arn(pool)
    if arn is None:
        return claims
    request = {
        "providerName": provider.name,
        "providerType": provider.type.value,
        "attributes": {part: _strings(values) for part, values in attributes.items()},
    }
    returned = await ctx.triggers.invoke(
        INBOUND_FEDERATION,
        arn,
        events.event(pool=pool, region=ctx.region, trigger_source=SOURCE, username=username,
                     client_id=client.id, request=request),
    )  # fmt: skip
    replaced = (returned.get("response") or {}).get("userAttributesToMap")
    if replaced is None or replaced == {}:
        return claims
    if not isinstance(replaced, Mapping):
        raise InvalidLambdaResponseException(events.UNRECOGNIZABLE_OUTPUT)
    return {str(name): value for name, value in replaced.items()}
