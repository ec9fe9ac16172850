"""Scenario files: every problem is `file:line: key: problem`, loading has bounded cost,
and what `validate` accepts, the server plays."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time

import httpx2 as httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from streamrig import MockServer, ScenarioError
from streamrig.scenario import scenario_from_text

from .wire import Captured

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)

# text -> (line, words in the problem)
BROKEN = {
    "reply: &a [*a]\n": (1, "recursive"),
    "reply:\n  - &x {text: hi, citations: [*x]}\n": (2, "recursive"),
    "reply: [{text: hi}]\nusage: {input_tokens: " + "9" * 5000 + "}\n": (2, "4,300 digits"),
    "reply: [{text: hi}]\nchunking: 1.0e+9\n": (2, "positive integer"),
    "reply: [{text: !!timestamp 2001-13-45}]\n": (1, "month"),
    # libyaml refuses the escape itself; the pure-Python parser reads it and the check refuses it
    'reply: [{text: "a\\ud800b"}]\n': (1, "surrogate|invalid Unicode character escape"),
    'model: "m\\udc80"\nreply: [{text: hi}]\n': (1, "surrogate|invalid Unicode character escape"),
    "reply: [{text: hi}]\nattempts: {fail: 100000000}\n": (2, "at most 1000"),
    "reply: [{text: hi}]\nfaults: [{drip: .nan, after_events: 1}]\n": (2, "finite"),
    "reply: [{text: hi}]\nfaults: [{drip: .inf, after_events: 1}]\n": (2, "finite"),
    "reply: [{text: hi}]\nfaults: [{ping: 10000000}]\n": (2, "at most 1000 pings"),
    "reply: [{text: hi}]\nfaults: [{ping: {every_ms: 0.0001}}]\n": (2, "every 10 ms"),
    "reply: [{text: hi}]\ntiming: {ttft_ms: .nan}\n": (2, "finite"),
    "reply: [{text: hi}]\ntiming: {ttft_ms: 1.0e+300}\n": (2, "more than ten minutes"),
    "reply: [{text: hi}]\ntiming: {tokens_per_s: 1.0e-300}\n": (2, "least rate"),
    "reply: [{text: hi}]\nattempts: [{status: 150}, {}]\n": (2, "300 to 599"),
    "reply: [{text: hi}]\nattempts: [{status: 204}, {}]\n": (2, "300 to 599"),
    'reply: [{text: hi}]\nattempts: [{status: 529, headers: {"x-a": "b\\r\\nc: d"}}, {}]\n': (
        2,
        "CR, LF",
    ),
    'reply: [{text: hi}]\nattempts: [{status: 529, headers: {"x a:": "b"}}, {}]\n': (
        2,
        "not an HTTP header name",
    ),
    "reply: [{text: hi}]\nattempts: [{status: 529, headers: {content-length: '5'}}, {}]\n": (
        2,
        "server sets it",
    ),
    "reply: [{text: hi}]\nattempts: [{status: 529, headers: {Transfer-Encoding: x}}, {}]\n": (
        2,
        "server sets it",
    ),
    "reply: [{tool_call: {name: f, input: {x: .nan}}}]\n": (1, "finite"),
    "reply: " + "[" * 100 + "]" * 100 + "\n": (1, "deeper than 64"),
    "reply: [{text: hi}]\ndescription: x\x00\n": (2, "not valid YAML"),
    "reply:\n\t- x\n": (2, "not valid YAML"),
    "reply: [{text: hi}]\n---\nreply: [{text: hi}]\n": (2, "one document"),
    BOMB + "reply: [{text: hi}]\n": (6, "alias bomb"),
    "reply: [{text: hi}]\nmetadata: {? [a, b] : c}\n": (2, "unhashable key"),
    "reply: [{text: hi}]\nmetadata:\n  ? {a: 1}\n  : c\n": (3, "unhashable key"),
}


@pytest.mark.parametrize("text", list(BROKEN), ids=[str(i) for i in range(len(BROKEN))])
def test_a_broken_file_is_a_problem_at_its_line(text):
    line, words = BROKEN[text]
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, "broken", source="broken.yaml")
    first = caught.value.problems[0]
    assert re.search(words, str(caught.value)), str(caught.value)
    assert str(first).startswith(f"broken.yaml:{line}: "), str(caught.value)


def test_validate_and_strict_serve_report_without_a_traceback(tmp_path):
    for index, text in enumerate(BROKEN):
        (tmp_path / f"s{index:02}.yaml").write_text(text, "utf-8", errors="surrogatepass")
    (tmp_path / "utf16.yaml").write_bytes("reply: [{text: hi}]\n".encode("utf-16"))
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    reported = [line for line in (result.stdout + result.stderr).splitlines() if ".yaml" in line]
    assert len({line.split(":")[0] for line in reported}) == len(BROKEN) + 1
    assert all(line.split(":")[1].isdigit() for line in reported), reported
    served = subprocess.run(
        [sys.executable, "-m", "streamrig", "serve", "--strict", "--port", "0", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 1 and "Traceback" not in served.stdout + served.stderr


def test_an_alias_bomb_costs_little_to_load():
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="alias bomb"):
        scenario_from_text(BOMB + "reply: [{text: hi}]\n", "bomb")
    assert time.perf_counter() - started < 1.0


def test_an_alias_bomb_posted_does_not_stall_the_server(tmp_path):
    with MockServer(speed=0) as server:
        answers: list[float] = []

        def health() -> None:
            for _ in range(20):
                started = time.perf_counter()
                httpx.get(server.url + "/_streamrig/health", timeout=10)
                answers.append(time.perf_counter() - started)

        probe = threading.Thread(target=health)
        probe.start()
        posted = httpx.post(server.url + "/_streamrig/scenarios", content=BOMB, timeout=30)
        probe.join()
    assert posted.status_code == 400
    assert "alias bomb" in posted.json()["error"]["message"]
    assert max(answers) < 1.0


# Mutants of a good file: whatever the bytes, a Scenario or problems that each have a line.
GOOD = """\
name: fuzzed
reply:
  - thinking: "Let me think."
  - text: "Hello there, world."
  - tool_call: {name: get_weather, input: {city: Paris, days: [1, 2]}}
stop: tool_use
usage: {input_tokens: 12, output_tokens: 7}
chunking: words
timing: {ttft_ms: 10, tokens_per_s: 500, jitter: 0.1, seed: 3}
faults:
  - {after_events: 3, drop: reset}
attempts:
  - {status: 529, headers: {retry-after-ms: "1"}}
  - {}
"""
_NOISE = st.text(
    alphabet=st.sampled_from([*"&*!:[]{}-|>#%@`\"'\\\t\n ,?~0123456789.e+", "\ud800", "é", "\x00"]),
    max_size=8,
)


@st.composite
def _mutants(draw):
    text = GOOD
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 6))
        text = text[:at] + draw(_NOISE) + text[at + cut :]
    return text


_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@seed(20261123)
@_SETTINGS
@given(text=_mutants())
def test_mutated_files_load_or_say_where(text):
    try:
        scenario_from_text(text, "fuzzed", source="fuzzed.yaml")
    except ScenarioError as error:
        for problem in error.problems:
            assert problem.path == "fuzzed.yaml" and problem.line is not None, str(problem)


# Generated scenarios: whatever validates is served without a server error.
_TEXT = st.text(max_size=12)
_NUMBER = st.one_of(st.integers(-5, 10**6), st.floats(), st.sampled_from([0.5, 1e9, 1e-9]))
_JSON = st.recursive(
    st.none() | st.booleans() | _NUMBER | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_PART = st.one_of(
    st.builds(lambda t: {"text": t}, _TEXT),
    st.builds(lambda t: {"thinking": t}, _TEXT),
    st.builds(
        lambda n, i: {"tool_call": {"name": n or "f", "input": i}},
        _TEXT,
        st.dictionaries(_TEXT, _JSON, max_size=3),
    ),
)
_FAULT = st.one_of(
    st.builds(
        lambda n, d: {"after_events": n, "drop": d},
        st.integers(0, 20),
        st.sampled_from(["reset", "truncate"]),
    ),
    st.builds(lambda n: {"ping": n}, st.one_of(st.integers(-1, 2000), st.floats())),
    st.builds(lambda e: {"ping": {"every_ms": e}}, _NUMBER),
    st.builds(lambda d: {"drip": d, "after_events": 0}, _NUMBER),
)
_ATTEMPT = st.builds(
    lambda s, h: {"status": s, "headers": h},
    st.integers(100, 599),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
)


@st.composite
def _scenarios(draw):
    data = {"name": "generated", "reply": draw(st.lists(_PART, min_size=1, max_size=3))}
    if draw(st.booleans()):
        data["timing"] = {"ttft_ms": draw(_NUMBER), "tokens_per_s": draw(_NUMBER)}
    if draw(st.booleans()):
        data["faults"] = draw(st.lists(_FAULT, max_size=2))
    if draw(st.booleans()):
        data["attempts"] = [*draw(st.lists(_ATTEMPT, max_size=2)), {}]
    if draw(st.booleans()):
        data["chunking"] = draw(st.one_of(st.sampled_from(["words", "chars", "whole"]), _NUMBER))
    if draw(st.booleans()):
        data["model"] = draw(st.text(max_size=6))
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def player():
    with MockServer(speed=0, seed=4) as server:
        yield server


@seed(20261123)
@settings(_SETTINGS, max_examples=60)
@given(
    text=_scenarios(),
    route=st.sampled_from(["/v1/messages", "/v1/chat/completions", "/v1/responses"]),
)
def test_what_validates_is_served(player, text, route):
    try:
        scenario = scenario_from_text(text, "generated", source="generated.yaml")
    except ScenarioError as error:
        assert all(p.line is not None for p in error.problems), str(error)
        return
    player.reset()
    player.add(scenario)
    body = {"model": "m", "stream": True, "max_tokens": 8}
    if route == "/v1/responses":
        body["input"] = "hi"
    else:
        body["messages"] = [{"role": "user", "content": "hi"}]
    with Captured() as logs:
        with httpx.stream(
            "POST",
            player.url + route,
            json=body,
            headers={"x-streamrig-scenario": "generated"},
            timeout=3,
        ) as response:
            with contextlib.suppress(httpx.HTTPError):  # a reset or truncate fault
                response.read()
        entry = player.journal.last()
    assert response.status_code < 500 or entry.outcome.value == "http_error", entry.error
    assert response.status_code != 500, entry.error
    assert logs.tracebacks() == []
    json.dumps(entry.to_dict(), allow_nan=False)
