"""cognito-identity (identity pools) operations; importing this package registers them."""

from cognate.identity import federation, identities, pools
from cognate.identity.registry import identity

__all__ = ["federation", "identities", "identity", "pools"]
