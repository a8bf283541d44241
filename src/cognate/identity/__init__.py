"""cognito-identity (identity pools) operations; importing this package registers them."""

from cognate.identity.registry import identity

__all__ = ["identity"]
