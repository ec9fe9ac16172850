"""Scenarios: the model, loading from YAML / `.sse`, and validation with file:line errors."""

from .._errors import ScenarioError
from ._bundled import bundled_path
from ._collect import ScenarioSource, collect_scenarios
from ._load import (
    SCENARIO_SUFFIXES,
    LoadReport,
    infer_provider,
    load_scenarios,
    scenario_from_mapping,
    scenario_from_sse,
    scenario_from_text,
)
from ._model import (
    Chunking,
    Citation,
    ErrorEventStep,
    EventStep,
    Match,
    Part,
    Provider,
    RawStep,
    RefusalPart,
    Reply,
    Scenario,
    Step,
    StopReason,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    Usage,
    WaitStep,
)
from ._validate import schema

__all__ = [
    "SCENARIO_SUFFIXES",
    "Chunking",
    "Citation",
    "ErrorEventStep",
    "EventStep",
    "LoadReport",
    "Match",
    "Part",
    "Provider",
    "RawStep",
    "RefusalPart",
    "Reply",
    "Scenario",
    "ScenarioError",
    "ScenarioSource",
    "Step",
    "StopReason",
    "TextPart",
    "ThinkingPart",
    "ToolCallPart",
    "Usage",
    "WaitStep",
    "bundled_path",
    "collect_scenarios",
    "infer_provider",
    "load_scenarios",
    "scenario_from_mapping",
    "scenario_from_sse",
    "scenario_from_text",
    "schema",
]
