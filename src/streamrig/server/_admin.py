"""The admin API under /_streamrig/: health, scenarios, journal."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._errors import ScenarioError
from .._version import __version__
from ..providers import carries
from ..scenario import Provider, Scenario, scenario_from_text
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
        "providers": [p.value for p in Provider if carries(scenario, p)],
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
    text = await request.text()
    name = request.query.get("name", "posted")
    try:
        scenario = scenario_from_text(text, name, source="<POST /_streamrig/scenarios>")
    except ScenarioError as error:
        problems = [str(p) for p in error.problems]
        return web.json_response(
            {"error": {"type": "scenario_error", "message": str(error), "problems": problems}},
            status=400,
        )
    state.registry.add(scenario)
    return web.json_response(describe(scenario), status=201)


async def _journal(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response({"entries": state.journal.to_list()})


async def _clear_journal(request: web.Request) -> web.Response:
    request.app[STATE_KEY].journal.clear()
    return web.Response(status=204)
