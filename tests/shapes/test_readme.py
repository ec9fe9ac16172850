"""The README's shapes and battery sections: their snippets run, their clients are the tested files."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    return README[start : README.index("\n## ", start + 1)]


def test_the_shapes_snippet_runs():
    snippet = re.search(r"```python\n(.*?)```", section("Stream shapes"), re.S).group(1)
    exec(compile(snippet, "README.md: Stream shapes", "exec"), {})


def test_the_battery_section_shows_the_example_clients_as_tested():
    text = section("The battery")
    for name in ("battery_client.py", "battery_client.ts"):
        source = (ROOT / "tests" / "examples" / name).read_text()
        assert source in text, f"README's copy of tests/examples/{name} is out of date"


def test_the_battery_library_snippet_runs(tmp_path, monkeypatch):
    snippet = re.search(r"```python\n(.*?)```", section("The battery"), re.S).group(1)
    (tmp_path / "client.py").write_text(
        (ROOT / "tests" / "examples" / "battery_client.py").read_text()
    )
    monkeypatch.chdir(tmp_path)
    namespace = {"Path": Path}
    exec(compile(snippet.replace('"python"', repr(sys.executable)), "README.md", "exec"), namespace)
    report = namespace["report"]
    assert [r.case.name for r in report.results] == ["text/unicode", "fault/truncate"]
    assert (tmp_path / "battery.xml").read_text().count("<testcase") == 2
