"""vcrpy cassettes in: SSE bodies become timed events (timing synthesised from a profile)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import UsageError
from ..scenario import Provider
from ..sse import split_events
from ._cassette import Interaction, write_cassette
from ._redact import Redactor

__all__ = ["Profile", "import_vcr"]


@dataclass(frozen=True, slots=True)
class Profile:
    """The pace given to events vcrpy recorded without times."""

    ttft_ms: float = 300.0
    tokens_per_s: float = 50.0
    jitter: float = 0.2
    seed: int = 0


def import_vcr(
    paths: Iterable[str | Path],
    out: str | Path,
    profile: Profile = Profile(),
    redactor: Redactor | None = None,
) -> list[Path]:
    """Write one streamrig cassette per vcrpy cassette, under `out`, same file name."""
    written = []
    for given in paths:
        path = Path(given)
        interactions = [
            _interaction(request, response, profile) for request, response in _read(path)
        ]
        written.append(write_cassette(Path(out) / path.name, interactions, redactor or Redactor()))
    return written


def _read(path: Path) -> list[tuple[Any, dict[str, Any]]]:
    try:
        from vcr.serialize import deserialize
        from vcr.serializers import yamlserializer
    except ImportError as error:
        raise UsageError("import-vcr needs vcrpy: pip install vcrpy") from error
    try:
        requests, responses = deserialize(path.read_text("utf-8"), yamlserializer)
    except Exception as error:  # vcrpy raises bare errors for what it cannot read
        raise UsageError(
            f"{path}: not a vcrpy cassette ({type(error).__name__}: {error})"
        ) from error
    return list(zip(requests, responses))


def _interaction(request: Any, response: dict[str, Any], profile: Profile) -> Interaction:
    body = response.get("body", {}).get("string", b"")
    body = body if isinstance(body, bytes) else str(body).encode("utf-8")
    headers = {str(k).lower(): _first(v) for k, v in (response.get("headers") or {}).items()}
    request_body = (
        request.body if isinstance(request.body, bytes) else (request.body or "").encode("utf-8")
    )
    interaction = Interaction(
        method=request.method,
        uri=request.uri,
        request_headers={str(k): _first(v) for k, v in dict(request.headers).items()},
        request_body=request_body,
        status=int(response["status"]["code"]),
        reason=str(response["status"].get("message", "")),
        response_headers=headers,
        headers_t=0.05,
        provider=Provider.for_path(request.path),
    )
    streamed = "text/event-stream" in headers.get("content-type", "") or body.startswith(
        (b"event:", b"data:")
    )
    if streamed:
        interaction.response_headers.setdefault("content-type", "text/event-stream; charset=utf-8")
    pieces = split_events(body) if streamed else [body]
    rng = random.Random(profile.seed)
    at = interaction.headers_t + profile.ttft_ms / 1000
    for index, piece in enumerate(pieces):
        if index:
            at += (1 / profile.tokens_per_s) * (1 + rng.uniform(-profile.jitter, profile.jitter))
        interaction.chunks.append((at, piece))
    return interaction


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
