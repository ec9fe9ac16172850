"""Timelines: one request as it played, frame by frame, as text, SVG or a self-contained page.

`timeline(entry, probe)` reads a journal entry (and the probe of the client that read
it); `planned(scenario, provider)` gives a scenario's plan in the same form; `page()`
puts several timelines on one HTML page. A pure view of journal data.
"""

from ._build import timeline, timelines
from ._files import clear_pages, write_index, write_test_page
from ._html import STYLE, fragment, page
from ._model import Gap, Mark, Receipt, Row, Timeline
from ._planned import planned

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
