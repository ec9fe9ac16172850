"""Timeline pages on disk, one per test, and the index that links them (for the pytest plugin).

Each page names its test and outcome in `<meta>` tags, so the index is made from the
folder itself: it lists what every process (xdist workers too) wrote.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path

from ._html import STYLE, page
from ._model import Timeline

__all__ = ["INDEX", "clear_pages", "write_index", "write_test_page"]

INDEX = "index.html"
_META = re.compile(rb'<meta name="streamrig-(test|outcome)" content="([^"]*)">')


def write_test_page(folder: Path, test: str, outcome: str, timelines: Sequence[Timeline]) -> Path:
    """The page of one test (every request it made) under `folder`; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(test)
    body = page(timelines, title=f"{test} ({outcome})", links=[(INDEX, "all tests")])
    meta = (
        f'<meta name="streamrig-test" content="{html.escape(test)}">'
        f'<meta name="streamrig-outcome" content="{html.escape(outcome)}">'
    )
    path.write_text(body.replace("<head>", "<head>" + meta, 1), encoding="utf-8")
    return path


def _file_name(test: str) -> str:
    readable = re.sub(r"[^\w.-]+", "_", test).strip("_")[:120]
    return f"{readable}-{hashlib.sha1(test.encode()).hexdigest()[:8]}.html"


def _pages(folder: Path) -> list[tuple[str, str, Path]]:
    """(test, outcome, path) of each page this module wrote in `folder`."""
    found = []
    for path in sorted(folder.glob("*.html")):
        if path.name == INDEX:
            continue
        with path.open("rb") as f:
            head = f.read(4096)
        meta = dict(_META.findall(head))
        if b"test" in meta:
            found.append((html.unescape(meta[b"test"].decode()), meta[b"outcome"].decode(), path))
    return found


def clear_pages(folder: Path) -> None:
    """Remove the pages (and index) an earlier run wrote; other files stay."""
    if folder.is_dir():
        for _, _, path in _pages(folder):
            path.unlink()
        (folder / INDEX).unlink(missing_ok=True)


def write_index(folder: Path) -> Path | None:
    """`index.html` linking every test page in `folder`, failures first; None if there is none."""
    pages = sorted(_pages(folder), key=lambda p: (p[1] == "passed", p[0]))
    if not pages:
        return None
    items = "".join(
        f'<li class="srt-{html.escape(outcome)}"><a href="{html.escape(path.name)}">'
        f"{html.escape(test)}</a> {html.escape(outcome)}</li>"
        for test, outcome, path in pages
    )
    index = folder / INDEX
    index.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>streamrig timelines</title><style>{STYLE}"
        ".srt-failed a { color: #d00; font-weight: 600; }</style></head>\n"
        f'<body class="srt"><h1 style="font-size:18px">streamrig timelines: {len(pages)} test(s)</h1>'
        f'<ul class="srt-index">{items}</ul></body></html>\n',
        encoding="utf-8",
    )
    return index
