from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import resources

import jsonschema
import pytest
import yaml

from streamrig import ScenarioError
from streamrig.scenario import (
    Chunking,
    ErrorEventStep,
    EventStep,
    Provider,
    RawStep,
    StopReason,
    TextPart,
    ToolCallPart,
    WaitStep,
    bundled_path,
    collect_scenarios,
    load_scenarios,
    scenario_from_mapping,
    scenario_from_text,
    schema,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_high_level_form_loads_into_the_model(tmp_path):
    write(
        tmp_path,
        "weather.yaml",
        """
        match: {contains: weather}
        reply:
          - text: "Let me check."
          - tool_call: {name: get_weather, input: {city: Paris}}
        stop: tool_calls
        usage: {input_tokens: 412, output_tokens: 57}
        chunking: 3
        """,
    )
    (scenario,) = load_scenarios([tmp_path]).scenarios
    assert scenario.name == "weather"
    assert scenario.reply.parts == (
        TextPart("Let me check."),
        ToolCallPart("get_weather", {"city": "Paris"}),
    )
    assert scenario.reply.stop is StopReason.TOOL_USE  # the OpenAI word is accepted
    assert scenario.reply.usage.input_tokens == 412
    assert scenario.reply.chunking == 3
    assert scenario.match.matches("any", "What's the WEATHER like?")
    assert not scenario.match.matches("any", "hello")


def test_low_level_form_loads_steps(tmp_path):
    write(
        tmp_path,
        "low.yaml",
        """
        provider: anthropic
        events:
          - {event: message_start, data: {type: message_start}}
          - {wait_ms: 40}
          - {raw: ": keep-alive\\n\\n"}
          - {error: overloaded_error}
          - {data: "[DONE]"}
        """,
    )
    (scenario,) = load_scenarios([tmp_path / "low.yaml"]).scenarios
    assert scenario.provider is Provider.ANTHROPIC
    assert scenario.steps == (
        EventStep({"type": "message_start"}, "message_start"),
        WaitStep(40.0),
        RawStep(b": keep-alive\n\n"),
        ErrorEventStep("overloaded_error"),
        EventStep("[DONE]"),
    )


def test_names_come_from_the_path_relative_to_the_folder(tmp_path):
    write(tmp_path, "tools/parallel.yaml", "reply: [{text: hi}]\n")
    write(tmp_path, "named.yaml", "name: custom\nreply: [{text: hi}]\n")
    names = sorted(s.name for s in load_scenarios([tmp_path]).scenarios)
    assert names == ["custom", "tools/parallel"]


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("reply:\n  - text: hi\nstopp: end_turn\n", 3, "stopp", "unknown key; did you mean stop?"),
        ("reply:\n  - text: hi\nstop: finished\n", 3, "stop", "'finished' is not one of"),
        (
            "reply:\n  - text: hi\n  - tool_call: {input: {}}\n",
            3,
            "reply[1].tool_call",
            "'name' is required",
        ),
        (
            "reply:\n  - text: hi\nusage:\n  input_tokens: many\n",
            4,
            "usage.input_tokens",
            "expected integer, got string 'many'",
        ),
        (
            "reply:\n  - text: hi\n    thinking: hm\n",
            2,
            "reply[0]",
            "exactly one of text, thinking, tool_call, refusal",
        ),
        (
            "reply:\n  - {text: hi}\nmatch: {regex: '(('}\n",
            3,
            "match.regex",
            "not a valid regular expression",
        ),
        ("events:\n  - {wait_ms: 5}\n", 1, "events", "need `provider`"),
        ("provider: anthropic\nevents:\n  - {wait_ms: -1}\n", 3, "events[0].wait_ms", "minimum"),
        ("description: nothing\n", 1, "", "exactly one of `reply` or `events`"),
        (
            "reply:\n  - text: hi\nchunking: lines\n",
            3,
            "chunking",
            "words, chars, whole or a positive integer",
        ),
    ],
)
def test_broken_scenarios_name_file_line_and_key(tmp_path, text, line, key, words):
    path = write(tmp_path, "broken.yaml", text)
    report = load_scenarios([path])
    assert report.scenarios == []
    (error,) = report.errors
    assert (error.path, error.line, error.key or "") == (str(path), line, key)
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}: ")


def test_yaml_syntax_errors_have_a_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "reply:\n  - text: [unclosed\nstop: end_turn\n")
    (error,) = load_scenarios([path]).errors
    assert error.path == str(path)
    assert error.line in (2, 3)
    assert "not valid YAML" in error.message


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path):
    write(tmp_path, "good.yaml", "reply: [{text: hi}]\n")
    write(tmp_path, "bad.yaml", "reply: 5\n")
    report = load_scenarios([tmp_path])
    assert [s.name for s in report.scenarios] == ["good"]
    assert len(report.errors) == 1


def test_all_problems_of_a_file_are_reported(tmp_path):
    path = write(
        tmp_path, "two.yaml", "reply: [{text: hi}]\nstopp: x\nusage: {output_tokens: -1}\n"
    )
    errors = load_scenarios([path]).errors
    assert [(e.line, e.key) for e in errors] == [(2, "stopp"), (3, "usage.output_tokens")]


def test_sse_capture_is_a_scenario_with_its_provider_inferred(tmp_path):
    (tmp_path / "cap.sse").write_bytes(
        b'data: {"object":"chat.completion.chunk"}\n\ndata: [DONE]\n\n'
    )
    (scenario,) = load_scenarios([tmp_path]).scenarios
    assert scenario.provider is Provider.OPENAI_CHAT
    assert scenario.body.startswith(b"data: ")
    (tmp_path / "odd.sse").write_bytes(b"data: hello\n\n")
    assert "cannot tell which provider" in str(load_scenarios([tmp_path / "odd.sse"]).errors[0])


def test_python_dicts_and_text_take_the_same_rules():
    scenario = scenario_from_mapping({"name": "x", "reply": [{"text": "hi"}], "chunking": "chars"})
    assert scenario.reply.chunking is Chunking.CHARS
    with pytest.raises(ScenarioError, match="unknown key"):
        scenario_from_mapping({"reply": [], "bogus": 1})
    with pytest.raises(ScenarioError, match=r"<inline>:2: stop: "):
        scenario_from_text("reply: []\nstop: nope\n", "x", source="<inline>")


def test_collect_scenarios_raises_every_problem_at_once(tmp_path):
    write(tmp_path, "a.yaml", "reply: 1\n")
    write(tmp_path, "b.yaml", "reply: 2\n")
    with pytest.raises(ScenarioError) as caught:
        collect_scenarios(tmp_path)
    assert len(caught.value.problems) == 2
    assert "a.yaml:1" in str(caught.value) and "b.yaml:1" in str(caught.value)


def test_shipped_schema_accepts_every_bundled_scenario_and_rejects_typos():
    validator = jsonschema.Draft202012Validator(schema())
    files = sorted(bundled_path().rglob("*.yaml"))
    assert files
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], path
    assert list(validator.iter_errors({"reply": [], "stopp": "x"}))


def test_schema_file_ships_in_the_package_as_plain_json():
    text = resources.files("streamrig.scenario").joinpath("schema.json").read_text("utf-8")
    assert json.loads(text)["$schema"].startswith("https://json-schema.org/")


def test_serving_the_bundled_library_does_not_import_jsonschema():
    # Start-up time: the bundled files are held to the schema by the test above, so
    # loading them skips the schema pass (and jsonschema's import).
    code = (
        "import sys; from streamrig.scenario import bundled_path, load_scenarios;"
        "import streamrig.cli;"
        "report = load_scenarios([bundled_path()]);"
        "assert report.scenarios and not report.errors;"
        "print('jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_users_file_still_gets_the_schema_pass(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("reply:\n  - text: hi\nstopp: end_turn\n")
    report = load_scenarios([path])
    assert "typo.yaml:3" in str(report.errors[0]) and "unknown key" in str(report.errors[0])
