"""Reading the README from tests: one place that knows where it is and how sections end."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
# What the README's pytest snippets need of a user's project: pytest-asyncio's auto mode.
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def section(heading: str) -> str:
    """The text under a heading line such as `## Checks`, up to the next heading of its level."""
    text = README.read_text(encoding="utf-8")
    body = text[text.index(f"\n{heading}\n") :]
    level = heading.split(" ", 1)[0]
    return body[: body.index(f"\n{level} ", 1)]


def snippets(heading: str, lang: str = "python") -> list[str]:
    """The fenced `lang` blocks of a section, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", section(heading), flags=re.DOTALL)
