"""User-pool domains: the prefix or custom host names the hosted UI and OAuth endpoints answer on.

CreateUserPoolDomain's rules (developer guide, "Configuring a user pool domain"): a prefix domain is
one DNS label without reserved words; a custom domain is a full host name with a certificate.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cognate.errors import InvalidParameterException

_LOWER_ALNUM = string.ascii_lowercase + string.digits

RESERVED_DOMAIN_WORDS = ("aws", "amazon", "cognito")
# The model's DomainType pattern, which holds for prefix domains (custom ones are host names).
_PREFIX_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
MANAGED_LOGIN_VERSIONS = (1, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolDomain:
    """A user-pool domain: a prefix domain, or a custom domain when `config` has
    CustomDomainConfig (the contract DescribeUserPool relies on)."""

    domain: str
    pool_id: str
    config: Mapping[str, Any]
    created_at: datetime

    @property
    def is_custom(self) -> bool:
        """True for a custom domain (the caller's own host name and certificate)."""
        return bool(self.config.get("CustomDomainConfig"))


def domain_config(
    domain: str, request: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The stored configuration of `domain` after Create (current None) or UpdateUserPoolDomain.

    An Update keeps what it omits. Raises InvalidParameterException for a reserved prefix, an
    unknown ManagedLoginVersion, or a certificate given for a prefix domain.
    """
    config = dict(current or {})
    if current is None:
        custom = request.get("CustomDomainConfig")
        if custom is None and not _PREFIX_DOMAIN.fullmatch(domain):
            raise InvalidParameterException(
                f"1 validation error detected: Value '{domain}' at 'domain' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"
            )
        if custom is None and any(word in domain for word in RESERVED_DOMAIN_WORDS):
            raise InvalidParameterException(
                "Domain cannot contain reserved word: "
                + next(word for word in RESERVED_DOMAIN_WORDS if word in domain)
            )
        config["CloudFrontDistribution"] = cloudfront_distribution(domain)
        if custom is not None:
            config["CustomDomainConfig"] = dict(custom)
    elif "CustomDomainConfig" in request:
        if "CustomDomainConfig" not in current:
            raise InvalidParameterException(
                "CustomDomainConfig can only be updated for a custom domain."
            )
        config["CustomDomainConfig"] = dict(request["CustomDomainConfig"])
    version = request.get("ManagedLoginVersion", config.get("ManagedLoginVersion", 1))
    if version not in MANAGED_LOGIN_VERSIONS:
        raise InvalidParameterException("ManagedLoginVersion must be 1 or 2.")
    config["ManagedLoginVersion"] = version
    return config


def cloudfront_distribution(domain: str) -> str:
    """A stable stand-in for the CloudFront host Cognito puts in front of a domain."""
    digest = hashlib.sha256(domain.encode()).digest()
    label = "".join(_LOWER_ALNUM[byte % len(_LOWER_ALNUM)] for byte in digest[:13])
    return f"d{label}.cloudfront.net"
