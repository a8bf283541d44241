"""botocore's service models, loaded once: they define every request and response shape."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

IDP_SERVICE = "cognito-idp"
IDENTITY_SERVICE = "cognito-identity"


@dataclass(frozen=True, slots=True)
class Service:
    """One AWS service as the edge sees it: its target prefix, SigV4 name and model."""

    name: str
    target_prefix: str
    model: Any  # botocore.model.ServiceModel

    def operation(self, name: str) -> Any | None:
        """The botocore OperationModel of `name`, or None if the service has no such operation."""
        if name not in self.model.operation_names:
            return None
        return self.model.operation_model(name)

    def is_signed(self, operation: Any) -> bool:
        """True when the model requires SigV4 for `operation` (no `authtype: none`)."""
        return bool(operation.auth_type != "none")


@cache
def load_service(name: str) -> Service:
    """The service `name` from the installed (exactly pinned) botocore."""
    model = botocore.session.get_session().get_service_model(name)
    return Service(name=name, target_prefix=model.metadata["targetPrefix"], model=model)
