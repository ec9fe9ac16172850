"""The mock server: aiohttp app, scenario selection, the player, the journal, the admin API."""

from ._app import MAX_BODY_BYTES, SCENARIO_HEADER, create_app
from ._journal import FrameRecord, Journal, JournalEntry, Outcome, redact_headers
from ._schedule import Frame, final_message, frames_for
from ._select import ScenarioRegistry, UnknownScenario
from ._state import ServerState
from ._thread import MockServer

__all__ = [
    "MAX_BODY_BYTES",
    "SCENARIO_HEADER",
    "Frame",
    "FrameRecord",
    "Journal",
    "JournalEntry",
    "MockServer",
    "Outcome",
    "ScenarioRegistry",
    "ServerState",
    "UnknownScenario",
    "create_app",
    "final_message",
    "frames_for",
    "redact_headers",
]
