"""Cassettes in: vcrpy-shaped YAML whose interactions replay as scenarios.

A streamrig cassette is a vcrpy cassette whose interactions also carry a
`streamrig` key: the provider, when the headers came, and the body as a list of
events, each with `t` (seconds since the request) and its exact bytes (`sse`).
A plain vcrpy cassette loads too, with no timing (every event at 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._errors import ScenarioError
from ..sse import split_events
from ._model import Provider, RecordedEvent, RecordedRequest, Recording, Scenario
from ._validate import LineMap

__all__ = ["scenarios_from_cassette"]


def scenarios_from_cassette(
    data: Mapping[str, Any], name: str, source: Path | str | None, lines: LineMap
) -> list[Scenario]:
    """One scenario per interaction: `name` for one, `name/1`, `name/2`... for several."""
    interactions = data.get("interactions")
    if not isinstance(interactions, list):
        raise ScenarioError(
            "`interactions` must be a list",
            path=source,
            line=lines.get(("interactions",)),
            key="interactions",
        )
    scenarios = []
    for index, item in enumerate(interactions):
        where = ("interactions", index)
        label = name if len(interactions) == 1 else f"{name}/{index + 1}"
        scenarios.append(_interaction(item, label, source, lines, where))
    return scenarios


def _interaction(
    item: Any, name: str, source: Path | str | None, lines: LineMap, where: tuple[Any, ...]
) -> Scenario:
    def fail(message: str, *key: Any) -> ScenarioError:
        path = (*where, *key)
        line = next((lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in lines), None)
        return ScenarioError(message, path=source, line=line, key=".".join(str(k) for k in path))

    if (
        not isinstance(item, Mapping)
        or not isinstance(item.get("request"), Mapping)
        or not isinstance(item.get("response"), Mapping)
    ):
        raise fail("an interaction needs `request` and `response` mappings")
    request, response = item["request"], item["response"]
    extra = item.get("streamrig") or {}
    try:
        recorded = RecordedRequest(
            str(request["method"]).upper(), str(request["uri"]), _parsed(request.get("body"))
        )
        status = int(response["status"]["code"])
    except (KeyError, TypeError, ValueError) as error:
        raise fail(f"missing or malformed {error}") from None
    headers = {str(k).lower(): _first(v) for k, v in (response.get("headers") or {}).items()}
    body = _body_bytes(response.get("body"))
    # The content type says whether the answer was a stream; the recorder times every body
    # (a JSON one too) in `events`, so those say it only when no content type was kept.
    content_type = headers.get("content-type")
    # A streamed JSON array (Gemini without alt=sse) is a stream whatever its content type.
    array = body.lstrip()[:1] == b"["
    streamed = array or (
        "text/event-stream" in content_type
        if content_type is not None
        else bool(extra.get("events")) and body.lstrip()[:1] not in (b"{", b"[")
    )
    events = _events(extra.get("events"), body, streamed, fail)
    provider = _provider(extra.get("provider"), recorded)
    recording = Recording(
        status=status,
        headers=headers,
        events=events,
        headers_t=float(extra.get("headers_t", 0.0)),
        streamed=streamed,
        truncated=bool(extra.get("truncated", False)),
    )
    return Scenario(
        name=name,
        recording=recording,
        request=recorded,
        provider=provider,
        description=f"recorded {recorded.method} {recorded.path}"
        + (" (truncated)" if recording.truncated else ""),
        source=Path(source) if source is not None else None,
    )


def _events(items: Any, body: bytes, streamed: bool, fail: Any) -> tuple[RecordedEvent, ...]:
    if not items:  # a plain vcrpy cassette: the body, with no timing
        pieces = split_events(body) if streamed else [body]
        return tuple(RecordedEvent(0.0, piece) for piece in pieces)
    events = []
    for index, event in enumerate(items):
        if not isinstance(event, Mapping) or "t" not in event or "sse" not in event:
            raise fail("each event needs `t` and `sse`", "streamrig", "events", index)
        events.append(RecordedEvent(float(event["t"]), str(event["sse"]).encode("utf-8")))
    return tuple(events)


def _provider(given: Any, request: RecordedRequest) -> Provider | None:
    if given:
        return Provider(given)
    return Provider.for_path(request.path)


def _parsed(body: Any) -> Any:
    if isinstance(body, Mapping) and "string" in body:
        body = body["string"]
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return body


def _body_bytes(body: Any) -> bytes:
    value = body.get("string", "") if isinstance(body, Mapping) else body or ""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _first(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) and value else str(value)
