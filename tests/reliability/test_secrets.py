"""One redaction policy: no credential reaches the journal, by header or by body key."""

from __future__ import annotations

import json

import pytest

from streamrig import MockServer

from .wire import body_for, exchange, post_json

SECRET = "s3cr3t-value-0123456789"


@pytest.fixture(scope="module")
def server():
    with MockServer(speed=0) as running:
        yield running


@pytest.mark.parametrize(
    "key", ["api_key", "user_api_key", "client_secret", "secret_key", "access_token", "password"]
)
def test_secret_body_keys_never_reach_the_journal(server, key):
    body = {**body_for("/v1/messages", stream=False), "metadata": {key: SECRET}, key: SECRET}
    status, _, _ = post_json(server.port, "/v1/messages", json.dumps(body).encode())
    assert status == 200
    entry = server.journal.last()
    assert SECRET not in json.dumps(entry.to_dict())
    assert entry.body["max_tokens"] == 16  # what is not a secret is kept


@pytest.mark.parametrize(
    "header", ["x-custom-token", "x-api-key", "authorization", "cookie", "x-session-secret"]
)
def test_secret_headers_never_reach_the_journal(server, header):
    raw = json.dumps(body_for("/v1/messages", stream=False)).encode()
    post_json(server.port, "/v1/messages", raw, {header: SECRET})
    entry = server.journal.last()
    assert entry.headers[header] == "[redacted]"
    target = f"GET /_streamrig/journal HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nconnection: close\r\n\r\n"
    _, _, served = exchange(server.port, target.encode())
    assert SECRET.encode() not in served


def test_the_journal_keeps_a_redacted_copy_of_the_body_the_server_decoded_once():
    from streamrig.server._body import decode_json, journal_body

    raw = (
        b'{"model": "m", "api_key": "sk-live-123456", "messages": [{"content": "sk-live-123456"}]}'
    )
    decoded = decode_json(raw)
    kept = journal_body(raw, decoded=decoded)
    assert kept == {"model": "m", "api_key": "[redacted]", "messages": [{"content": "[redacted]"}]}
    assert decoded == json.loads(raw)  # what the server answers from is left as it came
    kept["messages"][0]["content"] = "changed"
    assert decoded["messages"][0]["content"] == "sk-live-123456"
    assert journal_body(raw) == journal_body(raw, decoded=decode_json(raw))


def test_a_long_text_is_hunted_piece_by_piece_and_finds_what_the_whole_hunt_finds():
    from streamrig._secrets import PIECE_CHARS, SecretText

    key = "sk-ant-api03-" + "x1" * 20
    lines = [f"line {i} " + "lorem ipsum " * 8 for i in range(3 * PIECE_CHARS // 100)]
    for at in (0, len(lines) // 3, len(lines) // 3 + 1, 2 * len(lines) // 3, len(lines) - 1):
        lines[at] = key + " " + lines[at] + " " + key  # at line starts and ends, by cuts
    text = "\n".join(lines) + "\n"
    hunt = SecretText()
    hunt.learn("tok3n-" + "y" * 30)
    whole = hunt.regex().sub("[redacted]", text)
    assert hunt.text(text) == whole and key not in whole
    assert hunt.spans(text) == [m.span() for m in hunt.regex().finditer(text)]
    multi_line = SecretText(formats=False)
    multi_line.learn("-----BEGIN KEY-----\nabcdefghijklmnop\n-----END KEY-----")
    pem = "a\n" * PIECE_CHARS + "-----BEGIN KEY-----\nabcdefghijklmnop\n-----END KEY-----\n"
    assert "abcdefghijklmnop" not in multi_line.text(pem)  # a learnt value with a line end
