"""cognito-identity (identity pools) operations; importing this package registers them."""

from cognate.identity import (
    developer_identities,
    federation,
    identities,
    pools,
    principal_tags,
    tags,
)
from cognate.identity.registry import identity

__all__ = [
    "developer_identities",
    "federation",
    "identities",
    "identity",
    "pools",
    "principal_tags",
    "tags",
]
