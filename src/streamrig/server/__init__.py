"""The mock server: aiohttp app, scenario selection, the player, the journal, the admin API.

Names load on first use (PEP 562): `serve` imports the app, not the test helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from ._app import MAX_BODY_BYTES, SCENARIO_HEADER, create_app, create_runner
    from ._journal import FrameRecord, Journal, JournalEntry, Outcome, redact_headers, settle
    from ._match import DEFAULT_MATCH_ON, NoRecordingMatches, RequestKey
    from ._passthrough import PassThrough
    from ._process import ProcessServer
    from ._schedule import Ending, Frame, Hold, Plan, final_message, plan_stream
    from ._select import ScenarioRegistry, UnknownScenario
    from ._shapes import ShapeChoices, choices_of, shapes, variant_seed
    from ._show import timeline_text
    from ._state import READ_TIMEOUT, ServerState
    from ._thread import MockServer

__all__ = [
    "DEFAULT_MATCH_ON",
    "MAX_BODY_BYTES",
    "READ_TIMEOUT",
    "SCENARIO_HEADER",
    "Ending",
    "Frame",
    "FrameRecord",
    "Hold",
    "Journal",
    "JournalEntry",
    "MockServer",
    "NoRecordingMatches",
    "Outcome",
    "PassThrough",
    "Plan",
    "ProcessServer",
    "RequestKey",
    "ScenarioRegistry",
    "ServerState",
    "ShapeChoices",
    "UnknownScenario",
    "choices_of",
    "create_app",
    "create_runner",
    "final_message",
    "plan_stream",
    "redact_headers",
    "settle",
    "shapes",
    "timeline_text",
    "variant_seed",
]

# public name -> the module that defines it
_LAZY = {
    "MAX_BODY_BYTES": "._app",
    "SCENARIO_HEADER": "._app",
    "create_app": "._app",
    "create_runner": "._app",
    "FrameRecord": "._journal",
    "Journal": "._journal",
    "JournalEntry": "._journal",
    "Outcome": "._journal",
    "redact_headers": "._journal",
    "settle": "._journal",
    "DEFAULT_MATCH_ON": "._match",
    "NoRecordingMatches": "._match",
    "RequestKey": "._match",
    "PassThrough": "._passthrough",
    "ProcessServer": "._process",
    "Ending": "._schedule",
    "Frame": "._schedule",
    "Hold": "._schedule",
    "Plan": "._schedule",
    "final_message": "._schedule",
    "plan_stream": "._schedule",
    "ScenarioRegistry": "._select",
    "UnknownScenario": "._select",
    "ShapeChoices": "._shapes",
    "choices_of": "._shapes",
    "shapes": "._shapes",
    "variant_seed": "._shapes",
    "timeline_text": "._show",
    "READ_TIMEOUT": "._state",
    "ServerState": "._state",
    "MockServer": "._thread",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
