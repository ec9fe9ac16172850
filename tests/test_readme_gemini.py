"""The README's Gemini section: every Python snippet in it runs, as printed."""

from __future__ import annotations

import pytest

from tests.readme import INI, README, snippets


def _snippets() -> list[str]:
    return snippets("### Gemini")


def test_the_section_has_its_snippets():
    assert len(_snippets()) == 2


def test_the_base_url_snippet_runs(capsys):
    plain = next(s for s in _snippets() if "def test_" not in s)
    exec(compile(plain, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "Let me check the weather for you." in out and "get_weather" in out


@pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")
def test_the_pytest_snippet_passes(pytester):
    tests = [s for s in _snippets() if "def test_" in s]
    pytester.makeini(INI)
    pytester.makepyfile(**{f"test_readme_{n}": source for n, source in enumerate(tests)})
    result = pytester.runpytest("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=len(tests))
