"""Builds the app from settings; resources open and close in the lifespan only."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ExceptionHandler

from room.ids import new_id
from room.live.fanout import open_fanout
from room.live.groups import Groups
from room.live.hub import Hub
from room.live.retention import Retention
from room.mail.smtp import SmtpSender, SmtpServer
from room.mail.worker import Postman
from room.settings import Settings
from room.store import Unavailable, open_store
from room.web import redact
from room.web.endpoints import unavailable
from room.web.group.services import GroupServices
from room.web.routes import routes
from room.web.security import SecurityHeaders
from room.web.services import Services
from room.web.session.demo import create_demo


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    redact.install()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = open_store(settings.store_url)
        await store.open()
        worker = new_id("w")
        fanout = open_fanout(settings.redis_url, worker)
        hub = Hub(store, fanout=fanout)
        groups = Groups(store, hub.clock, fanout)
        hub.others_heard = groups.heard
        await hub.start()
        services = Services(settings, store, hub)
        app.state.groups = services.groups = GroupServices(services, groups)
        app.state.services = services
        postman = Postman(
            store,
            groups,
            services.groups.post(),
            SmtpSender(SmtpServer.from_url(settings.smtp_url)) if settings.smtp_url else None,
            hub.clock,
            worker,
        )
        services.groups.postman = postman
        postman.start()
        app.state.retention = retention = Retention(store, groups, hub, hub.clock, worker)
        retention.start()
        if settings.demo_url:
            await _announce_demo(app.state.services, settings.demo_url)
        try:
            yield
        finally:
            await retention.close()
            await postman.close()
            await hub.close()
            await fanout.close()
            await store.close()

    return Starlette(
        routes=routes(),
        middleware=[Middleware(SecurityHeaders)],
        # A store that did not answer is "not now", never a server error. (One handler
        # for requests and sockets alike, which Starlette's types keep apart.)
        exception_handlers={Unavailable: cast(ExceptionHandler, unavailable)},
        lifespan=lifespan,
    )


async def _announce_demo(services: Services, base_url: str) -> None:
    demo = await create_demo(services)
    print("Démonstration / demo session — one link per role:", flush=True)
    for name, role, secret in demo.links:
        print(f"  {role.value:<12} {name:<16} {base_url}/j/{secret}", flush=True)
