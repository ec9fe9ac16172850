"""The plugin's scenario order: run-time, then the project's own, then the bundled library
(which an option leaves out). Run through pytester as a user's project runs it."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

ASK = """
def ask(client, text):
    message = client.messages.create(model="m", max_tokens=50, messages=[{"role": "user", "content": text}])
    return message.content[0].text if message.content[0].type == "text" else message.content[0].type
"""


@pytest.fixture
def project(pytester):
    """A project whose own scenarios match "weather", as the bundled `tool_call` does."""
    pytester.makeini(INI)
    pytester.mkdir("tests")
    scenarios = pytester.mkdir("tests/scenarios")
    (scenarios / "my_weather.yaml").write_text(
        "match: {contains: weather}\nreply: [{text: the project's weather}]\n"
    )
    (scenarios / "short_text.yaml").write_text("reply: [{text: the project's short text}]\n")
    return pytester


def write_test(project, source: str) -> None:
    (project.path / "tests" / "test_order.py").write_text(ASK + textwrap.dedent(source))


def test_the_projects_scenarios_come_before_the_bundled_library(project):
    write_test(
        project,
        """
        def test_match_rules(anthropic_client):
            assert ask(anthropic_client, "what's the weather?") == "the project's weather"

        def test_names(anthropic_client, streamrig):
            streamrig.play("short_text")
            assert ask(anthropic_client, "x") == "the project's short text"

        def test_bundled_ones_still_there(anthropic_client, streamrig):
            streamrig.play("refusal")
            assert ask(anthropic_client, "x") != "the project's short text"
        """,
    )
    project.runpytest("-q", "-p", "no:randomly").assert_outcomes(passed=3)


def test_scenarios_added_at_run_time_come_first(project):
    write_test(
        project,
        """
        def test_added(anthropic_client, streamrig):
            streamrig.server.add({"name": "rt", "match": {"contains": "weather"}, "reply": [{"text": "run time"}]})
            assert ask(anthropic_client, "weather?") == "run time"

        def test_gone_after_the_test(anthropic_client):
            assert ask(anthropic_client, "weather?") == "the project's weather"
        """,
    )
    project.runpytest("-q", "-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize("how", ["option", "ini"])
def test_no_bundled_leaves_the_library_out(project, how):
    if how == "ini":
        project.makeini(INI + "streamrig_no_bundled = true\n")
    write_test(
        project,
        """
        import pytest
        from streamrig import UsageError

        def test_only_the_projects(anthropic_client, streamrig):
            names = sorted(s.name for s in streamrig.server.state.registry.all())
            assert names == ["my_weather", "short_text"]
            with pytest.raises(UsageError, match="no scenario named 'refusal'"):
                streamrig.play("refusal")
        """,
    )
    args = ["--streamrig-no-bundled"] if how == "option" else []
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*bundled library left out*"])
