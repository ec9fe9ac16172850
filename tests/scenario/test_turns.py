"""`turns:` and the conversation match rules: loading, defaults, validation, schema."""

from __future__ import annotations

import textwrap

import jsonschema
import pytest
import yaml

from streamrig import ScenarioError
from streamrig.scenario import (
    Chunking,
    FaultKind,
    Match,
    TextPart,
    Timing,
    ToolCallPart,
    ToolResult,
    ToolResultRule,
    TurnsExhausted,
    scenario_from_text,
    schema,
    with_overrides,
)

LOOP = """
name: weather_loop
match: {contains: weather, turn: 1}
chunking: chars
timing: {ttft_ms: 5}
faults: [{after_events: 40, drop: reset}]
turns:
  - reply:
      - tool_call: {name: get_weather, input: {city: Paris}}
  - reply: [{text: Sunny.}]
    chunking: whole
    timing: {gap_ms: 2}
    faults: [{after_events: 3, error: overloaded_error}]
    attempts: [{}, {}]
"""


def test_each_turn_is_a_body_that_takes_the_scenarios_keys_it_leaves_out():
    scenario = scenario_from_text(LOOP, "x")
    first, second = scenario.for_turn(1), scenario.for_turn(2)
    assert first.name == second.name == "weather_loop"
    assert first.reply.parts == (ToolCallPart("get_weather", {"city": "Paris"}),)
    assert first.reply.chunking is Chunking.CHARS  # the scenario's own
    assert first.timing == Timing(ttft_ms=5)
    assert [f.kind for f in first.faults] == [FaultKind.RESET]
    assert second.reply.parts == (TextPart("Sunny."),)
    assert second.reply.chunking is Chunking.WHOLE  # the turn's own
    assert second.timing == Timing(gap_ms=2)
    assert [f.error_type for f in second.faults] == ["overloaded_error"]
    assert len(second.attempts) == 2
    assert scenario.match == Match(contains="weather", turn=1)


def test_past_the_last_turn_says_which_scenario_how_many_turns_and_which_turn():
    scenario = scenario_from_text(LOOP, "x")
    with pytest.raises(TurnsExhausted) as caught:
        scenario.for_turn(3)
    assert "scenario 'weather_loop' scripts 2 turn(s), and this request is turn 3" in str(
        caught.value
    )


def test_a_scenario_without_turns_answers_every_turn():
    scenario = scenario_from_text("reply: [{text: hi}]\n", "plain")
    assert scenario.for_turn(7) is scenario


def test_tool_result_rule_by_name_or_with_contains():
    by_name = scenario_from_text("match: {tool_result: get_weather}\nreply: []\n", "a").match
    with_text = scenario_from_text(
        "match: {tool_result: {name: get_weather, contains: SUNNY}}\nreply: []\n", "b"
    ).match
    assert by_name.tool_result == ToolResultRule("get_weather")
    sunny = (ToolResult("toolu_1", "get_weather", "it is sunny"),)
    rainy = (ToolResult("toolu_1", "get_weather", "rain"),)
    other = (ToolResult("toolu_1", "get_time", "sunny"),)
    assert by_name.matches(None, "", 2, rainy) and not by_name.matches(None, "", 2, other)
    assert with_text.matches(None, "", 2, sunny) and not with_text.matches(None, "", 2, rainy)
    assert not by_name.matches(None, "", 2, ())


def test_turn_rule():
    match = Match(turn=2)
    assert match.matches(None, "", 2) and not match.matches(None, "", 1)


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        (
            "stop: end_turn\nturns: [{reply: []}]\n",
            1,
            "stop",
            "with `turns`, `stop` goes in each turn",
        ),
        ("turns: []\n", 1, "turns", "`turns` needs at least one turn"),
        (
            "turns:\n  - reply: []\n  - description: x\n",
            3,
            "turns[1]",
            "exactly one of `reply` or `events`, this has neither",
        ),
        (
            "turns:\n  - reply: []\n    speed: 2\n",
            3,
            "turns[0].speed",
            "unknown key; allowed here: attempts, chunking",
        ),
        (
            "turns:\n  - reply: []\n    faults: [{drop: reset}]\n",
            3,
            "turns[0].faults[0]",
            "say where it strikes",
        ),
        ("turns:\n  - events: [{data: {}}]\n", 1, "turns", "low-level `events` need `provider`"),
        ("match: {turn: 0}\nreply: []\n", 1, "match.turn", "less than the minimum of 1"),
        (
            "match: {tool_result: {contains: x}}\nreply: []\n",
            1,
            "match.tool_result",
            "'name' is required",
        ),
    ],
)
def test_problems_name_file_line_and_key(tmp_path, text, line, key, message):
    path = tmp_path / "conv.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, "conv", source=path)
    problem = next(p for p in caught.value.problems if p.key == key)
    assert (problem.path, problem.line) == (str(path), line)
    assert message in problem.message, str(caught.value)


def test_schema_accepts_a_conversation_and_refuses_a_bad_turn():
    validator = jsonschema.Draft202012Validator(schema())
    assert not list(validator.iter_errors(yaml.safe_load(textwrap.dedent(LOOP))))
    bad = {"turns": [{"reply": [], "model": "x"}], "match": {"tool_result": 3}}
    assert len(list(validator.iter_errors(bad))) >= 2


def test_overrides_reach_every_turn_that_sets_none_of_its_own():
    scenario = scenario_from_text(LOOP, "x")
    changed = with_overrides(scenario, {"faults": [{"after_events": 2, "drop": "truncate"}]})
    assert [f.kind for f in changed.for_turn(1).faults] == [FaultKind.TRUNCATE]
    assert [f.error_type for f in changed.for_turn(2).faults] == ["overloaded_error"]  # its own
    replaced = with_overrides(scenario, {"reply": [{"text": "just this"}]})
    assert replaced.turns == () and replaced.for_turn(5).reply.parts == (TextPart("just this"),)
