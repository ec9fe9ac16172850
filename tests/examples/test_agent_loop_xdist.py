"""The same conversation scenario in parallel xdist workers: no test sees another's turns."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

HERE = Path(__file__).parent


def test_parallel_tests_of_one_conversation_do_not_interfere(pytester):
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    tests = pytester.mkdir("tests")
    shutil.copy(HERE / "agent_loop.py", tests / "agent_loop.py")
    shutil.copytree(HERE / "scenarios", tests / "scenarios")
    (tests / "test_parallel.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from agent_loop import AgentLoop

            TOOLS = {"get_weather": lambda a: "sunny", "get_time": lambda a: "15:00"}

            @pytest.mark.parametrize("run", range(4))
            @pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
            @pytest.mark.streamrig("weather_agent")
            def test_loop(streamrig, anthropic_client, openai_client, provider, run):
                client = anthropic_client if provider == "anthropic" else openai_client
                loop = AgentLoop(client, provider, TOOLS)
                assert loop.ask("Weather and time in Paris?") == "It is sunny in Paris, and 15:00 there."
                assert [(e.turn, e.scenario) for e in streamrig.journal] == [
                    (1, "weather_agent"), (2, "weather_agent"), (3, "weather_agent")
                ]
                streamrig.check.conversation()
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "-q", "-n", "2", "-p", "no:randomly", "--streamrig-speed", "0"
    )
    result.assert_outcomes(passed=12)
    result.stdout.no_fnmatch_line("*Traceback*")
