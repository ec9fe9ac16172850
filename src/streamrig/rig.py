"""Rig: a handle on a running MockServer for one test: play a scenario, read the journal, check."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import UsageError
from .checks import Accumulated, Checks, neutral
from .probe import Probe, probe
from .providers import EncodeContext, wire_format
from .record import Redactor, write_cassette
from .scenario import SCENARIO_SUFFIXES, Provider, Scenario, collect_scenarios, with_overrides
from .server import Journal, MockServer, PassThrough, final_message
from .timeline import Timeline, timeline, timelines

__all__ = ["RECORD_MODES", "Played", "Rig"]

RECORD_MODES = ("none", "once", "new", "all")


@dataclass(frozen=True, slots=True)
class Played:
    """The scenario now playing, and what a correct client accumulates from it."""

    scenario: Scenario
    expected: Accumulated

    @property
    def name(self) -> str:
        return self.scenario.name


class Rig:
    """One test's view of a shared server: it resets it, plays scenarios, and judges clients.

    `scenario_dirs` are searched, in order, for names the server has not loaded.
    """

    def __init__(self, server: MockServer, scenario_dirs: Sequence[Path] = ()) -> None:
        self.server = server
        self.scenario_dirs = list(scenario_dirs)
        self.check = Checks(server)
        self.probes: list[Probe[Any]] = []  # made by `probe()` since the last reset

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def anthropic_base_url(self) -> str:
        return self.server.anthropic_base_url

    @property
    def openai_base_url(self) -> str:
        return self.server.openai_base_url

    @property
    def gemini_base_url(self) -> str:
        return self.server.gemini_base_url

    @property
    def journal(self) -> Journal:
        """The server's journal: every request since the last reset (`.entries()`, `.last()`,
        `.settled()`); iterating or indexing it gives finished entries, oldest first."""
        return self.server.journal

    @property
    def requests(self) -> list[Any]:
        """The bodies the client sent, oldest first (parsed JSON)."""
        return [entry.body for entry in self.journal]

    def reset(self) -> None:
        self.server.reset()
        self.probes.clear()

    def play(self, scenario: str | Path | Scenario | Mapping[str, Any], **overrides: Any) -> Played:
        """Answer every request that names no scenario with this one, changed by `overrides`.

        `scenario`: a loaded scenario's name, a name found in the scenario folders, a
        path, a mapping in the YAML form, or a Scenario.
        """
        chosen = self.server.play(self._find(scenario), **overrides)
        return Played(chosen, expected_of(chosen))

    @contextmanager
    def cassette(
        self, path: Path, mode: str = "none", upstream: str | None = None, **overrides: Any
    ) -> Iterator[Path]:
        """Replay the cassette at `path` (with `overrides`, e.g. faults, laid on top), and
        record what it lacks through `upstream`, as `mode` says: `none` replays only (a
        missing cassette is an error), `once` records a missing cassette, `new` also
        records requests the cassette lacks, `all` records afresh. Written at the end."""
        exists = path.exists()
        if mode not in RECORD_MODES:
            raise UsageError(f"record mode {mode!r}: use one of {', '.join(RECORD_MODES)}")
        if mode == "none" and not exists:
            raise UsageError(
                f"no cassette at {path}: record it with --streamrig-record=once --streamrig-upstream URL "
                "(or `streamrig record`)"
            )
        records = mode in ("new", "all") or (mode == "once" and not exists)
        if records and not upstream:
            raise UsageError(
                f"recording {path} needs an upstream: --streamrig-upstream URL (or ini streamrig_upstream)"
            )
        replayed = [] if mode == "all" or not exists else collect_scenarios(path)
        self.server.use_recordings(
            [with_overrides(s, overrides, source=str(path)) for s in replayed]
        )
        recorder = PassThrough(str(upstream), always=not replayed) if records else None
        self.server.set_passthrough(recorder)
        try:
            yield path
        finally:
            self.server.set_passthrough(None)
            taken = recorder.taken() if recorder else []
            if taken:
                write_cassette(path, taken, Redactor(), append=mode == "new")

    def probe(self, source: Any = None) -> Probe[Any]:
        """Wrap the client's stream (sync or async), or with no source note chunks with
        `probe.note(item)` / `on_token=probe`, to time each chunk: see `check.timing`.
        The rig keeps it, so its timelines show when the client received each chunk."""
        made = probe(source)
        self.probes.append(made)
        return made

    def timeline(self, probe: Probe[Any] | None = None) -> Timeline:
        """The timeline of the last request (see `streamrig.timeline`), with `probe`, else
        with the probe made by `probe()` that read it, if any."""
        entry = self.journal.last()
        if probe is not None:
            return timeline(entry, probe)
        return timelines([entry], self.probes)[0]

    def timelines(self) -> list[Timeline]:
        """A timeline per request since the last reset, each with the probe that read it."""
        return timelines(self.journal.settled(), self.probes)

    def _find(self, scenario: str | Path | Scenario | Mapping[str, Any]) -> Scenario:
        """A loaded scenario, a path, a mapping or a Scenario; else a name in the folders."""
        if (
            isinstance(scenario, str)
            and not self.server.has(scenario)
            and not scenario.endswith(SCENARIO_SUFFIXES)
        ):
            for folder in self.scenario_dirs:
                for suffix in SCENARIO_SUFFIXES:
                    if (folder / f"{scenario}{suffix}").is_file():
                        return self.server.resolve(folder / f"{scenario}{suffix}")
            known = self.server.names()
            raise UsageError(
                f"no scenario named {scenario!r}: not loaded ({', '.join(known)}) and not in "
                f"{', '.join(map(str, self.scenario_dirs)) or 'any scenario folder'}"
            )
        return self.server.resolve(scenario)


def expected_of(scenario: Scenario, provider: Provider | None = None) -> Accumulated:
    """What a correct client accumulates from a scenario (its own provider, else Anthropic);
    for a conversation, from its last turn."""
    chosen = provider or scenario.provider or Provider.ANTHROPIC
    scenario = scenario.for_turn(len(scenario.turns)) if scenario.turns else scenario
    ctx = EncodeContext(
        scenario=scenario.name, model=scenario.model or "model", rng=random.Random(0), created=0
    )
    return neutral(final_message(scenario, wire_format(chosen), ctx), chosen)
