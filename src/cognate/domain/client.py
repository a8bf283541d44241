"""App clients: identifiers, secrets, the configuration a client gets, and what changes behaviour.

A client's configuration is kept as the wire-shaped UserPoolClientType that
DescribeUserPoolClient echoes (DESIGN §5), without the ids, dates and secret; the accessors on
`Client` are the only fields the engine reads. Rules and defaults follow the CreateUserPoolClient
API reference and the developer guide ("Application-specific settings with app clients",
"Configuring a user pool app client"); messages are Cognito's where they were observed.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cognate.errors import (
    InvalidOAuthFlowException,
    InvalidParameterException,
    ScopeDoesNotExistException,
)

_LOWER_ALNUM = string.ascii_lowercase + string.digits

CLIENT_ID_LENGTH = 26
CLIENT_SECRET_LENGTH = 51
MAX_CLIENT_SECRETS = 2

DEFAULT_EXPLICIT_AUTH_FLOWS = (
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
)
LEGACY_AUTH_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})

# Scopes every pool has; scopes of the pool's resource servers ("{identifier}/{name}") are
# valid too (check_oauth's `custom_scopes`).
STANDARD_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_UNIT_LENGTH = {
    "seconds": timedelta(seconds=1),
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
}
# (request member, TokenValidityUnits member, default duration, unit when only a value is given,
#  shortest, longest): the limits of the API reference.
_VALIDITIES = (
    ("AccessTokenValidity", "AccessToken", timedelta(minutes=60), "hours",
     timedelta(minutes=5), timedelta(days=1)),
    ("IdTokenValidity", "IdToken", timedelta(minutes=60), "hours",
     timedelta(minutes=5), timedelta(days=1)),
    ("RefreshTokenValidity", "RefreshToken", timedelta(days=30), "days",
     timedelta(minutes=60), timedelta(days=3650)),
)  # fmt: skip

# Members of Create/UpdateUserPoolClient stored as given (Describe echoes them back).
_ECHOED = (
    "ReadAttributes",
    "WriteAttributes",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AnalyticsConfiguration",
    "RefreshTokenRotation",
)


def new_client_id() -> str:
    """A client id in Cognito's format: 26 lowercase letters and digits."""
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(CLIENT_ID_LENGTH))


def new_client_secret() -> str:
    """A generated client secret in Cognito's format: 51 lowercase letters and digits."""
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(CLIENT_SECRET_LENGTH))


def new_client_secret_id(client_id: str) -> str:
    """A ClientSecretId: the client id, `--`, then 16 random lowercase letters and digits."""
    return client_id + "--" + "".join(secrets.choice(_LOWER_ALNUM) for _ in range(16))


def client_secret_purpose(client_id: str) -> str:
    """The SecretBox purpose of a client's secrets: binds each ciphertext to its client."""
    return f"client-secret:{client_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """An app client as stored: ids, name, wire-shaped configuration, timestamps.

    `has_secret` is true while at least one client secret exists (a confidential client).
    """

    id: str
    pool_id: str
    name: str
    config: Mapping[str, Any]
    has_secret: bool
    created_at: datetime
    updated_at: datetime

    @property
    def explicit_auth_flows(self) -> list[str]:
        """The ExplicitAuthFlows in force."""
        return list(self.config.get("ExplicitAuthFlows", DEFAULT_EXPLICIT_AUTH_FLOWS))

    def allows_auth_flow(self, auth_flow: str) -> bool:
        """Whether InitiateAuth/AdminInitiateAuth may use `auth_flow` with this client.

        With only legacy values (or none), SRP and refresh are always allowed, as in Cognito;
        CUSTOM_AUTH_FLOW_ONLY then allows custom authentication alone.
        """
        flows = set(self.explicit_auth_flows)
        if flows & LEGACY_AUTH_FLOWS or not flows:
            if "CUSTOM_AUTH_FLOW_ONLY" in flows:
                return auth_flow == "CUSTOM_AUTH"
            legacy = {
                "USER_SRP_AUTH": True,
                "REFRESH_TOKEN_AUTH": True,
                "REFRESH_TOKEN": True,
                "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH" in flows,
                "ADMIN_USER_PASSWORD_AUTH": "ADMIN_NO_SRP_AUTH" in flows,
                "ADMIN_NO_SRP_AUTH": "ADMIN_NO_SRP_AUTH" in flows,
            }
            return legacy.get(auth_flow, False)
        if auth_flow in ("REFRESH_TOKEN", "ADMIN_NO_SRP_AUTH"):
            auth_flow = {"REFRESH_TOKEN": "REFRESH_TOKEN_AUTH"}.get(
                auth_flow, "ADMIN_USER_PASSWORD_AUTH"
            )
        return f"ALLOW_{auth_flow}" in flows

    @property
    def prevent_user_existence_errors(self) -> bool:
        """True when PreventUserExistenceErrors is ENABLED (generic errors for unknown users)."""
        return bool(self.config.get("PreventUserExistenceErrors", "LEGACY") == "ENABLED")

    @property
    def access_token_validity(self) -> timedelta:
        """How long an access token of this client is valid."""
        return self._validity("AccessTokenValidity", "AccessToken")

    @property
    def id_token_validity(self) -> timedelta:
        """How long an ID token of this client is valid."""
        return self._validity("IdTokenValidity", "IdToken")

    @property
    def refresh_token_validity(self) -> timedelta:
        """How long a refresh token of this client is valid."""
        return self._validity("RefreshTokenValidity", "RefreshToken")

    @property
    def auth_session_validity(self) -> timedelta:
        """How long an authentication Session (challenge response window) is valid."""
        return timedelta(minutes=int(self.config.get("AuthSessionValidity", 3)))

    @property
    def read_attributes(self) -> list[str] | None:
        """Attributes the client may read; None means every attribute."""
        names = self.config.get("ReadAttributes")
        return list(names) if names else None

    @property
    def write_attributes(self) -> list[str] | None:
        """Attributes the client may write; None means every mutable attribute."""
        names = self.config.get("WriteAttributes")
        return list(names) if names else None

    @property
    def is_oauth_enabled(self) -> bool:
        """AllowedOAuthFlowsUserPoolClient: whether the OAuth endpoints serve this client."""
        return bool(self.config.get("AllowedOAuthFlowsUserPoolClient", False))

    @property
    def allowed_oauth_flows(self) -> list[str]:
        """OAuth grants: code, implicit, client_credentials."""
        return list(self.config.get("AllowedOAuthFlows") or [])

    @property
    def allowed_oauth_scopes(self) -> list[str]:
        """Scopes the client may request."""
        return list(self.config.get("AllowedOAuthScopes") or [])

    @property
    def callback_urls(self) -> list[str]:
        """Registered redirect URIs; compare them by exact string equality."""
        return list(self.config.get("CallbackURLs") or [])

    @property
    def logout_urls(self) -> list[str]:
        """Registered sign-out redirect URIs; compare them by exact string equality."""
        return list(self.config.get("LogoutURLs") or [])

    @property
    def is_token_revocation_enabled(self) -> bool:
        """EnableTokenRevocation: whether RevokeToken works and tokens carry origin_jti."""
        return bool(self.config.get("EnableTokenRevocation", True))

    @property
    def is_refresh_token_rotation_enabled(self) -> bool:
        """RefreshTokenRotation.Feature is ENABLED."""
        rotation = self.config.get("RefreshTokenRotation") or {}
        return bool(rotation.get("Feature") == "ENABLED")

    def _validity(self, member: str, unit_member: str) -> timedelta:
        unit = self.config.get("TokenValidityUnits", {}).get(unit_member, "minutes")
        return int(self.config[member]) * _UNIT_LENGTH[unit]


def client_config(
    request: Mapping[str, Any],
    *,
    pool_id: str,
    attribute_names: Sequence[str],
    has_secret: bool,
    custom_scopes: frozenset[str] = frozenset(),
    identity_providers: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The stored configuration of a client created or updated with `request`, with defaults.

    Omitted members take their defaults (UpdateUserPoolClient behaves the same way in Cognito).
    `attribute_names` is the pool schema; `has_secret` whether the client has a secret;
    `identity_providers` the names of the pool's external providers. Raises
    InvalidParameterException, InvalidOAuthFlowException or ScopeDoesNotExistException.
    """
    config: dict[str, Any] = {key: request[key] for key in _ECHOED if key in request}
    config["ExplicitAuthFlows"] = explicit_auth_flows(request.get("ExplicitAuthFlows"))
    config.update(token_validities(request))
    config["AuthSessionValidity"] = request.get("AuthSessionValidity", 3)
    config["PreventUserExistenceErrors"] = request.get("PreventUserExistenceErrors", "LEGACY")
    config["EnableTokenRevocation"] = request.get("EnableTokenRevocation", True)
    config["EnablePropagateAdditionalUserContextData"] = request.get(
        "EnablePropagateAdditionalUserContextData", False
    )
    config["AllowedOAuthFlowsUserPoolClient"] = request.get(
        "AllowedOAuthFlowsUserPoolClient", False
    )
    check_attributes(config, attribute_names, creating="ClientId" not in request)
    check_identity_providers(
        config.get("SupportedIdentityProviders") or [], pool_id, identity_providers
    )
    check_urls(config)
    check_oauth(config, has_secret=has_secret, custom_scopes=custom_scopes)
    return config


def explicit_auth_flows(requested: Sequence[str] | None) -> list[str]:
    """ExplicitAuthFlows with Cognito's default; legacy and ALLOW_* values cannot be mixed."""
    if requested is None:
        return list(DEFAULT_EXPLICIT_AUTH_FLOWS)
    flows = list(dict.fromkeys(requested))
    legacy = [flow for flow in flows if flow in LEGACY_AUTH_FLOWS]
    if legacy and len(legacy) != len(flows):
        raise InvalidParameterException(
            "ExplicitAuthFlows can not have both ALLOW_XXX and XXX values."
        )
    return flows


def token_validities(request: Mapping[str, Any]) -> dict[str, Any]:
    """The three token validities and their TokenValidityUnits, defaulted and range-checked.

    A value given without a unit is in hours (access, ID) or days (refresh), as the API
    reference states; an omitted value is the default duration expressed in the unit in force.
    """
    units: dict[str, str] = {}
    result: dict[str, Any] = {}
    durations: dict[str, timedelta] = {}
    requested_units = request.get("TokenValidityUnits") or {}
    for member, unit_member, default, value_unit, shortest, longest in _VALIDITIES:
        if member in request:
            unit = requested_units.get(unit_member, value_unit)
            value = int(request[member])
        else:
            unit = requested_units.get(unit_member, "minutes" if value_unit == "hours" else "days")
            value = max(1, default // _UNIT_LENGTH[unit])
        duration = value * _UNIT_LENGTH[unit]
        if not shortest <= duration <= longest:
            raise InvalidParameterException(
                f"{member} must be between {_describe(shortest)} and {_describe(longest)}."
            )
        units[unit_member], result[member], durations[member] = unit, value, duration
    for member in ("AccessTokenValidity", "IdTokenValidity"):
        if durations["RefreshTokenValidity"] <= durations[member]:
            raise InvalidParameterException(f"RefreshTokenValidity must be longer than {member}.")
    result["TokenValidityUnits"] = units
    return result


def _describe(duration: timedelta) -> str:
    if duration >= timedelta(days=365):
        return f"{duration.days // 365} years"
    if duration >= timedelta(days=1):
        return "1 day"
    return f"{int(duration.total_seconds() // 60)} minutes"


def check_attributes(
    config: Mapping[str, Any], attribute_names: Sequence[str], *, creating: bool
) -> None:
    """Read/WriteAttributes must name attributes of the pool schema (custom ones prefixed)."""
    known = set(attribute_names)
    action = "creating" if creating else "updating"
    for member, kind in (("ReadAttributes", "read"), ("WriteAttributes", "write")):
        if any(name not in known for name in config.get(member) or []):
            raise InvalidParameterException(
                f"Invalid {kind} attributes specified while {action} a client"
            )


def check_identity_providers(
    providers: Sequence[str], pool_id: str, known: frozenset[str] = frozenset()
) -> None:
    """Each name is COGNITO (the pool's own directory) or one of the pool's providers, `known`."""
    for name in providers:
        if name != "COGNITO" and name not in known:
            raise InvalidParameterException(
                f"The provider {name} does not exist for User Pool {pool_id}"
            )


def check_urls(config: Mapping[str, Any]) -> None:
    """Callback and logout URLs must be valid redirect targets; the default one registered."""
    for member in ("CallbackURLs", "LogoutURLs"):
        for url in config.get(member) or []:
            problem = redirect_url_problem(url)
            if problem:
                raise InvalidParameterException(f"{member}: {url} {problem}.")
    default = config.get("DefaultRedirectURI")
    if default is not None:
        problem = redirect_url_problem(default)
        if problem:
            raise InvalidParameterException(f"DefaultRedirectURI: {default} {problem}.")
        if default not in (config.get("CallbackURLs") or []):
            raise InvalidParameterException("DefaultRedirectURI must be one of the CallbackURLs.")


def redirect_url_problem(url: str) -> str | None:
    """Why `url` cannot be a redirect target, or None if it can.

    The developer guide's rules: an absolute URI, no fragment, HTTPS except for loopback hosts
    (http://localhost, and the loopback IP literals of RFC 8252 §7.3, which Cognito accepts
    since 2025); other schemes (myapp://callback) serve native apps.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return "is not a valid URL"
    if not parts.scheme or not (parts.netloc or parts.path):
        return "must be an absolute URL"
    if "#" in url:
        return "must not contain a fragment"
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        return "must use HTTPS unless the host is localhost"
    if parts.scheme in ("http", "https") and not parts.hostname:
        return "must be an absolute URL"
    if parts.scheme.lower() in ("javascript", "data", "vbscript", "file"):
        return "uses a scheme that is not allowed"
    return None


def check_oauth(
    config: Mapping[str, Any], *, has_secret: bool, custom_scopes: frozenset[str] = frozenset()
) -> None:
    """Cognito's OAuth flow and scope rules for an app client; `custom_scopes` are the pool's
    resource-server scopes (`{Identifier}/{ScopeName}`)."""
    flows = set(config.get("AllowedOAuthFlows") or [])
    scopes = config.get("AllowedOAuthScopes") or []
    if config.get("AllowedOAuthFlowsUserPoolClient"):
        if not flows:
            raise InvalidOAuthFlowException(
                "AllowedOAuthFlows are required when AllowedOAuthFlowsUserPoolClient is true."
            )
        if not scopes:
            raise InvalidOAuthFlowException(
                "AllowedOAuthScopes are required when AllowedOAuthFlowsUserPoolClient is true."
            )
    if "client_credentials" in flows:
        if flows & {"code", "implicit"}:
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected along with code flow or implicit flow."
            )
        if not has_secret:
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected if client does not have a client "
                "secret."
            )
    if flows & {"code", "implicit"} and not config.get("CallbackURLs"):
        raise InvalidOAuthFlowException(
            "CallbackUrls can not be empty when code flow or implicit flow is selected"
        )
    for scope in scopes:
        if scope not in STANDARD_SCOPES and scope not in custom_scopes:
            raise ScopeDoesNotExistException(f"Invalid scope requested: {scope}")
