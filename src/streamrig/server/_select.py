"""Which scenario answers a request: one place, first rule that applies wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from ..scenario import Reply, Scenario, TextPart, ToolResult
from ._match import DEFAULT_MATCH_ON, NoRecordingMatches, RequestKey, best_recording

__all__ = ["FALLBACK", "ScenarioRegistry", "UnknownScenario"]

# Answers any request when no scenario is named, matched, or set as the default.
FALLBACK = Scenario(
    name="default",
    description="A plausible reply to any request",
    reply=Reply(
        parts=(
            TextPart(
                "Hello! This is a streamed reply from streamrig, a mock server for LLM "
                "streaming clients. Pick another scenario with the x-streamrig-scenario "
                "header or a /s/<name>/ path prefix."
            ),
        )
    ),
)


class UnknownScenario(LookupError):
    """A request named a scenario that is not loaded."""

    def __init__(self, name: str, known: list[str]) -> None:
        import difflib  # only a request naming an unknown scenario needs it

        self.name, self.known = name, known
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        listing = ", ".join(known) if known else "none"
        super().__init__(f"No scenario named {name!r}.{hint} Loaded: {listing}.")


class ScenarioRegistry:
    """The scenarios by name, and the default; safe across threads.

    Two layers: scenarios added at run time (`add`, kept until `reset`) come before the
    ones loaded at start, both for names and for `match` rules; within a layer, order is
    load (or add) order, and a name taken by an earlier scenario shadows later ones. The
    scenario being played is kept apart: playing a changed copy never replaces the
    scenario of that name.
    """

    def __init__(self, scenarios: Iterable[Scenario] = (), default: str | None = None) -> None:
        self._lock = threading.Lock()
        self._base: dict[str, Scenario] = {}
        for scenario in scenarios:
            self._base.setdefault(scenario.name, scenario)
        self._added: dict[str, Scenario] = {}
        self.default_name = default
        self._playing: Scenario | None = None
        self._recordings: list[Scenario] | None = None  # a test's cassette, if one is in use
        self.match_on: tuple[str, ...] = DEFAULT_MATCH_ON

    def add(self, scenario: Scenario) -> None:
        """Add a scenario at run time (kept until `reset`); it shadows one of the same name."""
        with self._lock:
            self._added.pop(scenario.name, None)
            self._added[scenario.name] = scenario

    def reset(self) -> None:
        """Forget scenarios added at run time, and the one being played."""
        with self._lock:
            self._added = {}
            self._playing = None
            self._recordings = None

    def play(self, scenario: Scenario | None) -> None:
        """Answer every request that names no scenario with this one (None: stop).

        It is not registered under its name: a request naming that name gets the
        registered scenario (the played one only when no other has the name)."""
        with self._lock:
            self._playing = scenario

    def all(self) -> list[Scenario]:
        """Every named scenario in matching order: run-time ones, then loaded ones."""
        with self._lock:
            loaded = [s for name, s in self._base.items() if name not in self._added]
            return [*self._added.values(), *loaded]

    def use_recordings(self, scenarios: list[Scenario] | None) -> None:
        """Match requests against these recorded interactions only (None: stop)."""
        with self._lock:
            self._recordings = list(scenarios) if scenarios is not None else None

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._added or name in self._base

    def get(self, name: str) -> Scenario:
        with self._lock:
            scenario = self._added.get(name, self._base.get(name))
            if scenario is None:
                raise UnknownScenario(name, sorted({*self._added, *self._base}))
            return scenario

    def named(self, name: str) -> Scenario:
        """What a request naming `name` gets: the registered scenario, else the played one."""
        playing = self._playing
        if not self.has(name) and playing is not None and playing.name == name:
            return playing
        return self.get(name)

    def default(self) -> Scenario:
        with self._lock:
            name = self.default_name or "default"
            if self.default_name is None and len(self._base) == 1:
                return next(iter(self._base.values()))
            return self._added.get(name, self._base.get(name, FALLBACK))

    def select(
        self,
        *,
        path_name: str | None,
        header_name: str | None,
        provider_scenarios: Iterable[Scenario] | None = None,
        model: str | None,
        last_user_text: str,
        request: RequestKey | None = None,
        occurrence: Callable[[], int] = lambda: 1,
        turn: int = 1,
        tool_results: tuple[ToolResult, ...] = (),
    ) -> Scenario:
        # Precedence: /s/<name>/ path prefix > x-streamrig-scenario header > the played
        # scenario > recorded interactions matching the request > match rules > default.
        if path_name:
            return self.named(path_name)
        if header_name:
            return self.named(header_name)
        if self._playing is not None:
            return self._playing
        candidates = list(provider_scenarios if provider_scenarios is not None else self.all())
        recorded = (
            self._recordings
            if self._recordings is not None
            else [s for s in candidates if s.request]
        )
        if recorded and request is not None:
            try:
                return best_recording(recorded, request, self.match_on, occurrence())
            except NoRecordingMatches:
                # Only recordings loaded (or a test's cassette in use): no match is an error.
                strict = self._recordings is not None or all(s.request for s in candidates)
                if strict and self.default_name is None:
                    raise
        for scenario in candidates:
            match = scenario.match
            if match is not None and match.matches(model, last_user_text, turn, tool_results):
                return scenario
        return self.default()
