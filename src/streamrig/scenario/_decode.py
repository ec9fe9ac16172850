"""A scenario file's bytes as text (no YAML needed: a bundled file's text may be all it takes)."""

from __future__ import annotations

from typing import Any

from .._errors import ScenarioError

__all__ = ["decode_text"]


def decode_text(raw: bytes, source: Any) -> str:
    """A scenario file's text: UTF-8 (a leading BOM is dropped), or a problem at its line."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - raw.rfind(b"\n", 0, error.start)
        raise ScenarioError(
            f"not UTF-8: byte 0x{raw[error.start]:02x} at column {column} (save the file as UTF-8)",
            path=source,
            line=line,
        ) from None
