"""streamrig: a test rig for LLM streaming clients.

The public names load on first use (PEP 562): `streamrig serve` and the pytest
plugin's session start import only what they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import (
    CheckFailed,
    ProviderMismatch,
    ScenarioError,
    StreamrigError,
    UnsupportedFeature,
    UsageError,
)
from ._lazy import lazy_names
from ._version import __version__
from .probe import Probe, probe  # eager: `streamrig.probe` is the function, not the module

# Eager too: `streamrig.timeline` is the function, and the package's own import would
# otherwise bind the name to the module. The package itself is thin: its views load
# on first use.
from .timeline import timeline

if TYPE_CHECKING:
    from . import checks
    from .rig import Played, Rig
    from .scenario import Provider, Scenario, Shape, ShapeLevel, load_scenarios
    from .server import Journal, JournalEntry, MockServer, Outcome, shapes
    from .timeline import Timeline

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

# public name -> the module that defines it (None: the name is that submodule)
_LAZY = {
    "checks": None,
    "Played": ".rig",
    "Rig": ".rig",
    "Provider": ".scenario",
    "Scenario": ".scenario",
    "Shape": ".scenario",
    "ShapeLevel": ".scenario",
    "load_scenarios": ".scenario",
    "Journal": ".server",
    "JournalEntry": ".server",
    "MockServer": ".server",
    "Outcome": ".server",
    "shapes": ".server",
    "Timeline": ".timeline",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
