"""Record and replay: a pass-through proxy that tees timed chunks into vcrpy-shaped cassettes."""

from ._cassette import Interaction, cassette_data, dump_cassette, write_cassette
from ._naming import cassette_name
from ._proxy import RecordingFailed, forward
from ._recorder import RecordingProxy, recording_app
from ._redact import REDACTED, Redactor
from ._vcr_import import Profile, import_vcr

__all__ = [
    "REDACTED",
    "Interaction",
    "Profile",
    "RecordingFailed",
    "RecordingProxy",
    "Redactor",
    "cassette_data",
    "cassette_name",
    "dump_cassette",
    "forward",
    "import_vcr",
    "recording_app",
    "write_cassette",
]
