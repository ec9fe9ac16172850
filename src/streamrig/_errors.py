"""The streamrig error tree.

StreamrigError
 ├── ScenarioError        a scenario that does not load or validate (file:line: key: message)
 ├── UnsupportedFeature   a reply part that a provider's wire format cannot carry
 ├── ProviderMismatch     a low-level scenario asked for on another provider's endpoint
 └── UsageError           the Python API or CLI called wrongly
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CheckFailed",
    "ProviderMismatch",
    "ScenarioError",
    "StreamrigError",
    "UnsupportedFeature",
    "UsageError",
]


class StreamrigError(Exception):
    """Base class of every error streamrig raises on purpose."""


class ScenarioError(StreamrigError):
    """A scenario that does not load or validate; says where and what."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        self.problems: list[ScenarioError] = [self]
        super().__init__(self.location() + message)

    @classmethod
    def combine(cls, problems: list[ScenarioError]) -> ScenarioError:
        """One error standing for several; `str()` lists them all, one per line."""
        first = problems[0]
        combined = cls(first.message, path=first.path, line=first.line, key=first.key)
        combined.problems = list(problems)
        combined.args = ("\n".join(str(problem) for problem in problems),)
        return combined

    def location(self) -> str:
        """The `file:line: key: ` prefix (each part only when known)."""
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        if self.key:
            where += f"{self.key}: "
        return where


class UnsupportedFeature(StreamrigError):
    """A reply uses something the endpoint's wire format has no form for."""

    def __init__(self, scenario: str, provider: str, feature: str, hint: str = "") -> None:
        self.scenario, self.provider, self.feature = scenario, provider, feature
        message = (
            f"scenario {scenario!r} uses {feature}, which the {provider} wire format cannot carry"
        )
        super().__init__(message + (f"; {hint}" if hint else ""))


class ProviderMismatch(StreamrigError):
    """A scenario written for one provider was asked for on another's endpoint."""

    def __init__(self, scenario: str, written_for: str, asked_on: str) -> None:
        self.scenario, self.written_for, self.asked_on = scenario, written_for, asked_on
        super().__init__(
            f"scenario {scenario!r} is written for {written_for} events but was requested "
            f"on the {asked_on} endpoint; call the {written_for} endpoint or pick another scenario"
        )


class UsageError(StreamrigError):
    """The Python API or the command line was called with arguments that cannot work."""


class CheckFailed(AssertionError):
    """A check on a client failed; the message says what was expected, what came, and where."""


# Reprs and tracebacks read `streamrig.ScenarioError`, not the private module.
for _error in (
    StreamrigError,
    ScenarioError,
    UnsupportedFeature,
    ProviderMismatch,
    UsageError,
    CheckFailed,
):
    _error.__module__ = "streamrig"
