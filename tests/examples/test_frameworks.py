"""The same conversation scenarios drive real agent loops end to end: pydantic-ai's
streaming agent (three providers) and the Anthropic SDK's own tool runner."""

from __future__ import annotations

import anthropic
import openai
import pytest

from tests.examples.test_agent_loop import ANSWER

QUESTION = "Weather and time in Paris?"


def pydantic_ai_agent(provider, streamrig, ran, thinking=False):
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
    from pydantic_ai.providers.anthropic import AnthropicProvider
    from pydantic_ai.providers.openai import OpenAIProvider

    # Our own SDK clients, closed by the test: the framework's cached ones stay open.
    if provider == "anthropic":
        client = anthropic.AsyncAnthropic(base_url=streamrig.url, api_key="test")
        model = AnthropicModel("claude-test", provider=AnthropicProvider(anthropic_client=client))
    else:
        client = openai.AsyncOpenAI(base_url=streamrig.openai_base_url, api_key="test")
        kind = OpenAIChatModel if provider == "chat" else OpenAIResponsesModel
        model = kind("gpt-test", provider=OpenAIProvider(openai_client=client))
    settings = (
        {"anthropic_thinking": {"type": "enabled", "budget_tokens": 1024}} if thinking else None
    )
    agent = Agent(model, model_settings=settings)

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        ran.append(("get_weather", city))
        return f"sunny in {city}"

    @agent.tool_plain
    def get_time(city: str) -> str:
        """The local time in a city."""
        ran.append(("get_time", city))
        return f"15:00 in {city}"

    return agent, client


async def run_streaming(agent):
    deltas, result = [], None
    async with agent.run_stream_events(QUESTION) as events:
        async for event in events:
            delta = getattr(getattr(event, "delta", None), "content_delta", None)
            if isinstance(delta, str):
                deltas.append(delta)
            result = getattr(event, "result", result)
    return deltas, result


@pytest.mark.parametrize(
    ("provider", "scenario", "thinking"),
    [
        ("anthropic", "weather_agent", False),
        ("anthropic", "weather_agent_thinking", True),
        ("chat", "weather_agent", False),
        ("responses", "weather_agent", False),
    ],
)
async def test_pydantic_ai_streaming_agent_runs_the_scripted_loop(
    streamrig, provider, scenario, thinking
):
    streamrig.play(scenario)
    ran = []
    agent, client = pydantic_ai_agent(provider, streamrig, ran, thinking)
    try:
        deltas, result = await run_streaming(agent)
    finally:
        await client.close()
    assert result.output == ANSWER
    assert "".join(deltas).endswith("15:00 there.") and len(deltas) > 8  # streamed word by word
    assert ran == [("get_weather", "Paris"), ("get_time", "Paris")]
    assert [(e.turn, e.stream) for e in streamrig.journal] == [(1, True), (2, True), (3, True)]
    assert streamrig.check.conversation().follow_ups == 2


@pytest.mark.parametrize("scenario", ["weather_agent", "weather_agent_thinking"])
def test_anthropic_sdk_tool_runner(streamrig, anthropic_client, scenario):
    runner_of = getattr(anthropic_client.beta.messages, "tool_runner", None)
    if runner_of is None:
        pytest.skip("this anthropic SDK has no tool runner")
    streamrig.play(scenario)
    ran = []

    @anthropic.beta_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        ran.append(("get_weather", city))
        return f"sunny in {city}"

    @anthropic.beta_tool
    def get_time(city: str) -> str:
        """The local time in a city."""
        ran.append(("get_time", city))
        return f"15:00 in {city}"

    extra = (
        {"thinking": {"type": "enabled", "budget_tokens": 1024}} if "thinking" in scenario else {}
    )
    runner = runner_of(
        model="claude-test",
        max_tokens=2048,
        tools=[get_weather, get_time],
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        **extra,
    )
    finals = []
    for stream in runner:
        for _ in stream:
            pass
        finals.append(stream.get_final_message())
    assert [m.stop_reason for m in finals] == ["tool_use", "tool_use", "end_turn"]
    assert finals[-1].content[0].text == ANSWER
    assert ran == [("get_weather", "Paris"), ("get_time", "Paris")]
    # The runner sends only the new messages and continues the server-held thread.
    assert [e.turn for e in streamrig.journal] == [1, 2, 3]
    assert streamrig.check.conversation().follow_ups == 2
