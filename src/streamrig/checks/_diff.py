"""Differences rendered for people: where two texts part, which tool calls are missing."""

from __future__ import annotations

from collections.abc import Sequence

from ._neutral import ToolCall

__all__ = ["text_difference", "tool_call_difference"]

_CONTEXT = 24


def text_difference(expected: str, got: str) -> str | None:
    """None when equal; else where they part, with context on both sides."""
    if expected == got:
        return None
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got))
    )
    start = max(0, index - _CONTEXT)
    lead = "..." if start else ""
    where = f"they part at character {index}"
    if index == len(got):
        where += f": the client's text stops there, {len(expected) - index} character(s) short"
    elif index == len(expected):
        where += f": the client has {len(got) - index} character(s) more"
    return (
        f"{where}\n"
        f"      expected: {lead}{expected[start : index + _CONTEXT]!r}\n"
        f"      got:      {lead}{got[start : index + _CONTEXT]!r}\n"
        f"      {' ' * (10 + len(lead) + 1 + index - start)}^"
    )


def tool_call_difference(expected: Sequence[ToolCall], got: Sequence[ToolCall]) -> str | None:
    """None when equal; else the first call that differs, and what is missing or extra."""
    if list(expected) == list(got):
        return None
    lines = []
    for index, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            lines.append(f"call {index} differs:\n      expected: {want}\n      got:      {have}")
            break
    for call in expected[len(got) :]:
        lines.append(f"missing: {call}")
    for call in got[len(expected) :]:
        lines.append(f"extra:   {call}")
    return "\n    ".join(lines) or "the calls differ in order"
