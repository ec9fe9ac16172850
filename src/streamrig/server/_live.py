"""The live page: `GET /_streamrig/` in a browser, the journal as server-sent events,
each request's timeline and each scenario's plan."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import time
from importlib import resources
from typing import Any

from aiohttp import web

from .._errors import StreamrigError
from ..scenario import Provider, Scenario
from ._admin import PREFIX, describe
from ._curl import curl_line, curl_provider
from ._guard import cross_origin
from ._journal import FrameLog, JournalEntry
from ._live_routes import EVENTS_PATH, Handler
from ._select import UnknownScenario
from ._state import STATE_KEY

__all__ = [
    "EVENTS_PATH",
    "entry_summary",
    "entry_timeline",
    "events",
    "page",
    "scenario_timeline",
    "wants_html",
]

BACKLOG = 500  # entries sent to a page as it connects (the page keeps as many rows)
PROGRESS_S = 0.5  # how often a page hears how the requests under way are going
KEEPALIVE_S = 15.0
_CLEARED = 0  # the key that says "the journal was cleared" (entry ids start at 1)
# The page and the timelines load nothing from anywhere: no network but this server.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'"
)


async def page(request: web.Request, otherwise: Handler) -> web.StreamResponse:
    """`GET /_streamrig/`: the page for a browser, `otherwise`'s answer for other clients."""
    if not wants_html(request.headers.get("accept", "")):
        response = await otherwise(request)
    else:
        response = web.Response(text=_page(request), content_type="text/html")
        response.headers["content-security-policy"] = _CSP
    response.headers["vary"] = "Accept"
    return response


def wants_html(accept: str) -> bool:
    """Whether an Accept header asks for HTML before JSON (a browser does; curl's `*/*` does not)."""
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.lower()] = max(q, quality.get(media.lower(), 0.0))
    html = quality.get("text/html", 0.0)
    return html > 0 and html >= quality.get("application/json", 0.0)


def entry_summary(entry: JournalEntry, now: float | None = None) -> dict[str, Any]:
    """What the live page shows of a request (its row)."""
    done = entry.ended_at is not None
    end = entry.ended_at if done else (now if now is not None else time.time())
    assert end is not None
    return {
        "id": entry.id,
        "time": entry.time,
        "method": entry.method,
        "path": entry.path,
        "provider": entry.provider,
        "scenario": entry.scenario,
        "attempt": entry.attempt,
        "turn": entry.turn,
        "stream": entry.stream,
        "status": entry.status,
        "outcome": entry.outcome.value,
        "done": done,
        "duration_s": round(max(0.0, end - entry.time), 4),
        "frames": len(entry.log),
        "bytes_sent": entry.bytes_sent,
        "faults": list(entry.faults),
        "error": entry.error[:300] if entry.error else None,
    }


def _event(entry: JournalEntry, now: float) -> bytes:
    data = json.dumps(entry_summary(entry, now), separators=(",", ":"), default=str)
    return f"event: entry\nid: {entry.id}\ndata: {data}\n\n".encode()


def _progress_key(entry: JournalEntry) -> tuple[Any, ...]:
    return (entry.scenario, entry.status, entry.outcome, len(entry.log), entry.ended_at)


async def events(request: web.Request) -> web.StreamResponse:
    """`text/event-stream`: an `entry` event for each request as it opens, while it plays
    (every half second, when something changed) and when it finishes; first the newest
    entries the journal holds. A `cleared` event when the journal is cleared."""
    if cross_origin(request):
        return web.json_response(
            {
                "error": {
                    "type": "cross_origin",
                    "message": "the journal's events are for pages of this server only",
                    "problems": [],
                }
            },
            status=403,
        )
    journal = request.app[STATE_KEY].journal
    dirty: dict[int, JournalEntry | None] = {}
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()

    def changed(entry: JournalEntry | None) -> None:
        if entry is None:  # cleared: say so before any entry that follows
            dirty.clear()
            dirty[_CLEARED] = None
        else:
            dirty[entry.id] = entry
        wake.set()

    def note(entry: JournalEntry | None) -> None:
        # Entries open and finish on this loop; a test may clear the journal from its own thread.
        if _running_loop() is loop:
            changed(entry)
        else:
            loop.call_soon_threadsafe(changed, entry)

    unwatch = journal.watch(note)
    try:
        response = web.StreamResponse(
            headers={
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
                "x-accel-buffering": "no",
            }
        )
        await response.prepare(request)
        await response.write(b"retry: 1000\n\n")
        backlog = journal.entries()[-BACKLOG:]
        dirty.update({entry.id: entry for entry in backlog})
        if backlog:
            wake.set()
        await _follow(response, dirty, wake)
    except ConnectionResetError:  # the page went away between two writes
        pass
    finally:
        unwatch()
    return response


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _follow(
    response: web.StreamResponse, dirty: dict[int, JournalEntry | None], wake: asyncio.Event
) -> None:
    under_way: dict[int, tuple[JournalEntry, tuple[Any, ...]]] = {}
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), PROGRESS_S if under_way else KEEPALIVE_S)
        wake.clear()
        changed = dict(dirty)
        dirty.clear()
        cleared = changed.pop(_CLEARED, False) is None
        if cleared:
            under_way.clear()
        for key, (entry, seen) in list(under_way.items()):
            if key not in changed and _progress_key(entry) != seen:
                changed[key] = entry
        if not changed and not cleared:
            await response.write(b": keep-alive\n\n")
            continue
        now = time.time()
        events = [b"event: cleared\ndata: {}\n\n"] if cleared else []
        for key, found in changed.items():
            assert found is not None
            if found.ended_at is None:
                under_way[key] = (found, _progress_key(found))
            else:
                under_way.pop(key, None)
            events.append(_event(found, now))
        while len(under_way) > BACKLOG:  # the page shows as many rows: follow the newest
            del under_way[next(iter(under_way))]
        await response.write(b"".join(events))


async def entry_timeline(request: web.Request) -> web.Response:
    """One request's timeline: a self-contained page, or `?format=text` a table."""
    from ..timeline import timeline  # the page's own import: serving needs none of it

    journal = request.app[STATE_KEY].journal
    given = request.match_info["id"]
    entries, _ = journal.page(int(given) - 1, 1) if given.isdigit() and int(given) else ([], 0)
    if not entries or entries[0].id != int(given):
        held = journal.entries()
        span = f"ids {held[0].id} to {held[-1].id}" if held else "no entries"
        return _not_found(f"no journal entry {given!r}: the journal holds {span}")
    entry, fmt = _as_it_stands(entries[0]), request.query.get("format", "html")
    if fmt not in ("html", "text"):
        return _bad_query(f"format must be html or text, not {fmt!r}")
    # Thousands of frames take a while to draw: off the loop, so streams keep their pace.
    drawn = await asyncio.get_running_loop().run_in_executor(
        None, lambda: timeline(entry).html() if fmt == "html" else timeline(entry).text()
    )
    return _drawn(drawn, fmt)


def _as_it_stands(entry: JournalEntry) -> JournalEntry:
    """A copy of an entry still playing, taken on the server's thread (the player goes on
    appending to the original while the timeline is drawn on another)."""
    if entry.ended_at is not None:
        return entry
    log = FrameLog()
    log.scheduled_s, log.sent_s, log.sizes = (
        list(entry.log.scheduled_s),
        list(entry.log.sent_s),
        list(entry.log.sizes),
    )
    return dataclasses.replace(
        entry, log=log, sent=bytearray(entry.sent), faults=list(entry.faults)
    )


async def scenario_timeline(request: web.Request) -> web.Response:
    """A scenario's plan (`?provider=`: on which endpoint): a page, or `?format=text`
    what `streamrig show` prints."""
    from ..timeline import page, planned

    state = request.app[STATE_KEY]
    name = request.match_info["name"]
    try:
        scenario = state.registry.get(name)
    except UnknownScenario as error:
        return _not_found(str(error))
    fmt, seed = request.query.get("format", "html"), state.seed or 0
    from ._show import show_parts, show_text  # `show`'s own text; loaded when a plan is asked

    try:
        provider = Provider(request.query.get("provider") or curl_provider(scenario).value)
        if fmt == "text":
            return _drawn(show_text(scenario, provider, seed=seed, speed=state.speed) + "\n", fmt)
        if fmt != "html":
            raise ValueError(f"format must be html or text, not {fmt!r}")
        parts = show_parts(scenario, provider)
        plans = [planned(p, provider, seed=seed, speed=state.speed) for _, p in parts]
        return _drawn(page(plans, f"streamrig plan: {parts[0][0].lstrip('# ')}"), fmt)
    except (ValueError, StreamrigError) as error:
        return _bad_query(str(error))


def _drawn(text: str, fmt: str) -> web.Response:
    if fmt == "text":
        return web.Response(text=text, content_type="text/plain")
    response = web.Response(text=text, content_type="text/html")
    response.headers["content-security-policy"] = _CSP
    return response


def _bad_query(message: str) -> web.Response:
    return web.json_response(
        {"error": {"type": "bad_query", "message": message, "problems": [message]}}, status=400
    )


def _not_found(message: str) -> web.Response:
    return web.json_response(
        {"error": {"type": "not_found_error", "message": message, "problems": [message]}},
        status=404,
    )


def _page(request: web.Request) -> str:
    state = request.app[STATE_KEY]
    origin = f"{request.scheme}://{request.host}"
    scenarios = [_scenario_data(origin, scenario) for scenario in state.registry.all()]
    data = {
        "scenarios": scenarios,
        "default": state.registry.default().name,
        "events": EVENTS_PATH,
        "prefix": PREFIX,
    }
    # JSON inside <script>: `</` and `<!--` must not end or open anything there.
    embedded = json.dumps(data).replace("<", "\\u003c")
    return _template().replace("__STREAMRIG_DATA__", embedded)


def _scenario_data(origin: str, scenario: Scenario) -> dict[str, Any]:
    described = describe(scenario)
    provider = curl_provider(scenario)
    return {
        "name": scenario.name,
        "description": described["description"],
        "providers": described["providers"],
        "kind": described["kind"],
        "provider": provider.value,
        "curl": curl_line(origin, scenario, provider),
    }


@functools.cache
def _template() -> str:
    return resources.files(__package__).joinpath("_live.html").read_text("utf-8")
