"""One place that turns every accepted shape of 'some scenarios' into a list of Scenario."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._errors import ScenarioError, UsageError
from ._bundled import bundled_path
from ._load import load_scenarios, scenario_from_mapping
from ._model import Scenario

__all__ = ["ScenarioSource", "collect_scenarios"]

# A path (file or folder), a Scenario, a mapping in the YAML form, or a list of those.
ScenarioSource = str | Path | Scenario | Mapping[str, Any] | Iterable[Any] | None


def collect_scenarios(source: ScenarioSource) -> list[Scenario]:
    """Normalise `source` once; None means the bundled library. Any problem raises ScenarioError."""
    if source is None:
        source = bundled_path()
    items: Iterable[Any] = (
        [source] if isinstance(source, (str, Path, Scenario, Mapping)) else source
    )
    scenarios: list[Scenario] = []
    problems: list[ScenarioError] = []
    for item in items:
        if isinstance(item, Scenario):
            scenarios.append(item)
        elif isinstance(item, Mapping):
            scenarios.append(scenario_from_mapping(item, str(item.get("name", "scenario"))))
        elif isinstance(item, (str, Path)):
            report = load_scenarios([item])
            scenarios.extend(report.scenarios)
            problems.extend(report.errors)
        else:
            raise UsageError(
                f"cannot make a scenario of {type(item).__name__}; give a path, a Scenario, "
                "a mapping, or a list of those"
            )
    if problems:
        raise ScenarioError.combine(problems)
    return scenarios
