"""The README's conversation example (scenario file and test) runs as it stands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streamrig.scenario import scenario_from_text

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

README = Path(__file__).resolve().parents[1] / "README.md"


def section_blocks(title: str) -> dict[str, str]:
    """The fenced blocks of a README section whose first line names a file: path -> text."""
    text = README.read_text("utf-8")
    body = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:yaml|python)\n(# (\S+)\n.*?)```", body, re.S)
    return {path: block for block, path in blocks}


def test_every_scenario_of_the_section_loads():
    files = section_blocks("Conversations and agent loops")
    scenarios = [path for path in files if path.endswith(".yaml")]
    assert len(scenarios) == 4
    for path in scenarios:
        scenario_from_text(files[path], Path(path).stem, source=path)


def test_conversation_example_runs(pytester):
    files = section_blocks("Conversations and agent loops")
    assert {"tests/scenarios/weather_agent.yaml", "tests/test_agent.py"} <= set(files)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    for path, text in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = pytester.runpytest("-q", "-p", "no:randomly", "--streamrig-speed", "0")
    result.assert_outcomes(passed=1)
