"""The README's timeline table is what the snippet above it prints (times aside)."""

from __future__ import annotations

import contextlib
import io
import re

from tests.readme import snippets

HEADING = "## Timelines"


def shape(text: str) -> list[str]:
    """Each line with its numbers and runs of spaces made alike: the layout, not the times."""
    return [re.sub(r" +", " ", re.sub(r"\d+(\.\d+)?", "N", line)) for line in text.splitlines()]


def test_the_timeline_table_in_the_readme_is_what_the_snippet_prints():
    code, *_ = snippets(HEADING)
    [shown] = snippets(HEADING, "text")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "README.md (Timelines)", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue()
    assert shape(printed) == shape(shown)
    # Sizes and what each frame carried do not vary: those lines match exactly.
    assert fixed(printed) == fixed(shown) != []


def fixed(text: str) -> list[list[str]]:
    """Each frame line's index, size, event and preview (the times left out)."""
    rows = [line.split() for line in text.splitlines() if re.match(r" +\d+ ", line)]
    return [[row[0], row[4], *row[6:]] for row in rows]
