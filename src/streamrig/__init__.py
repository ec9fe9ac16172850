"""streamrig: a test rig for LLM streaming clients."""

from ._errors import ProviderMismatch, ScenarioError, StreamrigError, UnsupportedFeature, UsageError
from ._version import __version__
from .scenario import Provider, Scenario, load_scenarios
from .server import Journal, JournalEntry, MockServer, Outcome

__all__ = [
    "Journal",
    "JournalEntry",
    "MockServer",
    "Outcome",
    "Provider",
    "ProviderMismatch",
    "Scenario",
    "ScenarioError",
    "StreamrigError",
    "UnsupportedFeature",
    "UsageError",
    "__version__",
    "load_scenarios",
]
