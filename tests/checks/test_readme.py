"""The README's Checks section: every Python snippet in it runs, as printed."""

from __future__ import annotations

import pytest

from tests.readme import INI, README, snippets


def _snippets() -> list[str]:
    return snippets("## Checks")


def test_the_section_has_its_snippets():
    snippets = _snippets()
    assert len(snippets) == 5
    assert sum("def test_" in s for s in snippets) == 3


def test_the_plain_snippets_run(capsys):
    for plain in [s for s in _snippets() if "def test_" not in s]:
        exec(compile(plain, str(README), "exec"), {"__name__": "readme"})
    assert "chunk 0 carried event 0, " in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")
def test_the_pytest_snippets_pass(pytester):
    tests = [s for s in _snippets() if "def test_" in s]
    pytester.makeini(INI)
    pytester.makepyfile(**{f"test_readme_{n}": source for n, source in enumerate(tests)})
    result = pytester.runpytest("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=len(tests))
