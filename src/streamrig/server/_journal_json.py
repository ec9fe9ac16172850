"""The journal as JSON: always valid, built entry by entry off the event loop."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from ._journal import JournalEntry

__all__ = ["journal_json"]

_CHUNK = 1 << 20  # bytes per write


def journal_json(entries: Sequence[JournalEntry], more: bool) -> list[bytes]:
    """`{"entries": [...], "more": bool}` as pieces of about a megabyte.

    Meant to run on a worker thread: one entry at a time, so the server's own
    thread gets its turn between entries. Strict JSON whatever an entry holds
    (a non-finite number becomes a string, a lone surrogate an escape).
    """
    pieces: list[bytes] = []
    buffer = bytearray(b'{"entries":[')
    for index, entry in enumerate(entries):
        if index:
            buffer += b","
        buffer += _dumps(entry.to_dict())
        if len(buffer) >= _CHUNK:
            pieces.append(bytes(buffer))
            buffer.clear()
    buffer += b'],"more":' + (b"true" if more else b"false") + b"}"
    pieces.append(bytes(buffer))
    return pieces


def _dumps(value: Any) -> bytes:
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"), default=str)
    except ValueError:  # NaN or Infinity somewhere
        text = json.dumps(_finite(value), allow_nan=False, separators=(",", ":"), default=str)
    return text.encode("ascii")  # ensure_ascii: every lone surrogate is an escape


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
