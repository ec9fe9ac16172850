"""Timelines: one request as it played, frame by frame, as text, SVG or a self-contained page.

`timeline(entry, probe)` reads a journal entry (and the probe of the client that read
it); `planned(scenario, provider)` gives a scenario's plan in the same form; `page()`
puts several timelines on one HTML page. A pure view of journal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ..probe import Probe
    from ..scenario import Provider, Scenario
    from ..server import JournalEntry
    from ._files import clear_pages, write_index, write_test_page
    from ._html import STYLE, fragment, page
    from ._model import Gap, Mark, Receipt, Row, Timeline

__all__ = [
    "STYLE",
    "Gap",
    "Mark",
    "Receipt",
    "Row",
    "Timeline",
    "clear_pages",
    "fragment",
    "page",
    "planned",
    "timeline",
    "timelines",
    "write_index",
    "write_test_page",
]


# The builders import the server and the checks, the views (model, HTML, SVG, files)
# are most of the package: all load on first use, so importing `streamrig` (which
# `streamrig serve` does) or the pytest plugin does not pay for them.

# public name -> the module that defines it (PEP 562)
_LAZY = {
    "clear_pages": "._files",
    "write_index": "._files",
    "write_test_page": "._files",
    "STYLE": "._html",
    "fragment": "._html",
    "page": "._html",
    "Gap": "._model",
    "Mark": "._model",
    "Receipt": "._model",
    "Row": "._model",
    "Timeline": "._model",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)


def timeline(entry: JournalEntry, probe: Probe[Any] | None = None) -> Timeline:
    """The timeline of one request as it played (see `_build.timeline`)."""
    from ._build import timeline as build

    return build(entry, probe)


def timelines(entries: Sequence[JournalEntry], probes: Sequence[Probe[Any]] = ()) -> list[Timeline]:
    """A timeline per entry, each with the probe that read it (see `_build.timelines`)."""
    from ._build import timelines as build

    return build(entries, probes)


def planned(
    scenario: Scenario,
    provider: Provider | str,
    *,
    attempt: int = 1,
    seed: int = 0,
    speed: float = 1.0,
) -> Timeline:
    """A scenario's plan on `provider`'s wire, as `streamrig show` prints it."""
    from ._planned import planned as build

    return build(scenario, provider, attempt=attempt, seed=seed, speed=speed)
