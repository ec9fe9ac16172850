"""The README's conversation example (scenario files and a test file, laid out as a
project) runs as it stands; tests/test_readme.py validates its YAML."""

from __future__ import annotations

import re

import pytest

from tests.readme import INI, section

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")


def test_conversation_example_runs(pytester):
    body = section("## Conversations and agent loops")
    files = {
        path: block
        for block, path in re.findall(r"```(?:yaml|python)\n(# (\S+)\n.*?)```", body, re.S)
    }
    assert {"tests/scenarios/weather_agent.yaml", "tests/test_agent.py"} <= set(files)
    pytester.makeini(INI)
    for path, text in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    result = pytester.runpytest("-q", "-p", "no:randomly", "--streamrig-speed", "0")
    result.assert_outcomes(passed=1)
