"""The mock server: aiohttp app, scenario selection, the player, the journal, the admin API."""

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
