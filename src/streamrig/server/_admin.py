"""The admin API under /_streamrig/: health, scenarios, journal, play, reset."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiohttp import web

from .._errors import ScenarioError
from .._version import __version__
from ..providers import carries
from ..scenario import Provider, Scenario, scenario_from_mapping, scenario_from_text
from ..scenario._decode import decode_text
from ._body import BodyUnread, read_body
from ._journal_json import journal_json
from ._select import UnknownScenario
from ._state import STATE_KEY

__all__ = ["add_admin_routes", "describe"]

PREFIX = "/_streamrig"


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/health", _health)
    app.router.add_get(f"{PREFIX}/scenarios", _list_scenarios)
    app.router.add_post(f"{PREFIX}/scenarios", _add_scenario)
    app.router.add_get(f"{PREFIX}/journal", _journal)
    app.router.add_delete(f"{PREFIX}/journal", _clear_journal)
    app.router.add_post(f"{PREFIX}/play", _play)
    app.router.add_post(f"{PREFIX}/reset", _reset)


def describe(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the admin API lists it."""
    match = scenario.match
    kind = "reply" if scenario.reply else ("events" if scenario.steps is not None else "sse")
    described: dict[str, Any] = {
        "name": scenario.name,
        "description": scenario.description,
        "providers": [p.value for p in Provider if carries(scenario, p)],
        "kind": "turns" if scenario.turns else kind,
        "source": str(scenario.source) if scenario.source else None,
        "match": {k: v for k, v in asdict(match).items() if v is not None} if match else None,
    }
    if scenario.turns:
        described["turns"] = len(scenario.turns)
    return described


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    health: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "scenarios": len(state.registry.all()),
        "answering": state.journal.answering,
    }
    if state.collector is not None:
        health["collector"] = state.collector.to_dict()
    return web.json_response(health)


async def _list_scenarios(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    scenarios = [describe(s) for s in state.registry.all()]
    return web.json_response({"default": state.registry.default().name, "scenarios": scenarios})


async def _add_scenario(request: web.Request) -> web.Response:
    """Body: a scenario as YAML or JSON; its `name` key (or `?name=`) names it."""
    state = request.app[STATE_KEY]
    source = "<POST /_streamrig/scenarios>"
    read = await _read_text(request, source)
    if isinstance(read, web.Response):
        return read
    try:
        # Bounded cost, but YAML is slow to read: off the loop, so streams keep their pace.
        scenario = await asyncio.get_running_loop().run_in_executor(
            None, scenario_from_text, read, request.query.get("name", ""), source
        )
        if not scenario.name:
            raise ScenarioError(
                "a scenario added at run time needs a name: a `name` key, or ?name=NAME",
                path=source,
                key="name",
            )
    except ScenarioError as error:
        return _problems(error)
    state.registry.add(scenario)
    return web.json_response(describe(scenario), status=201)


async def _play(request: web.Request) -> web.Response:
    """Body (JSON or YAML): `{"scenario": NAME or a scenario body, "overrides": {...}}`;
    `{"scenario": null}` stops playing. Answers with the scenario now playing."""
    state = request.app[STATE_KEY]
    source = "<POST /_streamrig/play>"
    read = await _read_text(request, source)
    if isinstance(read, web.Response):
        return read
    from ..scenario._limits import compose_bounded, construct_bounded  # YAML: on first use

    try:
        body = construct_bounded(compose_bounded(read, source), source)
        if not isinstance(body, dict) or "scenario" not in body:
            raise ScenarioError(
                'expected a mapping {"scenario": NAME or a scenario body, "overrides": {...}}',
                path=source,
            )
        given, overrides = body["scenario"], body.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise ScenarioError("expected a mapping of scenario keys", path=source, key="overrides")
        if given is None:
            state.registry.play(None)
            return web.json_response({"playing": None})
        found = state.registry.get(given) if isinstance(given, str) else None
        if found is None:
            found = scenario_from_mapping(given, "played", source=source)
        playing = state.play(found, overrides)
    except UnknownScenario as error:
        return web.json_response(
            {"error": {"type": "not_found_error", "message": str(error)}}, status=404
        )
    except ScenarioError as error:
        return _problems(error)
    return web.json_response({"playing": describe(playing)})


async def _reset(request: web.Request) -> web.Response:
    """Forget the journal, attempt counts, run-time scenarios and the scenario playing."""
    request.app[STATE_KEY].reset()
    return web.Response(status=204)


def _problems(error: ScenarioError) -> web.Response:
    return _problem(400, "scenario_error", str(error), [str(p) for p in error.problems])


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
    """Forget the requests: the journal and the attempt counts (so retries start again)."""
    request.app[STATE_KEY].forget_requests()
    return web.Response(status=204)


async def _read_text(request: web.Request, source: str) -> str | web.Response:
    """The body as text (UTF-8, within the size and time bounds), or the 400/413 saying why not."""
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        message = f"{source}: charset {charset!r} is not read; send the body as UTF-8"
        return _problem(400, "scenario_error", message, [message])
    try:
        return decode_text(await read_body(request, request.app[STATE_KEY].read_timeout), source)
    except web.HTTPRequestEntityTooLarge as error:
        return _problem(413, "scenario_error", error.text or "too large", [error.text or ""])
    except BodyUnread as error:
        return _problem(error.status, "scenario_error", str(error), [str(error)])
    except ScenarioError as error:
        return _problems(error)


def _problem(status: int, kind: str, message: str, problems: list[str]) -> web.Response:
    return web.json_response(
        {"error": {"type": kind, "message": message, "problems": problems}}, status=status
    )
