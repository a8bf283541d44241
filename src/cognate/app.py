"""create_app(settings): the only place objects are built and wired together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from cognate.awsjson.endpoint import AwsJsonEndpoint
from cognate.awsjson.model import IDENTITY_SERVICE, IDP_SERVICE, load_service
from cognate.clock import Clock, utc_now
from cognate.context import Context
from cognate.federation.routes import federation_routes, federation_start
from cognate.federation.saml_logout import logout_routes, single_logout
from cognate.hosted_ui.feedback_routes import feedback_routes
from cognate.hosted_ui.routes import hosted_ui_routes
from cognate.identity import identity
from cognate.idp import confirm_link, idp, import_upload
from cognate.messages.delivery import Delivery
from cognate.oauth.discovery import discovery_routes
from cognate.oauth.routes import oauth_routes
from cognate.secretbox import SecretBox
from cognate.settings import Settings
from cognate.store.store import Store
from cognate.triggers.runner import TriggerRunner


def create_context(settings: Settings, *, clock: Clock = utc_now) -> Context:
    """Build the store, key box, delivery and trigger runner (nothing is connected yet)."""
    secrets = SecretBox.from_settings(settings.master_key, settings.data_dir)
    return Context(
        settings=settings,
        store=Store(settings.store_url()),
        secrets=secrets,
        delivery=Delivery(settings),
        clock=clock,
        base_url=settings.base_url(),
        triggers=TriggerRunner(settings),
    )


class _AwsJsonFirst:
    """Sends `POST /` straight to the AWS JSON endpoint; everything else to the Starlette app.

    The endpoint catches its own errors, so routing and the middleware stack would only cost
    time on the path every API call takes (about a tenth of a request's CPU).
    """

    def __init__(self, app: Starlette, endpoint: AwsJsonEndpoint) -> None:
        self.app = app
        self.state = app.state
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await self._endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, clock: Clock = utc_now) -> ASGIApp:
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
        # What start-up built (API models, SQLAlchemy metadata, compiled validators: ~260,000
        # objects) lives as long as the process: out of the collector's sight, a full
        # collection no longer stops the loop for ~130 ms every few seconds under load (GetUser
        # p99 on PostgreSQL: 105 -> 4.6 ms).
        gc.collect()
        gc.freeze()
        yield
        await ctx.triggers.aclose()
        await ctx.store.close()

    app = Starlette(
        routes=[
            Route("/", endpoint, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/confirmUser", confirm_link.confirm_user, methods=["GET"]),
            Route("/_import/{pool_id}/{job_id}", import_upload.upload_csv, methods=["PUT"]),
            *discovery_routes(ctx),
            *oauth_routes(ctx),
            *hosted_ui_routes(ctx, federate=federation_start(ctx), sign_out=single_logout(ctx)),
            *federation_routes(ctx),
            *feedback_routes(ctx),
            *logout_routes(ctx),
        ],
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return _AwsJsonFirst(app, endpoint)
