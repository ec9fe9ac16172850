"""The README's battery section: its clients are the tested files, its library snippet
runs beside one (the shapes snippet is run by tests/test_readme.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.readme import README, section

ROOT = README.parent


def test_the_battery_section_shows_the_example_clients_as_tested():
    text = section("## The battery")
    for name in ("battery_client.py", "battery_client.ts"):
        source = (ROOT / "tests" / "examples" / name).read_text()
        assert source in text, f"README's copy of tests/examples/{name} is out of date"


def test_the_battery_library_snippet_runs(tmp_path, monkeypatch):
    snippet = re.search(r"```python\n(.*?)```", section("## The battery"), re.S).group(1)
    (tmp_path / "client.py").write_text(
        (ROOT / "tests" / "examples" / "battery_client.py").read_text()
    )
    monkeypatch.chdir(tmp_path)
    namespace = {"Path": Path}
    exec(compile(snippet.replace('"python"', repr(sys.executable)), "README.md", "exec"), namespace)
    report = namespace["report"]
    assert [r.case.name for r in report.results] == ["text/unicode", "fault/truncate"]
    assert (tmp_path / "battery.xml").read_text().count("<testcase") == 2
