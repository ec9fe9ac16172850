"""Local upstreams to record from: plain aiohttp handlers with irregular gaps, a drop, an error."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from streamrig.providers import EncodeContext, wire_format
from streamrig.scenario import Provider, scenario_from_mapping

GAPS_MS = [3, 41, 7, 95, 12, 0, 63, 5, 28, 150, 9, 2, 77, 18, 34, 4, 51, 11]
TEXT = "An irregular upstream sends these words with uneven pauses between them, like a real model."


def anthropic_events() -> list[bytes]:
    """A fixed Anthropic stream (seeded ids), one entry per event."""
    import random

    scenario = scenario_from_mapping(
        {
            "name": "up",
            "reply": [{"text": TEXT}],
            "usage": {"input_tokens": 12, "output_tokens": 20},
        }
    )
    ctx = EncodeContext(scenario="up", model="claude-upstream", rng=random.Random(5), created=0)
    return [event.encode() for event in wire_format(Provider.ANTHROPIC).encode(scenario.reply, ctx)]


def irregular(events: list[bytes] | None = None, drop_after: int | None = None):
    """A handler writing `events` with GAPS_MS between them; `drop_after`: abort after that many."""
    events = events or anthropic_events()

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(
            headers={
                "content-type": "text/event-stream; charset=utf-8",
                "request-id": "req_upstream",
            }
        )
        await response.prepare(request)
        for index, event in enumerate(events):
            if drop_after is not None and index == drop_after:
                request.transport.abort()
                return response
            await asyncio.sleep(GAPS_MS[index % len(GAPS_MS)] / 1000)
            await response.write(event)
        await response.write_eof()
        return response

    return handler


def rate_limited(request_count: list[int]):
    """429 with retry-after on every request (counted)."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        request_count.append(1)
        body = {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "slow down"},
            "request_id": "req_x",
        }
        return web.Response(
            status=429,
            text=json.dumps(body),
            headers={"retry-after": "7", "content-type": "application/json"},
        )

    return handler


def slow_to_end(seconds: float = 0.3):
    """Every event at once, then the end of the body only `seconds` later."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"content-type": "text/event-stream; charset=utf-8"})
        await response.prepare(request)
        await response.write(b"".join(anthropic_events()))
        await asyncio.sleep(seconds)
        await response.write_eof()
        return response

    return handler


def whole_message(seconds: float = 0.0, provider: Provider = Provider.ANTHROPIC, reply=None):
    """A `stream: false` answer: the provider's whole message as one JSON body, after `seconds`.

    The message is our own accumulator over our own encoding of `reply` (default: TEXT)."""
    import random

    scenario = scenario_from_mapping(
        {
            "name": "up",
            "reply": reply or [{"text": TEXT}],
            "usage": {"input_tokens": 12, "output_tokens": 20},
        }
    )
    wire = wire_format(provider)

    async def handler(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        await asyncio.sleep(seconds)
        ctx = EncodeContext(
            scenario="up",
            model=body.get("model", "upstream"),
            rng=random.Random(5),
            created=0,
            include_usage=True,
            settings=wire.parse_request(body).settings,
        )
        message = wire.accumulate(event.data for event in wire.encode(scenario.reply, ctx))
        return web.Response(
            text=json.dumps(message),
            headers={"content-type": "application/json", "request-id": "req_upstream"},
        )

    return handler
