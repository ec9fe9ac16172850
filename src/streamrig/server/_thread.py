"""MockServer: the app on its own thread and event loop, for sync and async clients alike."""

from __future__ import annotations

import socket
from typing import Any

from .._apprunner import AppThread, ServesOnThread
from .._errors import UsageError
from ..scenario import Scenario, ScenarioSource, collect_scenarios
from ._app import create_runner
from ._journal import Journal
from ._passthrough import PassThrough
from ._select import ScenarioRegistry
from ._state import ServerState

__all__ = ["MockServer"]


class MockServer(ServesOnThread):
    """A streamrig server on 127.0.0.1, running on a background thread.

    `start()` returns once the server listens; the caller must `stop()` it (or
    use `with MockServer() as server:`). `scenarios` takes a path, a folder, a
    Scenario, a mapping in the YAML form, or a list of those; None loads the
    bundled library. Port 0 picks a free port (see `.port`); `sock`, an already
    bound socket, is used instead of host and port. `speed` scales every
    wait (2: twice as fast, 0: no waits); `seed` makes ids and jitter repeat.
    `lenient` accepts follow-up requests the real API would refuse (see docs/wire.md).
    """

    def __init__(
        self,
        scenarios: ScenarioSource = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        default: str | None = None,
        speed: float = 1.0,
        sock: socket.socket | None = None,
        lenient: bool = False,
    ) -> None:
        loaded = collect_scenarios(scenarios)
        self.host = host
        self.state = ServerState(ScenarioRegistry(loaded, default=default), seed=seed, speed=speed)
        self.state.allowed_hosts = (host,)  # the Host header may name the bound address
        self.state.lenient = lenient
        self._app = AppThread(lambda: create_runner(self.state), host, port, sock)

    @property
    def port(self) -> int:
        if self._app.port is None:
            raise UsageError("the server is not running: call start() first")
        return self._app.port

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765` (the Anthropic SDK's base_url)."""
        return f"http://{self.host}:{self.port}"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def gemini_base_url(self) -> str:
        """google-genai's `HttpOptions(base_url=...)`: the SDK adds `/v1beta/models/...` itself."""
        return self.url

    @property
    def journal(self) -> Journal:
        return self.state.journal

    def add(self, scenario: ScenarioSource) -> list[Scenario]:
        """Add scenarios at run time (kept until `reset()`); returns them. They come before
        the loaded scenarios, by name and in `match` rules."""
        added = collect_scenarios(scenario)
        for item in added:
            self.state.registry.add(item)
        return added

    def reset(self) -> None:
        """Forget the journal, run-time scenarios, the played scenario and request counts."""
        self.state.reset()

    def play(self, scenario: str | ScenarioSource, **overrides: Any) -> Scenario:
        """Answer every request that names no scenario with this one, changed by
        `overrides` (any scenario key but name, provider and events), until `reset()`.

        A string is a loaded scenario's name, else a path; also a Scenario or a mapping.
        The changed copy only plays: a request naming the scenario gets it as loaded.
        Returns the scenario played.
        """
        return self.state.play(self.resolve(scenario), overrides)

    def resolve(self, scenario: str | ScenarioSource) -> Scenario:
        """One scenario: a loaded one by name, else loaded from a path, mapping or Scenario."""
        if isinstance(scenario, str) and self.state.registry.has(scenario):
            return self.state.registry.get(scenario)
        found = collect_scenarios(scenario)
        if len(found) != 1:
            label = scenario.name if isinstance(scenario, Scenario) else repr(scenario)
            raise UsageError(f"play() takes one scenario; {label} holds {len(found)}")
        return found[0]

    def has(self, name: str) -> bool:
        """Whether a scenario of this name is loaded (or added at run time)."""
        return self.state.registry.has(name)

    def names(self) -> list[str]:
        """The names of every scenario the server knows, sorted."""
        return sorted(s.name for s in self.state.registry.all())

    def use_recordings(self, scenarios: list[Scenario] | None) -> None:
        """Answer from these recorded interactions first (a cassette); None: stop."""
        self.state.registry.use_recordings(scenarios)

    def set_passthrough(self, passthrough: PassThrough | None) -> None:
        """Relay requests to an upstream and keep what comes back (recording); None: stop."""
        self.state.passthrough = passthrough

    def __repr__(self) -> str:
        where = self.url if self._app.port is not None else "not running"
        return f"<MockServer {where}, {len(self.state.registry.all())} scenarios>"
