"""Pass-through recording inside the mock server: unmatched requests go upstream and are kept."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from ..record import Interaction, RecordingFailed, forward

__all__ = ["PassThrough", "RecordingFailed", "pass_through"]


@dataclass
class PassThrough:
    """Where unmatched requests go (`always`: every request), and what came back."""

    upstream: str
    always: bool = False
    interactions: list[Interaction] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def taken(self) -> list[Interaction]:
        with self.lock:
            return list(self.interactions)


async def pass_through(
    request: web.Request, route: str, recorder: PassThrough, done: Callable[[Interaction], None]
) -> web.StreamResponse:
    """Relay to the upstream's `route` (a `/s/<name>/` prefix is dropped) and keep the interaction."""

    def keep(interaction: Interaction) -> None:
        with recorder.lock:
            recorder.interactions.append(interaction)
        done(interaction)

    return await forward(request, recorder.upstream, keep, path=route)
