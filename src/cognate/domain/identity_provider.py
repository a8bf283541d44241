"""External identity providers of a user pool: what CreateIdentityProvider accepts and what
DescribeIdentityProvider shows.

Sources: botocore's cognito-idp model (CreateIdentityProvider's ProviderDetails documentation);
developer guide, "Adding user pool sign-in through a third party", "Using OIDC identity
providers with a user pool", "Specifying identity provider attribute mappings". Observed: a
social provider must be named after its type ("Provider NameOfGP cannot be of type Google.",
aws-cli#3179), and an unknown mapped attribute gives "AttributeMapping contains invalid mapping:
[custom:x]" (aws-cli#9729). SPEC.md: OIDC and SAML endpoints must use https except on loopback.

Pure: no I/O. Discovery (filling an OIDC provider's endpoints from its issuer) is not done here.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from cognate.errors import DuplicateProviderException, InvalidParameterException


class ProviderType(enum.StrEnum):
    """ProviderType as on the wire."""

    SAML = "SAML"
    FACEBOOK = "Facebook"
    GOOGLE = "Google"
    LOGIN_WITH_AMAZON = "LoginWithAmazon"
    SIGN_IN_WITH_APPLE = "SignInWithApple"
    OIDC = "OIDC"


SOCIAL_TYPES = frozenset(
    {
        ProviderType.FACEBOOK,
        ProviderType.GOOGLE,
        ProviderType.LOGIN_WITH_AMAZON,
        ProviderType.SIGN_IN_WITH_APPLE,
    }
)

# ProviderDetails keys that hold credentials: kept encrypted at rest.
SECRET_KEYS = frozenset({"client_secret", "private_key"})
# Secrets Describe leaves out (the developer guide's SignInWithApple example has no private_key).
HIDDEN_KEYS = frozenset({"private_key"})

# Names an app client uses for the pool's own directory; no external provider may take them.
RESERVED_NAMES = frozenset({"COGNITO", "Cognito"})

_REQUIRED: Mapping[ProviderType, tuple[str, ...]] = {
    ProviderType.GOOGLE: ("client_id", "client_secret", "authorize_scopes"),
    ProviderType.FACEBOOK: ("client_id", "client_secret", "authorize_scopes"),
    ProviderType.LOGIN_WITH_AMAZON: ("client_id", "client_secret", "authorize_scopes"),
    ProviderType.SIGN_IN_WITH_APPLE: (
        "client_id",
        "team_id",
        "key_id",
        "private_key",
        "authorize_scopes",
    ),
    ProviderType.OIDC: (
        "client_id",
        "client_secret",
        "authorize_scopes",
        "oidc_issuer",
        "attributes_request_method",
    ),
    ProviderType.SAML: (),
}

_FACEBOOK_API_VERSION = "v17.0"

# Keys Cognito adds on Describe for the social types (botocore's CreateIdentityProvider docs).
_FILLED: Mapping[ProviderType, Mapping[str, str]] = {
    ProviderType.GOOGLE: {
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    },
    ProviderType.FACEBOOK: {
        "attributes_url": "https://graph.facebook.com/{version}/me?fields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://www.facebook.com/{version}/dialog/oauth",
        "token_request_method": "GET",
        "token_url": "https://graph.facebook.com/{version}/oauth/access_token",
    },
    ProviderType.LOGIN_WITH_AMAZON: {
        "attributes_url": "https://api.amazon.com/user/profile",
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://www.amazon.com/ap/oa",
        "token_request_method": "POST",
        "token_url": "https://api.amazon.com/auth/o2/token",
    },
    ProviderType.SIGN_IN_WITH_APPLE: {
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://appleid.apple.com/auth/authorize",
        "oidc_issuer": "https://appleid.apple.com",
        "token_request_method": "POST",
        "token_url": "https://appleid.apple.com/auth/token",
    },
    ProviderType.OIDC: {"attributes_url_add_attributes": "false"},
    ProviderType.SAML: {},
}

# Where the federated username comes from, shown as AttributeMapping["username"] by Describe.
_USERNAME_SOURCE: Mapping[ProviderType, str] = {
    ProviderType.GOOGLE: "sub",
    ProviderType.FACEBOOK: "id",
    ProviderType.LOGIN_WITH_AMAZON: "user_id",
    ProviderType.SIGN_IN_WITH_APPLE: "sub",
    ProviderType.OIDC: "sub",
}

# ProviderDetails keys Cognito fills in for a SAML provider (from its metadata, and the pool's
# encryption certificate): never taken from a request, so a Describe → Update round trip works.
SSO_URI_KEY = "SSORedirectBindingURI"
SLO_URI_KEY = "SLORedirectBindingURI"
ENCRYPTION_CERTIFICATE_KEY = "ActiveEncryptionCertificate"
SAML_READ_ONLY_KEYS = frozenset({SSO_URI_KEY, SLO_URI_KEY, ENCRYPTION_CERTIFICATE_KEY})

_OIDC_URL_KEYS = ("oidc_issuer", "authorize_url", "token_url", "attributes_url", "jwks_uri")
_SAML_FLAGS = ("IDPSignout", "IDPInit", "EncryptedResponses")


def provider_type(value: str) -> ProviderType:
    """The ProviderType named `value` (the model's enum already refused anything else)."""
    return ProviderType(value)


def check_name(name: str, kind: ProviderType) -> None:
    """A social provider is named after its type; COGNITO is the pool's own directory."""
    if name in RESERVED_NAMES:
        raise InvalidParameterException(f"Provider {name} is reserved.")
    if kind in SOCIAL_TYPES and name != kind.value:
        raise InvalidParameterException(f"Provider {name} cannot be of type {kind.value}.")


def is_allowed_url(url: str) -> bool:
    """An https URL, or an http one on a loopback host (SPEC.md: local test providers)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def provider_details(
    kind: ProviderType,
    requested: Mapping[str, str],
    *,
    stored_secrets: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The ProviderDetails to store for `requested`: only the keys the caller gave, checked.

    `stored_secrets` are the provider's current secrets (on update): a secret left out of the
    request is kept, since Describe never shows `private_key` and so a client cannot resend
    it. Raises InvalidParameterException naming missing or invalid details.
    """
    details = dict(requested)
    if kind is ProviderType.SAML:
        details = {k: v for k, v in details.items() if k not in SAML_READ_ONLY_KEYS}
    for key, value in (stored_secrets or {}).items():
        details.setdefault(key, value)
    missing = [key for key in _REQUIRED[kind] if not details.get(key)]
    if missing:
        raise InvalidParameterException(
            f"The following required provider details are missing: {', '.join(missing)}"
        )
    if kind is ProviderType.OIDC:
        _check_oidc(details)
    elif kind is ProviderType.SAML:
        _check_saml(details)
    return details


def _check_oidc(details: Mapping[str, str]) -> None:
    if "openid" not in details["authorize_scopes"].replace(",", " ").split():
        raise InvalidParameterException("authorize_scopes must contain openid.")
    if details["attributes_request_method"] not in ("GET", "POST"):
        raise InvalidParameterException("attributes_request_method must be GET or POST.")
    for key in _OIDC_URL_KEYS:
        if key in details and not is_allowed_url(details[key]):
            raise InvalidParameterException(f"{key} must be an https URL.")


def _check_saml(details: Mapping[str, str]) -> None:
    sources = [key for key in ("MetadataURL", "MetadataFile") if details.get(key)]
    if len(sources) != 1:
        raise InvalidParameterException(
            "Exactly one of MetadataURL or MetadataFile must be provided."
        )
    if "MetadataURL" in sources and not is_allowed_url(details["MetadataURL"]):
        raise InvalidParameterException("MetadataURL must be an https URL.")
    for flag in _SAML_FLAGS:
        if flag in details and details[flag] not in ("true", "false"):
            raise InvalidParameterException(f"{flag} must be true or false.")
    algorithm = details.get("RequestSigningAlgorithm")
    if algorithm is not None and algorithm != "rsa-sha256":
        raise InvalidParameterException("RequestSigningAlgorithm must be rsa-sha256.")


def described_details(kind: ProviderType, stored: Mapping[str, str]) -> dict[str, str]:
    """ProviderDetails as Describe shows them: the stored keys, the keys Cognito fills in for
    the type, and no hidden secret."""
    version = stored.get("api_version", _FACEBOOK_API_VERSION)
    shown = {key: value.format(version=version) for key, value in _FILLED[kind].items()}
    if kind is ProviderType.FACEBOOK:
        shown["api_version"] = version
    shown.update({key: value for key, value in stored.items() if key not in HIDDEN_KEYS})
    return shown


def attribute_mapping(
    requested: Mapping[str, str], attribute_names: Sequence[str]
) -> dict[str, str]:
    """AttributeMapping: pool attribute (or `username`) → source claim; unknown keys refused."""
    known = set(attribute_names) | {"username"}
    invalid = [key for key in requested if key not in known]
    if invalid:
        raise InvalidParameterException(
            f"AttributeMapping contains invalid mapping: [{', '.join(invalid)}]"
        )
    return dict(requested)


def described_mapping(kind: ProviderType, stored: Mapping[str, str]) -> dict[str, str]:
    """AttributeMapping as Describe shows it: with the type's default `username` source (SAML's
    NameID has no attribute name to show)."""
    if kind not in _USERNAME_SOURCE:
        return dict(stored)
    return {"username": _USERNAME_SOURCE[kind], **stored}


def idp_identifiers(requested: Sequence[str], taken: Mapping[str, str], *, name: str) -> list[str]:
    """IdpIdentifiers of provider `name`; `taken` maps the pool's identifiers to their
    providers. An identifier is unique within the pool (DuplicateProviderException)."""
    identifiers = list(dict.fromkeys(requested))
    for identifier in identifiers:
        owner = taken.get(identifier)
        if owner is not None and owner != name:
            raise DuplicateProviderException(
                f"Identifier {identifier} is already used by provider {owner}."
            )
    return identifiers
