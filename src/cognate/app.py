"""create_app(settings): the only place objects are built and wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognate.awsjson.endpoint import AwsJsonEndpoint
from cognate.awsjson.model import IDENTITY_SERVICE, IDP_SERVICE, load_service
from cognate.clock import Clock, utc_now
from cognate.context import Context
from cognate.identity import identity
from cognate.idp import idp
from cognate.messages.delivery import Delivery
from cognate.secretbox import SecretBox
from cognate.settings import Settings
from cognate.store.store import Store


def create_context(settings: Settings, *, clock: Clock = utc_now) -> Context:
    """Build the store, key box and delivery for `settings` (nothing is connected yet)."""
    secrets = SecretBox.from_settings(settings.master_key, settings.data_dir)
    return Context(
        settings=settings,
        store=Store(settings.store_url()),
        secrets=secrets,
        delivery=Delivery(settings),
        clock=clock,
        base_url=settings.base_url(),
    )


def create_app(settings: Settings, *, clock: Clock = utc_now) -> Starlette:
    """The ASGI app serving the AWS JSON APIs and /health; migrations run at start-up."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = create_context(settings, clock=clock)
    endpoint = AwsJsonEndpoint(
        ctx,
        {
            IDP_SERVICE: (load_service(IDP_SERVICE), idp),
            IDENTITY_SERVICE: (load_service(IDENTITY_SERVICE), identity),
        },
    )

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ctx.store.migrate()
        yield
        await ctx.store.close()

    app = Starlette(
        routes=[
            Route("/", endpoint.handle, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app
