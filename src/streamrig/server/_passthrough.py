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
    relaying: int = 0  # relays not over yet (the server's thread counts them)
    settled: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.settled = threading.Condition(self.lock)

    def taken(self, wait: float = 10.0) -> list[Interaction]:
        """What came back, once the relays under way are over (at most `wait` seconds):
        a client may have its last event before the upstream ends the body."""
        with self.settled:
            self.settled.wait_for(lambda: self.relaying == 0, timeout=wait)
            return list(self.interactions)

    def started(self) -> None:
        with self.lock:
            self.relaying += 1

    def ended(self) -> None:
        with self.settled:
            self.relaying -= 1
            self.settled.notify_all()


async def pass_through(
    request: web.Request, route: str, recorder: PassThrough, done: Callable[[Interaction], None]
) -> web.StreamResponse:
    """Relay to the upstream's `route` (a `/s/<name>/` prefix is dropped) and keep the interaction."""

    def keep(interaction: Interaction) -> None:
        with recorder.lock:
            recorder.interactions.append(interaction)
        done(interaction)

    recorder.started()  # the relay it starts calls `ended` when it is over
    return await forward(request, recorder.upstream, keep, path=route, ended=recorder.ended)
