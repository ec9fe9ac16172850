"""Record and replay: a pass-through proxy that tees timed chunks into vcrpy-shaped cassettes.

Names load on first use (PEP 562): `serve` needs none of them until a pass-through
relays a request."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
