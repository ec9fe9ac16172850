"""What one running server knows: its scenarios, its journal, its seed."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..providers import EncodeContext, ProviderRequest, WireFormat
from ..scenario import Scenario, with_overrides
from ._collector import CollectorPolicy
from ._conversation import ConversationMemory
from ._journal import Journal
from ._select import ScenarioRegistry

if TYPE_CHECKING:  # set by the pytest plugin's record modes, which load it
    from ._passthrough import PassThrough

__all__ = ["READ_TIMEOUT", "STATE_KEY", "UNSEEDED", "ServerState", "fingerprint"]

READ_TIMEOUT = 15.0


class ServerState:
    """Shared by the handlers of one app; safe to read and reset from another thread."""

    def __init__(
        self, registry: ScenarioRegistry, seed: int | None = None, speed: float = 1.0
    ) -> None:
        self.registry = registry
        self.journal = Journal()
        self.seed = seed
        self.speed = speed  # scales every wait of every scenario; 0: no waits
        self.passthrough: PassThrough | None = None  # set while a test records
        # How long a request may take to arrive: its headers from the connection's
        # start (or its last answer), its body from its headers. None: no bound.
        self.read_timeout: float | None = READ_TIMEOUT
        # Host header names served besides IP literals and localhost ("*": any).
        self.allowed_hosts: tuple[str, ...] = ()
        self.conversations = ConversationMemory()  # Responses ids, for previous_response_id
        self.lenient = False  # True: accept follow-ups the real API would refuse
        # The held-streams collector policy, when this process runs one (serve, workers,
        # the plugin's server process); reported by health.
        self.collector: CollectorPolicy | None = None
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Clear the journal, request counts, run-time scenarios and the played scenario."""
        self.forget_requests()
        self.registry.reset()

    def forget_requests(self) -> None:
        """Clear the journal and the request counts: the next try of any request is try 1."""
        self.journal.clear()
        self.conversations.clear()
        with self._lock:
            self._seen.clear()

    def play(self, scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
        """Play `scenario` changed by `overrides` (checked as a scenario file); returns it.

        The one implementation behind `MockServer.play`, `Rig.play` and `POST /_streamrig/play`.
        """
        chosen = with_overrides(scenario, overrides, source=f"<overrides of {scenario.name!r}>")
        self.registry.play(chosen)
        return chosen

    def occurrence(self, fingerprint: str) -> int:
        """How many times this request has been seen, this one included (1, 2, ...)."""
        with self._lock:
            self._seen[fingerprint] += 1
            return self._seen[fingerprint]

    def rng(self, fingerprint: str, occurrence: int, purpose: str = "ids") -> random.Random:
        """Ids (and, by purpose, jitter) come from here: seeded, a request repeats exactly."""
        if self.seed is None:
            # Each request its own generator: an answer that waits (stream: false) must
            # draw the ids it promised (conversations remember them) whatever others draw.
            return random.Random(UNSEEDED.getrandbits(64))
        digest = hashlib.sha256(
            f"{self.seed}:{purpose}:{fingerprint}:{occurrence}".encode()
        ).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def created(self, rng: random.Random) -> int:
        """The reply's Unix time: now, or under a seed a fixed time so bodies repeat exactly."""
        return int(time.time()) if self.seed is None else _SEEDED_EPOCH + rng.randrange(86400)

    def context(
        self,
        scenario: Scenario,
        wire: WireFormat,
        request: ProviderRequest,
        rng: random.Random,
        *,
        stream: bool,
        chaos: random.Random | None = None,
    ) -> EncodeContext:
        return EncodeContext(
            scenario=scenario.name,
            model=scenario.model or request.model or "streamrig-mock",
            rng=rng,
            created=self.created(rng),
            # A non-streamed Chat Completion always carries usage; a stream only when asked.
            include_usage=request.include_usage or not stream,
            input_chars=request.input_chars,
            chaos=chaos or random.Random(),
            settings=request.settings,
            framing=request.framing,
        )


def fingerprint(route: str, body: Any) -> str:
    """Identifies 'the same request' (a retry) by endpoint and canonical body.

    `stream` and `stream_options` are left out, so a streamed and a non-streamed
    call of one request get the same ids under a seed.
    """
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


# Without a seed every request draws from one shared generator: seeding a fresh one
# from the OS costs ~15 us, several times per request.
UNSEEDED = random.Random()
_SEEDED_EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z

STATE_KEY = web.AppKey("streamrig_state", ServerState)
