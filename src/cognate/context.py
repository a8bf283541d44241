"""Context: what every handler receives. Built once by `app.create_app`, copied per request."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cognate.clock import Clock
from cognate.messages.delivery import Delivery
from cognate.secretbox import SecretBox
from cognate.settings import Settings
from cognate.store.store import Store


class Triggers(Protocol):
    """Runs a pool's Lambda triggers: `cognate.triggers.runner.TriggerRunner`.

    Named here because Context sits below the engine layer that implements it.
    """

    async def invoke(self, trigger: str, arn: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event the function returned; raises Cognito's Lambda errors on any failure."""
        ...

    async def aclose(self) -> None:
        """Release worker processes and connections."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """The wired service objects plus, per request, its id and source address."""

    settings: Settings
    store: Store
    secrets: SecretBox
    delivery: Delivery
    clock: Clock
    base_url: str
    triggers: Triggers
    request_id: str = ""
    source_ip: str = ""
    received_at: float = 0.0
    """time.monotonic() when the request arrived (0: not a request of the AWS JSON edge)."""

    @property
    def region(self) -> str:
        """The region in IDs and ARNs."""
        return self.settings.region

    @property
    def account_id(self) -> str:
        """The account id in ARNs."""
        return self.settings.account_id

    def for_request(self, request_id: str, source_ip: str, received_at: float) -> Context:
        """A copy carrying one request's id, source address and arrival time."""
        return dataclasses.replace(
            self, request_id=request_id, source_ip=source_ip, received_at=received_at
        )
