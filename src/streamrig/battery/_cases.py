"""The battery's cases: which scenario each plays, and what a correct client does with it."""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import StreamrigError, UsageError
from ..checks import neutral
from ..providers import EncodeContext, wire_format
from ..scenario import (
    Attempt,
    Fault,
    FaultKind,
    Provider,
    Scenario,
    ShapeLevel,
    bundled_path,
    load_scenarios,
)
from ..server import final_message, shapes

__all__ = ["CONTENT_SCENARIOS", "Case", "Expect", "build_cases", "select_cases"]

CONTENT_SCENARIOS = ("short_text", "unicode", "tool_after_text", "multiple_text_blocks")
SHAPED_SCENARIOS = ("unicode", "tool_after_text")
RETRY_AFTER_S = 1.0
RETRY_AFTER_MS = 300


class Expect(str, enum.Enum):
    """What a correct client does with a case."""

    TEXT = "exit 0, the reply's text on stdout"
    FAILURE = "a non-zero exit, not a complete-looking reply"
    GIVE_UP = "a non-zero exit before the timeout"
    RETRY = "waits retry-after, retries, then the reply's text"
    RECOVER = "the full text once (retrying itself), or a non-zero exit"


@dataclass(frozen=True, slots=True)
class Case:
    """One run of the client: the scenario it is pointed at and what it must do."""

    name: str  # also the scenario's name on the server: /s/<name>/
    scenario: Scenario
    expect: Expect
    text: str  # the reply's text, as a correct client prints it
    provider: Provider = Provider.ANTHROPIC  # the endpoint the client must call
    retry_after_s: float = 0.0  # RETRY: the least wait before each retry


def build_cases(
    provider: Provider,
    shapes_per_scenario: int = 3,
    seed: int = 0,
    shape_level: ShapeLevel | str = ShapeLevel.REALISTIC,
) -> list[Case]:
    """Every case for a client of `provider`'s endpoint: content, shapes (at `shape_level`),
    faults, retries, recovery."""
    library = {s.name: s for s in load_scenarios([bundled_path()]).scenarios}
    cases: list[Case] = []
    for name in CONTENT_SCENARIOS:
        cases.append(_case(f"text/{name}", library[name], Expect.TEXT, provider))
    for name in SHAPED_SCENARIOS:
        for variant in shapes(library[name], shapes_per_scenario, seed=seed, level=shape_level):
            cases.append(_case(f"shape/{variant.name}", variant, Expect.TEXT, provider))
    base = library["long_text"]
    faults = {
        "fault/reset": Fault(FaultKind.RESET, after_events=8),
        "fault/truncate": Fault(FaultKind.TRUNCATE, after_events=8),
        "fault/error_event": Fault(FaultKind.ERROR, after_events=8, error_type="overloaded_error"),
        "fault/malformed": Fault(FaultKind.MALFORMED, after_events=8),
        "fault/stall": Fault(FaultKind.STALL, after_events=8),
    }
    for name, fault in faults.items():
        expect = Expect.GIVE_UP if fault.kind is FaultKind.STALL else Expect.FAILURE
        cases.append(_case(name, dataclasses.replace(base, faults=(fault,)), expect, provider))
    for name, status, headers, wait in (
        ("retry/429", 429, {"retry-after": f"{RETRY_AFTER_S:g}"}, RETRY_AFTER_S),
        ("retry/529", 529, {"retry-after-ms": str(RETRY_AFTER_MS)}, RETRY_AFTER_MS / 1000),
    ):
        attempts = (Attempt(status=status, headers=headers), Attempt())
        scenario = dataclasses.replace(library["short_text"], attempts=attempts)
        cases.append(_case(name, scenario, Expect.RETRY, provider, retry_after_s=wait))
    reset = (Attempt(faults=(Fault(FaultKind.RESET, after_events=8),)), Attempt())
    cases.append(
        _case(
            "recovery/reset_then_ok",
            dataclasses.replace(base, attempts=reset),
            Expect.RECOVER,
            provider,
        )
    )
    return cases


def select_cases(cases: Sequence[Case], patterns: str | None) -> list[Case]:
    """The cases named by a comma-separated list of names, globs or groups (`fault`, `shape/*`)."""
    if not patterns:
        return list(cases)
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    chosen = [
        case
        for case in cases
        if any(
            fnmatch.fnmatchcase(case.name, p) or case.name.startswith(p.rstrip("/") + "/")
            for p in wanted
        )
    ]
    unknown = [
        p
        for p in wanted
        if not any(
            fnmatch.fnmatchcase(c.name, p) or c.name.startswith(p.rstrip("/") + "/") for c in cases
        )
    ]
    if unknown:
        raise UsageError(
            f"--cases: no case matches {', '.join(unknown)}; cases: {', '.join(c.name for c in cases)}"
        )
    return chosen


def _case(
    name: str,
    scenario: Scenario,
    expect: Expect,
    provider: Provider,
    retry_after_s: float = 0.0,
) -> Case:
    named = dataclasses.replace(scenario, name=name, match=None)
    ctx = EncodeContext(scenario=name, model="model", rng=random.Random(0), created=0)
    wire = wire_format(provider)
    try:
        plain = dataclasses.replace(named, faults=(), attempts=(), shape=None)
        text = neutral(final_message(plain, wire, ctx), provider).text
    except StreamrigError as error:
        raise UsageError(f"battery case {name}: {error}") from error
    return Case(name, named, expect, text, provider, retry_after_s)
