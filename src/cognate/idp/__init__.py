"""cognito-idp operations, one module per resource; importing this package registers them all."""

# Each import registers that module's operations with `idp`.
from cognate.idp import (  # noqa: F401
    auth,
    branding,
    clients,
    devices,
    domains,
    groups,
    identity_providers,
    import_jobs,
    mfa,
    passkeys,
    pools,
    provider_links,
    recovery,
    resource_servers,
    signup,
    tags,
    terms,
    threat_protection,
    tokens,
    ui_customization,
    user_attributes,
    user_listing,
    user_passwords,
    users,
    verification,
)
from cognate.idp.registry import idp

__all__ = ["idp"]
