"""Gemini's bytes and routes: what the server writes, where it listens, how it refuses."""

from __future__ import annotations

import json

import httpx2 as httpx
import pytest

from streamrig import MockServer
from streamrig.jsonstream import JSONArrayDecoder, StreamDecoder, decode_stream
from streamrig.scenario import Provider, infer_provider
from tests import gemini_sdk as g


@pytest.fixture
def post(fresh):
    def send(path: str, body=None, scenario: str | None = None):
        headers = {"x-streamrig-scenario": scenario} if scenario else {}
        return httpx.post(fresh.url + path, json=body or g.body(), headers=headers, timeout=10)

    return send


def test_sse_events_are_data_lines_of_googles_json_ending_in_crlf(post):
    response = post(g.path(stream=True), scenario="short_text")
    assert response.headers["content-type"] == "text/event-stream"
    events = response.content.split(b"\r\n\r\n")
    assert events[-1] == b"" and len(events) > 2
    for event in events[:-1]:
        assert event.startswith(b'data: {"candidates": [{"content": {"parts": [')
        assert b"\n" not in event and b"event:" not in event
    first = json.loads(events[0][len(b"data: ") :])
    assert list(first) == ["candidates", "usageMetadata", "modelVersion", "responseId"]
    assert first["modelVersion"] == g.MODEL


def test_finish_reason_comes_with_the_last_text_and_usage_with_every_chunk(post):
    chunks = [
        json.loads(e.data) for e in decode_stream(post(g.path(True), scenario="short_text").content)
    ]
    finishes = [c["candidates"][0].get("finishReason") for c in chunks]
    assert finishes[:-1] == [None] * (len(chunks) - 1) and finishes[-1] == "STOP"
    assert chunks[-1]["candidates"][0]["content"]["parts"][0]["text"]
    counts = [c["usageMetadata"]["candidatesTokenCount"] for c in chunks]
    assert counts == sorted(counts)  # totals so far, never increments
    last = chunks[-1]["usageMetadata"]
    assert last["totalTokenCount"] == last["promptTokenCount"] + last["candidatesTokenCount"]


def test_function_calls_arrive_whole_in_one_chunk_and_thinking_carries_a_signature(fresh, post):
    fresh.add(
        {
            "name": "think_then_call",
            "reply": [
                {"thinking": "Two cities.", "signature": "c2lnbmF0dXJl"},
                {"tool_call": {"name": "weather", "input": {"city": "Paris"}, "id": "call-1"}},
                {"tool_call": {"name": "weather", "input": {"city": "Rome"}}},
            ],
            "usage": {"input_tokens": 10, "output_tokens": 30, "reasoning_tokens": 12},
            "stop": "max_tokens",
        }
    )
    chunks = [
        json.loads(e.data)
        for e in decode_stream(post(g.path(True), scenario="think_then_call").content)
    ]
    last = chunks[-1]["candidates"][0]
    assert last["content"]["parts"] == [
        {
            "functionCall": {"id": "call-1", "name": "weather", "args": {"city": "Paris"}},
            "thoughtSignature": "c2lnbmF0dXJl",
        },
        {"functionCall": {"name": "weather", "args": {"city": "Rome"}}},
    ]
    assert last["finishReason"] == "MAX_TOKENS"
    thoughts = [p for c in chunks[:-1] for p in c["candidates"][0]["content"]["parts"]]
    assert all(p["thought"] is True for p in thoughts)
    usage = chunks[-1]["usageMetadata"]
    assert (usage["candidatesTokenCount"], usage["thoughtsTokenCount"]) == (18, 12)
    assert usage["totalTokenCount"] == 40


def test_a_signature_that_is_not_base64_is_encoded(fresh, post):
    fresh.add(
        {
            "name": "odd_sig",
            "reply": [{"thinking": "hm", "signature": "Er-not base64!"}, {"text": "ok"}],
        }
    )
    chunks = g.stream(g.client(fresh.url + "/s/odd_sig"))
    assert g.joined(chunks)["signatures"] == [b"Er-not base64!"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/m:streamGenerateContent?alt=sse",
        "/v1beta/models/m:streamGenerateContent?alt=sse",
        "/v1alpha/models/m:streamGenerateContent?alt=sse",
        "/v1beta/tunedModels/m:streamGenerateContent?alt=sse",
        "/v1/projects/p/locations/us-central1/publishers/google/models/m:streamGenerateContent?alt=sse",
        "/s/short_text/v1beta/models/m:streamGenerateContent?alt=sse",
        "/v1beta/models/m:generateContent",
    ],
)
def test_every_gemini_route_answers_with_the_model_from_the_path(post, fresh, path):
    response = post(path)
    assert response.status_code == 200, response.text
    events = decode_stream(response.content) if "stream" in path else []
    final = json.loads(events[-1].data) if events else response.json()
    assert final["modelVersion"] == "m"
    entry = fresh.journal.entries()[-1]
    assert entry.provider == "gemini" and entry.stream == ("stream" in path)


def test_without_alt_sse_the_stream_is_a_json_array_written_element_by_element(post, fresh):
    response = post(g.path(stream=True, sse=False), scenario="short_text")
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    body = response.content
    assert body.startswith(b'[{\n  "candidates": [') and body.endswith(b"}\n]")
    assert b"}\n,\r\n{\n" in body
    assert json.loads(body) == [json.loads(e.data) for e in decode_stream(body)]
    frames = fresh.journal.last().frames  # once the server has noted its last write
    assert len(frames) == len(json.loads(body)) + 1  # one write per element, then `]`


def test_bad_requests_get_googles_error_shape(post, fresh):
    missing = post(g.path(True), body={"generationConfig": {}})
    assert missing.status_code == 400
    assert missing.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert missing.json()["error"]["code"] == 400
    broken = httpx.post(fresh.url + g.path(True), content=b"{not json", timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["status"] == "INVALID_ARGUMENT"
    unknown = post("/s/nope" + g.path(True))
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    other = post("/v1beta/models/m:countTokens")
    assert other.status_code == 404 and set(other.json()["error"]) == {"code", "message", "status"}


def test_a_scenario_written_for_another_provider_is_refused_naming_both(post):
    response = post(g.path(True), scenario="anthropic_keepalive")
    assert response.status_code == 400
    assert "Google Gemini" in response.json()["error"]["message"]


def test_match_rules_read_the_last_user_text_of_contents(fresh):
    fresh.add(
        {
            "name": "weather_only",
            "match": {"contains": "umbrella"},
            "reply": [{"text": "Take one."}],
        }
    )
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Do I need an umbrella?"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
        ]
    }
    response = httpx.post(fresh.url + g.path(False), json=body, timeout=10)
    assert response.json()["candidates"][0]["content"]["parts"] == [{"text": "Take one."}]


def test_a_captured_gemini_sse_body_is_recognised():
    assert infer_provider(b'data: {"candidates": [{"content": {}}]}\r\n\r\n') is Provider.GEMINI


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_json_array_decoder_takes_any_cut(size):
    elements = [{"a": 'x]}",{'}, [1, {"b": '\\"'}], "s", 12, True, None]
    body = b"[" + b"\n,\r\n".join(json.dumps(e, indent=2).encode() for e in elements) + b"\n]"
    decoder = JSONArrayDecoder()
    found = [e for i in range(0, len(body), size) for e in decoder.decode(body[i : i + size])]
    assert [json.loads(e.data) for e in found] == elements


def test_stream_decoder_tells_sse_from_a_json_array_by_its_first_byte():
    sse, array = StreamDecoder(), StreamDecoder()
    assert sse.decode(b"\r\n") == [] and [
        e.data for e in sse.decode(b'data: {"a": 1}\r\n\r\n')
    ] == ['{"a": 1}']
    assert array.decode(b" ") == [] and [e.data for e in array.decode(b'[{"a": 1}\n]')] == [
        '{"a": 1}'
    ]


def test_gemini_base_url_is_what_the_sdk_takes():
    with MockServer(speed=0) as server:
        chunks = g.stream(g.client(server.gemini_base_url))
        assert g.joined(chunks)["text"].startswith("Hello")
        entry = server.journal.settled()[0]
    # google-genai 3.4: /v1 (not v1beta), the key in x-goog-api-key (never kept), alt=sse
    assert entry.path == f"/v1/models/{g.MODEL}:streamGenerateContent"
    assert entry.headers["x-goog-api-key"] == "[redacted]"
    assert entry.headers["user-agent"].startswith("google-genai-sdk/")
    assert entry.response_headers["content-type"] == "text/event-stream"
    assert entry.body == {"contents": [{"parts": [{"text": g.USER}], "role": "user"}]}


def test_line_endings_override_replaces_crlf_without_doubling(fresh, post):
    fresh.add({"name": "lf_gemini", "reply": [{"text": "a b"}], "line_endings": "cr"})
    body = post(g.path(True), scenario="lf_gemini").content
    assert b"\n" not in body and body.endswith(b"}\r\r")


def test_show_prints_a_gemini_timeline(tmp_path):
    from click.testing import CliRunner

    from streamrig.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(
        "reply: [{text: hello there}]\nfaults: [{after_events: 1, error: overloaded_error}]\n"
    )
    result = CliRunner().invoke(main, ["show", str(path), "--provider", "gemini"])
    assert result.exit_code == 0, result.output
    assert 'data: {"candidates": [{"content": {"parts": [{"text": "hello"}]' in result.output
    assert 'data: {"error": {"code": 503' in result.output


def test_vertex_express_mode_of_the_sdk_is_served(fresh):
    vertex = g.genai.Client(
        vertexai=True, api_key="k", http_options=g.types.HttpOptions(base_url=fresh.url)
    )
    chunks = g.stream(vertex)
    assert g.joined(chunks)["text"].startswith("Hello")
    assert fresh.journal.entries()[-1].path == (
        f"/v1beta1/publishers/google/models/{g.MODEL}:streamGenerateContent"
    )
