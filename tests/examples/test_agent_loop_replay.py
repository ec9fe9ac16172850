"""A recorded agent session replays turn by turn from one cassette of N interactions."""

from __future__ import annotations

import anthropic
import openai
import pytest
import yaml

from streamrig import MockServer
from tests.conftest import KEY
from tests.examples.agent_loop import AgentLoop
from tests.examples.test_agent_loop import ANSWER, TOOLS

SCENARIOS = "tests/examples/scenarios"


def client_for(provider, url):
    if provider == "anthropic":
        return anthropic.Anthropic(base_url=url, api_key=KEY, max_retries=0)
    return openai.OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)


@pytest.mark.parametrize("provider", ["anthropic", "chat", "responses"])
def test_recorded_session_replays_turn_by_turn(streamrig, tmp_path, provider):
    cassette = tmp_path / "agent.yaml"
    # Thinking where the provider can carry it (Chat cannot).
    scenario = "weather_agent" if provider == "chat" else "weather_agent_thinking"
    with MockServer([SCENARIOS], seed=5, default=scenario) as live:
        # Recorded through the test's server; turn 2 is asked for without streaming.
        with (
            streamrig.cassette(cassette, mode="once", upstream=live.url),
            client_for(provider, streamrig.url) as client,
        ):
            first = AgentLoop(client, provider, TOOLS, thinking=True)
            first.whole_turns = {2}
            assert first.ask("Weather and time in Paris?") == ANSWER
        assert len(live.journal) == 3
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    assert len(interactions) == 3
    streamed = ["event-stream" in str(i["response"]["headers"]) for i in interactions]
    assert streamed == [True, False, True]

    # The upstream is gone: the same loop runs again from the cassette alone.
    streamrig.reset()
    with streamrig.cassette(cassette, mode="none"), client_for(provider, streamrig.url) as client:
        again = AgentLoop(client, provider, TOOLS, thinking=True)
        again.whole_turns = first.whole_turns
        assert again.ask("Weather and time in Paris?") == ANSWER
    assert again.history == first.history  # the same ids, thinking and signatures
    replayed = streamrig.journal
    assert [e.turn for e in replayed] == [1, 2, 3]
    assert len({e.scenario for e in replayed}) == 3  # each turn answered by its own interaction
    streamrig.check.conversation()
