"""AttributeMapping: from a provider's claims to the user's pool attributes. Pure: no I/O.

wave2-surface.md §1.4 (developer guide, "Mapping IdP attributes to profiles and tokens"): the
mapping is pool attribute → source claim; a claim the provider did not send leaves the stored
value alone; `email_verified`/`phone_number_verified` are true only for `true`/"true" in any
case; multi-valued claims are stored as `[v1, v2]` with each value URL-form-encoded except for
`. - * _`; every attribute the pool requires must be mapped on the first sign-in; a mapped
attribute must fit its schema, be writable by the app client (WriteAttributes), and, once the
user exists, be mutable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from cognate.domain.attributes import check_value
from cognate.domain.client import Client
from cognate.errors import CognitoError, OAuthError

_VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})


def merged_claims(id_token: Mapping[str, Any], user_info: Mapping[str, Any]) -> dict[str, Any]:
    """The provider's claims about the user: the ID token's, overlaid by userInfo's."""
    return {**id_token, **user_info}


def claim_text(value: Any) -> str:
    """A claim value as an attribute (or trigger event) string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(quote_plus(claim_text(item), safe="*") for item in value) + "]"
    return json.dumps(value, separators=(",", ":"))


def mapped_attributes(mapping: Mapping[str, str], claims: Mapping[str, Any]) -> dict[str, str]:
    """The pool attributes `mapping` takes from `claims` (the `username` source is not one)."""
    attributes: dict[str, str] = {}
    for attribute, source in mapping.items():
        value = claims.get(source)
        if attribute == "username" or value is None:
            continue
        text = claim_text(value)
        attributes[attribute] = (
            str(text.lower() == "true").lower() if attribute in _VERIFIED_FLAGS else text
        )
    return attributes


def check_mapped(
    schema: Sequence[Mapping[str, Any]],
    client: Client,
    attributes: Mapping[str, str],
    *,
    current: Mapping[str, str] | None,
) -> None:
    """Refuse mapped `attributes` the pool or client does not accept (OAuthError for the error
    page). `current`: the existing user's attributes, None on the first sign-in."""
    by_name = {definition["Name"]: definition for definition in schema}
    writable = client.write_attributes
    for name, value in attributes.items():
        definition = by_name.get(name)
        if definition is None or (writable is not None and name not in writable):
            raise OAuthError("invalid_request", f"The attribute {name} cannot be mapped.")
        is_fixed = not definition.get("Mutable", True)
        is_changed = current is None or current.get(name) != value
        if is_fixed and (name.startswith("custom:") or current is not None) and is_changed:
            raise OAuthError("invalid_request", f"The attribute {name} cannot be updated.")
        try:
            if value:
                check_value(definition, value)
        except CognitoError as exc:
            raise OAuthError("invalid_request", exc.message or exc.name) from exc


def missing_required(schema: Sequence[Mapping[str, Any]], attributes: Mapping[str, str]) -> None:
    """Refuse a first sign-in whose mapped attributes lack one the pool requires (Cognito's
    hosted UI says "attributes required: [email]")."""
    missing = [
        definition["Name"]
        for definition in schema
        if definition.get("Required")
        and definition["Name"] != "sub"
        and not attributes.get(definition["Name"])
    ]
    if missing:
        raise OAuthError("invalid_request", f"attributes required: [{', '.join(missing)}]")
