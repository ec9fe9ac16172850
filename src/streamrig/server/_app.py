"""The aiohttp app: provider routes, bad input in each provider's own error shape."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .._errors import ProviderMismatch, UnsupportedFeature
from .._httplog import SERVER_LOGGER
from ..providers import (
    ROUTE,
    ROUTES,
    WIRE_FORMATS,
    Call,
    EncodeContext,
    RequestError,
    WireFormat,
    carries,
)
from ..scenario import Attempt, Provider, Recording, Scenario, TurnsExhausted
from ._admin import add_admin_routes
from ._arrivals import ArrivalGate
from ._body import BadBody, BodyUnread, decode_json, journal_body, read_body
from ._conversation import copy_rng, error_fields
from ._guard import ALLOWED_HOSTS_KEY, HostPolicy, cors_headers, guard
from ._hangup import CLIENT_GONE, client_left
from ._journal import FrameRecord, JournalEntry, Outcome, credentials_of, redact_headers
from ._live_routes import add_live_routes
from ._match import NoRecordingMatches, RequestKey
from ._player import play
from ._replay import recorded_headers, recorded_response, wait_for_headers
from ._schedule import as_stream, check_provider, final_message, plan_stream, stream_duration
from ._select import UnknownScenario
from ._state import STATE_KEY, UNSEEDED, ServerState, fingerprint

if TYPE_CHECKING:  # a pass-through (record modes) loads the recorder when it relays
    from ..record import Interaction
    from ._passthrough import PassThrough

__all__ = ["MAX_BODY_BYTES", "SCENARIO_HEADER", "create_app", "create_runner"]

MAX_BODY_BYTES = 32 * 1024 * 1024
SCENARIO_HEADER = "x-streamrig-scenario"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARRIVALS_KEY = web.AppKey("streamrig_arrivals", ArrivalGate)


def create_app(state: ServerState) -> web.Application:
    """The whole server: provider endpoints, `/s/<scenario>/` prefixes, admin API."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[guard])
    app[STATE_KEY] = state
    app[ALLOWED_HOSTS_KEY] = HostPolicy(state.allowed_hosts)
    app[ARRIVALS_KEY] = ArrivalGate()
    app.on_response_prepare.append(_add_cors)
    for provider, routes in ROUTES.items():
        handler = _provider_handler(provider)
        for route in routes:
            app.router.add_post(route, handler)
            app.router.add_post("/s/{scenario:.+}" + route, handler)
    add_admin_routes(app)
    add_live_routes(app, otherwise=_unknown_path)
    app.router.add_get("/", _index)
    app.router.add_route("*", "/{tail:.*}", _unknown_path)
    return app


async def _add_cors(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(cors_headers(request))


def create_runner(state: ServerState, *, shutdown_timeout: float = 0.5) -> web.AppRunner:
    """A runner for the app; handlers are cancelled the moment their client disconnects,
    which is how the player notices a client leaving mid-wait."""
    return web.AppRunner(
        create_app(state),
        access_log=None,
        shutdown_timeout=shutdown_timeout,
        handler_cancellation=True,
        logger=SERVER_LOGGER,
        # aiohttp closes a connection that sits this long without a whole request:
        # from its start, or from its last answer. It bounds how slowly headers arrive.
        keepalive_timeout=state.read_timeout if state.read_timeout is not None else 3630,
    )


def _provider_handler(provider: Provider) -> Handler:
    """The handler of `provider`'s routes; its wire format (and module) is made on first use."""

    async def handle(request: web.Request) -> web.StreamResponse:
        wire = WIRE_FORMATS[provider]
        entry = request.app[STATE_KEY].journal.open(
            time=time.time(),
            method=request.method,
            path=request.path,
            headers=redact_headers(request.headers),
            body=None,
            provider=provider.value,
        )
        response: web.StreamResponse | None = None
        try:
            await request.app[ARRIVALS_KEY].turn()  # a burst of arrivals: a few per loop turn
            response = await _answer(request, wire, entry)
        except asyncio.CancelledError:  # the server cancels the handler of a client that left
            client_left(entry)
            raise
        except CLIENT_GONE:
            client_left(entry)
        else:
            client_left(entry)  # only fills in where, if the player saw the client leave
        finally:
            request.app[STATE_KEY].journal.finish(entry)
        # A client gone before the headers: aiohttp's own prepare fails quietly on this.
        return response if response is not None else web.Response(status=499)

    return handle


async def _answer(
    request: web.Request, wire: WireFormat, entry: JournalEntry
) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    rng = UNSEEDED
    try:
        raw = await read_body(request, state.read_timeout)
    except web.HTTPRequestEntityTooLarge:
        return _error(
            wire, entry, rng, 413, f"Request exceeds the maximum size of {MAX_BODY_BYTES} bytes."
        )
    except BodyUnread as exc:
        entry.body = ""
        return _error(wire, entry, rng, exc.status, str(exc))
    entry.request_bytes = len(raw)
    try:
        body = decode_json(raw)
    except BadBody as exc:
        entry.body = journal_body(raw, credentials_of(request.headers))
        return _error(wire, entry, rng, 400, str(exc))
    entry.body = journal_body(raw, credentials_of(request.headers), decoded=body)
    call = _call(request)
    # The model is part of "the same request"; Gemini names it in the path, not the body.
    model = call.params.get("model")
    request_print = fingerprint(wire.route + (f"#{model}" if model else ""), body)
    recorder = state.passthrough
    if recorder is not None and recorder.always:
        return await _record(request, wire, entry, recorder)
    try:
        parsed = wire.parse_request(body, call)
        history = state.conversations.history(wire, parsed, body, lenient=state.lenient)
        entry.turn = history.turn
        scenario = state.registry.select(
            path_name=request.match_info.get("scenario"),
            header_name=request.headers.get(SCENARIO_HEADER),
            provider_scenarios=[s for s in state.registry.all() if carries(s, wire.provider)],
            model=parsed.model,
            last_user_text=parsed.last_user_text,
            request=RequestKey(request.method, call.path, body),
            occurrence=lambda: state.occurrence(f"recorded\n{request_print}"),
            turn=history.turn,
            tool_results=history.tool_results,
        )
        entry.scenario, entry.stream = scenario.name, parsed.stream
        scenario = scenario.for_turn(history.turn)
        check_provider(scenario, wire)
        entry.attempt = state.occurrence(f"{scenario.name}\n{request_print}")
        attempt = scenario.attempt(entry.attempt)
        rng = state.rng(request_print, entry.attempt)
        if attempt.is_error:
            return _attempt_error(wire, entry, rng, attempt, scenario.name)
        chaos = state.rng(request_print, entry.attempt, purpose="chaos")
        ctx = state.context(scenario, wire, parsed, rng, stream=parsed.stream, chaos=chaos)
        if state.conversations.keeps(wire, body):
            twin = dataclasses.replace(ctx, rng=copy_rng(ctx.rng))
            state.conversations.remember(scenario, wire, twin, history, body)
        recording = scenario.recording
        if recording is not None:
            await wait_for_headers(recording, state.speed * scenario.speed)
        if recording is not None and (recording.status != 200 or not recording.streamed):
            # A whole recorded answer (an error, or a JSON body) replays as it came; a
            # JSON body asked for as a stream streams the same message, after its time.
            await _take(entry, stream_duration(scenario, wire, ctx, attempt, state.speed))
            if recording.status != 200 or not parsed.stream:
                return _recorded_whole(entry, scenario.name, recording)
            scenario, recording = _as_stream(scenario, wire), None
            ctx = state.context(scenario, wire, parsed, rng, stream=True, chaos=chaos)
        if not parsed.stream:
            # As long as the stream it stands for would take (TTFT + generation).
            whole = _whole(scenario, wire, ctx)
            await _take(entry, stream_duration(scenario, wire, ctx, attempt, state.speed))
            return _json(wire, entry, rng, whole, scenario.name)
        plan = plan_stream(scenario, wire, ctx, attempt, speed=state.speed)
    except RequestError as exc:
        return _error(wire, entry, rng, exc.status, exc.message, exc.error_type, exc)
    except TurnsExhausted as exc:
        return _error(wire, entry, rng, 400, str(exc))
    except NoRecordingMatches as exc:
        if recorder is not None:
            return await _record(request, wire, entry, recorder)
        return _error(wire, entry, rng, 404, str(exc))
    except UnknownScenario as exc:
        # As each API answers a model that does not exist (OpenAI adds `model_not_found`).
        return _error(wire, entry, rng, 404, str(exc), "not_found_error")
    except (UnsupportedFeature, ProviderMismatch) as exc:
        return _error(wire, entry, rng, 400, str(exc))
    except _NotAccumulable as exc:
        return _error(wire, entry, rng, 500, str(exc))
    if recording is not None:
        headers = {**recorded_headers(recording), SCENARIO_HEADER: scenario.name}
    else:
        headers = _headers(wire, rng, True, scenario.name)
        if ctx.framing.content_type is not None:
            headers["content-type"] = ctx.framing.content_type
    response = web.StreamResponse(status=200, headers=headers)
    await response.prepare(request)
    entry.status, entry.response_headers = 200, dict(response.headers)
    await play(request, response, plan, entry)
    return response


async def _take(entry: JournalEntry, seconds: float) -> None:
    """Wait before a whole answer; a client leaving meanwhile is a journal entry."""
    started = time.monotonic()
    try:
        if seconds > 0:
            await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        entry.outcome = Outcome.CLIENT_CLOSED
        entry.closed_at_frame, entry.closed_at_s = 0, time.monotonic() - started
        raise


def _recorded_whole(entry: JournalEntry, scenario: str, recording: Recording) -> web.Response:
    response = recorded_response(recording, {SCENARIO_HEADER: scenario})
    entry.status, entry.response_headers = recording.status, dict(response.headers)
    entry.outcome = Outcome.HTTP_ERROR if recording.status >= 300 else Outcome.COMPLETED
    entry.sent += recording.body
    entry.bytes_sent = len(entry.sent)
    return response


async def _record(
    request: web.Request, wire: WireFormat, entry: JournalEntry, recorder: PassThrough
) -> web.StreamResponse:
    """Relay to the upstream and keep what came back (pytest's record modes)."""
    from ._passthrough import RecordingFailed, pass_through

    entry.scenario = f"upstream {recorder.upstream}"

    def note(interaction: Interaction) -> None:
        entry.status, entry.response_headers = (
            interaction.status,
            dict(interaction.response_headers),
        )
        entry.stream = "text/event-stream" in interaction.response_headers.get("content-type", "")
        entry.sent += interaction.body
        entry.bytes_sent = len(entry.sent)
        # Each relayed chunk is a frame, timed from the request as it arrived here.
        entry.started_at = entry.time
        entry.frames = [
            FrameRecord(i, t, t, len(chunk)) for i, (t, chunk) in enumerate(interaction.chunks)
        ]
        failed = Outcome.HTTP_ERROR if interaction.status >= 300 else Outcome.COMPLETED
        entry.outcome = Outcome.RESET if interaction.truncated else failed

    try:
        return await pass_through(request, _upstream_path(request), recorder, note)
    except RecordingFailed as exc:
        return _error(wire, entry, random.Random(), 502, str(exc))


class _NotAccumulable(Exception):
    pass


def _as_stream(scenario: Scenario, wire: WireFormat) -> Scenario:
    try:
        return as_stream(scenario, wire)
    except ValueError as exc:
        raise _NotAccumulable(
            f"recorded interaction {scenario.name!r} answered with a JSON body that is no whole "
            f"{wire.provider.label} message, so it cannot be streamed ({exc}); "
            "request it with stream: false"
        ) from exc


def _call(request: web.Request) -> Call:
    params = {k: v for k, v in request.match_info.items() if k != "scenario"}
    return Call(path=_unprefixed(request), params=params, query=dict(request.query))


def _unprefixed(request: web.Request) -> str:
    """The request's path without its `/s/<scenario>` prefix."""
    name = request.match_info.get("scenario")
    prefix = f"/s/{name}" if name else ""
    return (
        request.path[len(prefix) :] if prefix and request.path.startswith(prefix) else request.path
    )


def _upstream_path(request: web.Request) -> str:
    """Where a relayed request goes upstream: its own path, without the `/s/` prefix,
    with its query (Gemini's `?alt=sse` says how to stream)."""
    query = request.rel_url.query_string
    return _unprefixed(request) + (f"?{query}" if query else "")


def _whole(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> dict[str, Any]:
    try:
        return final_message(scenario, wire, ctx)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise _NotAccumulable(
            f"scenario {scenario.name!r} has no complete {wire.provider.label} message to return "
            f"for stream: false ({type(exc).__name__}: {exc}); request it with stream: true"
        ) from exc


def _headers(
    wire: WireFormat, rng: random.Random, streaming: bool, scenario: str | None
) -> dict[str, str]:
    headers = wire.headers(wire.request_id(rng), streaming)
    if scenario is not None:
        headers[SCENARIO_HEADER] = scenario
    return headers


def _attempt_error(
    wire: WireFormat, entry: JournalEntry, rng: random.Random, attempt: Attempt, scenario: str
) -> web.Response:
    message = attempt.message or wire.default_message(attempt.status, attempt.error_type)
    response = _error(wire, entry, rng, attempt.status, message, attempt.error_type)
    response.headers.update(attempt.headers)
    response.headers[SCENARIO_HEADER] = scenario
    entry.response_headers = dict(response.headers)
    return response


def _json(
    wire: WireFormat,
    entry: JournalEntry,
    rng: random.Random,
    message: dict[str, Any],
    scenario: str,
) -> web.Response:
    entry.status, entry.outcome = 200, Outcome.COMPLETED
    headers = _headers(wire, rng, False, scenario)
    entry.response_headers = headers
    text = _compact(message)
    entry.sent += text.encode()
    entry.bytes_sent = len(entry.sent)
    return web.Response(text=text, headers=headers)


def _error(
    wire: WireFormat,
    entry: JournalEntry | None,
    rng: random.Random,
    status: int,
    message: str,
    error_type: str | None = None,
    cause: Exception | None = None,
) -> web.Response:
    request_id = wire.request_id(rng)
    headers = wire.headers(request_id, streaming=False)
    if entry is not None:
        entry.status, entry.outcome, entry.error = status, Outcome.HTTP_ERROR, message
        entry.response_headers = headers
    body = wire.error_body(status, message, error_type, request_id)
    if cause is not None:
        body = error_fields(body, cause)
    return web.Response(status=status, text=_compact(body), headers=headers)


def _compact(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _guess_wire(request: web.Request) -> WireFormat:
    """Whose error shape to answer an unknown path in: Anthropic's if the client looks like one."""
    gemini = "/models/" in request.path and ":" in request.path.rsplit("/", 1)[-1]
    if gemini or "x-goog-api-key" in request.headers:
        return WIRE_FORMATS[Provider.GEMINI]
    anthropic = "anthropic-version" in request.headers or "x-api-key" in request.headers
    if anthropic or "messages" in request.path:
        return WIRE_FORMATS[Provider.ANTHROPIC]
    return WIRE_FORMATS[Provider.OPENAI_CHAT]


async def _unknown_path(request: web.Request) -> web.Response:
    wire = _guess_wire(request)
    known = Provider.for_path(request.path) is not None
    status = 405 if known else 404
    if wire.provider is Provider.ANTHROPIC:
        message = f"{request.method} {request.path} is not supported" if known else "Not Found"
    elif wire.provider is Provider.GEMINI:
        message = f"Method not found: {request.method} {request.path}"
    else:
        message = f"Invalid URL ({request.method} {request.path})"
    return _error(wire, None, random.Random(), status, message)


async def _index(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    endpoints = [f"POST {route}" for route in ROUTE.values()]
    body = {
        "streamrig": "mock LLM streaming server",
        "endpoints": endpoints,
        "scenarios": len(state.registry.all()),
        "admin": "/_streamrig/",
    }
    return web.json_response(body)
