"""The bundled library, parsed once: `serve` with no paths starts without loading YAML.

`_bundled_parsed.json` holds what parsing each text of the bundled library gives
(the data, and the line of each key), keyed by the SHA-256 of the text. Parsing is a
pure function of the text, so a text found there is not parsed again; a file edited
since, or any other text, is parsed as usual. Every later step (the rules, building
the scenario) runs on what is found as it would on a fresh parse.

tests/scenario/test_parsed.py holds the file to the library; after editing a bundled
scenario, write it again:

    python -c "from streamrig.scenario._parsed import main; main()"
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["MAX_CHARS", "PARSED", "parsed_before", "snapshot"]

PARSED = Path(__file__).with_name("_bundled_parsed.json")
MAX_CHARS = 1 << 20  # longer texts (a large cassette) are not looked up: no hash to pay

LineMap = dict[tuple[str | int, ...], int]


def parsed_before(text: str) -> tuple[Any, LineMap] | None:
    """What parsing `text` gave when the snapshot was written (fresh objects), else None."""
    if len(text) > MAX_CHARS:
        return None
    entry = _entries().get(_digest(text))
    if entry is None:
        return None
    data, lines = json.loads(entry)
    return data, {tuple(path): line for path, line in lines}


@functools.cache
def _entries() -> dict[str, str]:
    try:
        texts: dict[str, str] = json.loads(PARSED.read_text("utf-8"))["texts"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no snapshot (or a broken one): every text is parsed
    return texts


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def snapshot(folder: Path) -> str:
    """The snapshot of the YAML and JSON files under `folder`: each text parsed afresh. A
    text that does not parse, has duplicate keys, is longer than MAX_CHARS, or whose data
    JSON cannot hold exactly is left out."""
    from .._errors import ScenarioError
    from ._decode import decode_text
    from ._load import SCENARIO_SUFFIXES, parse_yaml_text

    texts: dict[str, str] = {}
    for file in sorted(folder.rglob("*")):
        if file.suffix not in SCENARIO_SUFFIXES or file.suffix == ".sse" or not file.is_file():
            continue
        try:
            text = decode_text(file.read_bytes(), file)
            data, lines, duplicates = parse_yaml_text(text, file)
            entry = json.dumps(
                [data, [[list(path), line] for path, line in lines.items()]],
                ensure_ascii=False,
                separators=(",", ":"),
            )
        except (ScenarioError, TypeError, ValueError):  # unreadable, or no JSON (bytes)
            continue
        if not duplicates and len(text) <= MAX_CHARS and _same(json.loads(entry)[0], data):
            texts[_digest(text)] = entry
    about = "streamrig's bundled library, parsed (see streamrig/scenario/_parsed.py)"
    return json.dumps({"about": about, "texts": texts}, ensure_ascii=False, indent=1) + "\n"


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (JSON turns keys into strings)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b or (a != a and b != b))  # NaN is itself


def main() -> None:
    from ._bundled import bundled_path

    PARSED.write_text(snapshot(bundled_path()), "utf-8")
    print(f"wrote {PARSED}")
