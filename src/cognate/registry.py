"""Operation registries: the AWS operation name -> handler table of one service.

Handlers register with `@idp.operation("AdminGetUser")`; the AWS JSON edge looks them up by the
name after the `X-Amz-Target` prefix. A registry knows nothing about HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from cognate.context import Context

Handler = Callable[["Context", Any], Awaitable[Any]]
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])


class OperationRegistry:
    """The handlers of one AWS service, keyed by operation name."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._handlers: dict[str, Handler] = {}

    def operation(self, name: str) -> Callable[[H], H]:
        """Register the decorated coroutine as the handler of operation `name`."""

        def register(handler: H) -> H:
            if name in self._handlers:
                raise RuntimeError(f"{self.service}: {name} registered twice")
            self._handlers[name] = handler
            return handler

        return register

    def get(self, name: str) -> Handler | None:
        """The handler of `name`, or None when Cognate does not implement it."""
        return self._handlers.get(name)

    @property
    def handlers(self) -> Mapping[str, Handler]:
        """Every registered operation."""
        return self._handlers
