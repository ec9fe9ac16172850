"""Record and replay: a pass-through proxy that tees timed chunks into vcrpy-shaped cassettes.

Names load on first use (PEP 562): `serve` needs none of them until a pass-through
relays a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
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

# public name -> the module that defines it
_LAZY = {
    "Interaction": "._cassette",
    "cassette_data": "._cassette",
    "dump_cassette": "._cassette",
    "write_cassette": "._cassette",
    "cassette_name": "._naming",
    "RecordingFailed": "._proxy",
    "forward": "._proxy",
    "RecordingProxy": "._recorder",
    "recording_app": "._recorder",
    "REDACTED": "._redact",
    "Redactor": "._redact",
    "Profile": "._vcr_import",
    "import_vcr": "._vcr_import",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
