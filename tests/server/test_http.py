"""Headers, the admin API, the journal, and bad input in each provider's own shape."""

from __future__ import annotations

import json
import socket
import time

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer, Outcome
from tests.conftest import KEY

ANTHROPIC_BODY = {
    "model": "claude-test",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
CHAT_BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
RESPONSES_BODY = {"model": "gpt-test", "input": "hi"}


def test_anthropic_stream_headers(server):
    with httpx.stream(
        "POST", server.url + "/v1/messages", json={**ANTHROPIC_BODY, "stream": True}
    ) as response:
        response.read()
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["request-id"].startswith("req_")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens"):
        assert int(response.headers[f"anthropic-ratelimit-{kind}-limit"]) > 0
        assert response.headers[f"anthropic-ratelimit-{kind}-reset"].endswith("Z")


@pytest.mark.parametrize(
    "route,body", [("/v1/chat/completions", CHAT_BODY), ("/v1/responses", RESPONSES_BODY)]
)
def test_openai_headers(server, route, body):
    response = httpx.post(server.url + route, json={**body, "stream": True})
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["x-ratelimit-remaining-requests"].isdigit()
    assert response.headers["openai-processing-ms"].isdigit()


def test_chat_usage_chunk_only_when_asked(server):
    plain = httpx.post(server.url + "/v1/chat/completions", json={**CHAT_BODY, "stream": True}).text
    assert '"usage"' not in plain and plain.endswith("data: [DONE]\n\n")
    asked = httpx.post(
        server.url + "/v1/chat/completions",
        json={**CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}},
    ).text
    chunks = [line[6:] for line in asked.splitlines() if line.startswith("data: ")]
    assert chunks[-1] == "[DONE]"
    last = json.loads(chunks[-2])
    assert last["choices"] == [] and last["usage"]["total_tokens"] > 0
    assert all(json.loads(c)["usage"] is None for c in chunks[:-2])


def test_admin_health_and_scenarios(server):
    health = httpx.get(server.url + "/_streamrig/health").json()
    assert health["status"] == "ok" and health["scenarios"] >= 15
    listing = httpx.get(server.url + "/_streamrig/scenarios").json()
    names = {s["name"]: s for s in listing["scenarios"]}
    assert listing["default"] == "default"
    assert names["anthropic_keepalive"]["providers"] == ["anthropic"]
    assert names["tool_call"]["match"] == {"contains": "weather"}


def test_admin_post_scenario_yaml_and_json_then_use_it(fresh):
    created = httpx.post(
        fresh.url + "/_streamrig/scenarios",
        content="name: posted_yaml\nreply: [{text: from yaml}]\n",
    )
    assert created.status_code == 201 and created.json()["name"] == "posted_yaml"
    as_json = json.dumps({"name": "posted_json", "reply": [{"text": "from json"}]})
    assert httpx.post(fresh.url + "/_streamrig/scenarios", content=as_json).status_code == 201
    reply = httpx.post(fresh.url + "/s/posted_json/v1/messages", json=ANTHROPIC_BODY).json()
    assert reply["content"][0]["text"] == "from json"
    fresh.reset()
    assert (
        httpx.post(fresh.url + "/s/posted_json/v1/messages", json=ANTHROPIC_BODY).status_code == 404
    )


def test_admin_post_broken_scenario_lists_problems(server):
    response = httpx.post(
        server.url + "/_streamrig/scenarios", content="reply: [{text: hi}]\nstopp: 1\n"
    )
    assert response.status_code == 400
    problems = response.json()["error"]["problems"]
    (problem,) = problems
    assert problem.startswith(
        "<POST /_streamrig/scenarios>:2: stopp: unknown key; did you mean stop? allowed here: attempts,"
    )


def test_journal_records_requests_with_secrets_redacted(fresh, anthropic_sync, openai_sync):
    anthropic_sync.messages.create(**ANTHROPIC_BODY)
    openai_sync.chat.completions.create(**CHAT_BODY)
    entries = httpx.get(fresh.url + "/_streamrig/journal").json()["entries"]
    assert [e["path"] for e in entries] == ["/v1/messages", "/v1/chat/completions"]
    assert entries[0]["scenario"] == "default" and entries[0]["status"] == 200
    assert entries[0]["body"]["messages"][0]["content"] == "hi"
    assert entries[0]["outcome"] == "completed"
    text = json.dumps(entries)
    assert KEY not in text
    assert entries[1]["headers"]["authorization"] == "[redacted]"
    assert httpx.delete(fresh.url + "/_streamrig/journal").status_code == 204
    assert httpx.get(fresh.url + "/_streamrig/journal").json()["entries"] == []


def test_journal_python_objects_record_frames(fresh, anthropic_sync):
    with anthropic_sync.messages.stream(**ANTHROPIC_BODY) as stream:
        stream.until_done()
    entry = fresh.journal.last()
    assert entry.outcome is Outcome.COMPLETED and entry.stream
    assert len(entry.frames) > 5
    assert entry.bytes_sent == sum(f.size for f in entry.frames)


# --- bad input: the provider's own error shape and status; the server keeps serving ---


def test_invalid_json_is_a_provider_shaped_400(server):
    a = httpx.post(server.url + "/v1/messages", content=b"{not json")
    assert a.status_code == 400
    assert a.json()["type"] == "error" and a.json()["error"]["type"] == "invalid_request_error"
    assert a.json()["request_id"].startswith("req_")
    o = httpx.post(server.url + "/v1/chat/completions", content=b"{not json")
    assert o.status_code == 400 and o.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "route,body,words",
    [
        ("/v1/messages", {"model": "m", "max_tokens": 5}, "messages"),
        ("/v1/chat/completions", {"model": "m"}, "'messages'"),
        ("/v1/responses", {"model": "m"}, "'input'"),
        ("/v1/messages", [1, 2], "JSON object"),
    ],
)
def test_body_without_messages_or_input_is_a_400(server, route, body, words):
    response = httpx.post(server.url + route, json=body)
    assert response.status_code == 400
    assert words in json.dumps(response.json())


def test_sdks_raise_their_own_errors_for_bad_requests(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        with pytest.raises(anthropic.NotFoundError) as caught:
            client.messages.create(
                **ANTHROPIC_BODY, extra_headers={"x-streamrig-scenario": "no_such"}
            )
    assert caught.value.body["error"]["type"] == "not_found_error"
    assert "no_such" in caught.value.message
    with openai.OpenAI(base_url=server.openai_base_url, api_key=KEY, max_retries=0) as client:
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(
                model="m", messages="oops", extra_body={"messages": None}
            )


def test_unknown_scenario_is_a_404_suggesting_close_names(server):
    response = httpx.post(server.url + "/s/short_txt/v1/messages", json=ANTHROPIC_BODY)
    assert response.status_code == 404
    assert "Did you mean short_text" in response.json()["error"]["message"]


def test_unknown_paths_get_a_provider_shaped_404(server):
    openai_style = httpx.post(server.url + "/v1/nothing", json={})
    assert openai_style.status_code == 404
    assert openai_style.json()["error"]["message"] == "Invalid URL (POST /v1/nothing)"
    anthropic_style = httpx.post(
        server.url + "/v1/nothing", json={}, headers={"anthropic-version": "2023-06-01"}
    )
    assert anthropic_style.json()["error"]["type"] == "not_found_error"
    assert httpx.get(server.url + "/v1/messages").status_code == 405


def test_body_over_32_mib_is_a_413_and_the_server_keeps_serving(server):
    big = b'{"messages": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    response = httpx.post(server.url + "/v1/messages", content=big, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"
    chat = httpx.post(server.url + "/v1/chat/completions", content=big, timeout=30)
    assert chat.status_code == 413 and "error" in chat.json()
    assert httpx.post(server.url + "/v1/messages", json=ANTHROPIC_BODY).status_code == 200


def test_a_client_vanishing_mid_stream_is_a_journal_entry(fresh):
    long = MockServer(
        {
            "name": "long",
            "provider": "anthropic",
            "events": [
                {"event": "message_start", "data": {"type": "message_start"}},
                {"wait_ms": 300},
                {"event": "message_stop", "data": {"type": "message_stop"}},
            ],
        }
    )
    with long:
        payload = json.dumps({**ANTHROPIC_BODY, "stream": True}).encode()
        with socket.create_connection(("127.0.0.1", long.port)) as sock:
            sock.sendall(
                b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            received = b""
            while b"message_start" not in received:
                chunk = sock.recv(65536)
                assert chunk, f"the server closed before the first event: {received!r}"
                received += chunk

        deadline = time.monotonic() + 5
        while long.journal.last().outcome is Outcome.PENDING and time.monotonic() < deadline:
            time.sleep(0.02)
        entry = long.journal.last()
        assert entry.outcome is Outcome.CLIENT_CLOSED
        assert entry.closed_at_frame == 1
        assert (
            httpx.post(
                long.url + "/v1/messages", json={**ANTHROPIC_BODY, "stream": True}
            ).status_code
            == 200
        )
        whole = httpx.post(long.url + "/v1/messages", json=ANTHROPIC_BODY)
        assert whole.status_code == 500
        assert "no complete Anthropic Messages message" in whole.json()["error"]["message"]


def test_journal_limit_keeps_the_newest_entries():
    from streamrig import Journal

    journal = Journal(limit=3)
    for number in range(5):
        journal.open(time=float(number), method="POST", path="/", headers={}, body=None)
    assert [entry.id for entry in journal] == [3, 4, 5]


def test_journal_last_waits_for_the_end_but_not_forever(fresh):
    with httpx.stream(
        "POST", fresh.url + "/s/stalled_stream/v1/messages", json={**ANTHROPIC_BODY, "stream": True}
    ) as response:
        chunks = response.iter_raw()  # kept: a dropped generator would close the response
        next(chunks)
        started = time.monotonic()
        outcome = fresh.journal.last(wait=0.2).outcome  # read while the stream is still open
        waited = time.monotonic() - started
    assert outcome is Outcome.PENDING and 0.15 <= waited < 2
    assert fresh.journal.last().outcome is Outcome.STALLED  # the client left; the server saw it
