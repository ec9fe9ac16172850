"""The admin API under /_streamrig/: health, scenarios, journal."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .._errors import ScenarioError
from .._version import __version__
from ..scenario import Scenario, scenario_from_text
from ..scenario._limits import decode_text
from ._body import BodyUnread, read_body
from ._journal_json import journal_json
from ._state import STATE_KEY

__all__ = ["add_admin_routes", "describe"]

PREFIX = "/_streamrig"


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/health", _health)
    app.router.add_get(f"{PREFIX}/scenarios", _list_scenarios)
    app.router.add_post(f"{PREFIX}/scenarios", _add_scenario)
    app.router.add_get(f"{PREFIX}/journal", _journal)
    app.router.add_delete(f"{PREFIX}/journal", _clear_journal)


def describe(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the admin API lists it."""
    match = scenario.match
    return {
        "name": scenario.name,
        "description": scenario.description,
        "providers": [p.value for p in scenario.providers],
        "kind": "reply" if scenario.reply else ("events" if scenario.steps is not None else "sse"),
        "source": str(scenario.source) if scenario.source else None,
        "match": {k: v for k, v in vars_of(match).items() if v is not None} if match else None,
    }


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {"status": "ok", "version": __version__, "scenarios": len(state.registry.all())}
    )


async def _list_scenarios(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    scenarios = [describe(s) for s in state.registry.all()]
    return web.json_response({"default": state.registry.default().name, "scenarios": scenarios})


async def _add_scenario(request: web.Request) -> web.Response:
    """Body: a scenario as YAML or JSON; its `name` key (or `?name=`) names it."""
    state = request.app[STATE_KEY]
    source = "<POST /_streamrig/scenarios>"
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        message = f"{source}: charset {charset!r} is not read; send the scenario as UTF-8"
        return _problem(400, "scenario_error", message, [message])
    try:
        raw = await read_body(request, state.read_timeout)
    except web.HTTPRequestEntityTooLarge as error:
        return _problem(413, "scenario_error", error.text or "too large", [error.text or ""])
    except BodyUnread as error:
        return _problem(error.status, "scenario_error", str(error), [str(error)])
    name = request.query.get("name", "posted")
    try:
        # Bounded cost, but YAML is slow to read: off the loop, so streams keep their pace.
        scenario = await asyncio.get_running_loop().run_in_executor(
            None, _scenario_from_bytes, raw, name, source
        )
    except ScenarioError as error:
        return _problem(400, "scenario_error", str(error), [str(p) for p in error.problems])
    state.registry.add(scenario)
    return web.json_response(describe(scenario), status=201)


async def _journal(request: web.Request) -> web.StreamResponse:
    """`?since=ID` (entries after that id) and `?limit=N` page it; `more` says if more follow.
    Built on a worker thread, entry by entry, so streams keep their pace meanwhile."""
    state = request.app[STATE_KEY]
    try:
        since = int(request.query.get("since", "0"))
        limit = int(request.query["limit"]) if "limit" in request.query else None
        if since < 0 or (limit is not None and limit < 1):
            raise ValueError("since must be >= 0 and limit >= 1")
    except ValueError as error:
        return _problem(400, "bad_query", f"journal paging: {error}", [])
    entries, more = state.journal.page(since, limit)
    pieces = await asyncio.get_running_loop().run_in_executor(None, journal_json, entries, more)
    response = web.StreamResponse(headers={"content-type": "application/json; charset=utf-8"})
    response.content_length = sum(len(piece) for piece in pieces)
    await response.prepare(request)
    for piece in pieces:
        await response.write(piece)
    await response.write_eof()
    return response


async def _clear_journal(request: web.Request) -> web.Response:
    request.app[STATE_KEY].journal.clear()
    return web.Response(status=204)


def _scenario_from_bytes(raw: bytes, name: str, source: str) -> Scenario:
    return scenario_from_text(decode_text(raw, source), name, source=source)


def _problem(status: int, kind: str, message: str, problems: list[str]) -> web.Response:
    return web.json_response(
        {"error": {"type": kind, "message": message, "problems": problems}}, status=status
    )
