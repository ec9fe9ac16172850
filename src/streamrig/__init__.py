"""streamrig: a test rig for LLM streaming clients."""

from . import checks
from ._errors import (
    CheckFailed,
    ProviderMismatch,
    ScenarioError,
    StreamrigError,
    UnsupportedFeature,
    UsageError,
)
from ._version import __version__
from .probe import Probe, probe
from .rig import Played, Rig
from .scenario import Provider, Scenario, Shape, ShapeLevel, load_scenarios
from .server import Journal, JournalEntry, MockServer, Outcome, shapes
from .timeline import Timeline, timeline

__all__ = [
    "CheckFailed",
    "Journal",
    "JournalEntry",
    "MockServer",
    "Outcome",
    "Played",
    "Probe",
    "Provider",
    "ProviderMismatch",
    "Rig",
    "Scenario",
    "ScenarioError",
    "Shape",
    "ShapeLevel",
    "StreamrigError",
    "Timeline",
    "UnsupportedFeature",
    "UsageError",
    "__version__",
    "checks",
    "load_scenarios",
    "probe",
    "shapes",
    "timeline",
]
