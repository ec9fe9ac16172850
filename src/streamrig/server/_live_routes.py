"""The live page's routes. Its handlers (`_live`: the page, the journal's events, the
timelines) load on the first visit: serving scenarios needs none of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ._admin import PREFIX

__all__ = ["EVENTS_PATH", "add_live_routes"]

EVENTS_PATH = f"{PREFIX}/journal/events"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_live_routes(app: web.Application, otherwise: Handler) -> None:
    """The page at `/_streamrig/` (`otherwise` answers clients that do not ask for HTML)."""

    async def page(request: web.Request) -> web.StreamResponse:
        from ._live import page

        return await page(request, otherwise)

    app.router.add_get(f"{PREFIX}/", page)
    app.router.add_get(EVENTS_PATH, _later("events"))
    app.router.add_get(f"{PREFIX}/journal/{{id}}/timeline", _later("entry_timeline"))
    app.router.add_get(f"{PREFIX}/scenarios/{{name:.+}}/timeline", _later("scenario_timeline"))


def _later(name: str) -> Handler:
    """The handler `_live.<name>`, looked up when a request first asks for it."""

    async def handle(request: web.Request) -> web.StreamResponse:
        from . import _live

        handler: Handler = getattr(_live, name)
        return await handler(request)

    return handle
