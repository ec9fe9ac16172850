"""The secret matrix: every placement of a credential, through the real `streamrig record`
(a process, against a local upstream) and through serve's journal; then every file
written, the journal JSON, the logs and stdout are searched for the secret in each of
its encoded forms."""

from __future__ import annotations

import base64
import json
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest
import yaml
from aiohttp import web

from streamrig import MockServer
from tests.plain_server import PlainServer
from tests.record.test_cli_record import start_recorder

from .wire import Captured, body_for, exchange, post_json

Answer = Callable[[str], list[str]]  # secret -> the upstream's SSE data lines


def forms(secret: str) -> list[bytes]:
    """How a secret may be written: as is, URL-encoded, JSON-escaped (also `\\/`), base64."""
    escaped = json.dumps(secret)[1:-1]
    return [
        form.encode()
        for form in {
            secret,
            quote(secret, safe=""),
            quote(secret),
            escaped,
            escaped.replace("/", "\\/"),
            base64.b64encode(secret.encode()).decode(),
        }
    ]


def leaks(secret: str, blobs: dict[str, bytes]) -> list[str]:
    return [
        f"{form!r} in {where}"
        for where, blob in blobs.items()
        for form in forms(secret)
        if form in blob
    ]


def delta(text: str) -> str:
    return json.dumps(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}
    )


def says(*texts: str) -> Answer:
    """The upstream echoes: each `{S}` becomes the secret, each text its own event."""
    return lambda secret: [delta(text.replace("{S}", secret)) for text in texts]


@dataclass(frozen=True)
class Case:
    secret: str
    headers: dict[str, str] = field(default_factory=dict)  # `{S}`: the secret
    body: dict[str, str] = field(default_factory=dict)
    user: str = ""  # else the case's name
    query: str = ""
    answer: Answer = field(kw_only=True)
    answer_headers: dict[str, str] = field(default_factory=dict)


def _secret(n: int) -> str:
    """Distinct, none a part of another, in no known key format: only what was learnt finds it."""
    return f"mx{n}x-Tq8/Zr+Lp=Wv3Xy9"


RECORDED = {
    "header echoed": Case(_secret(1), {"x-api-key": "{S}"}, answer=says("your key is {S}.")),
    "header echoed across two deltas": Case(
        _secret(2),
        {"x-api-key": "{S}"},
        answer=lambda s: [delta("key: " + s[:9]), delta(s[9:] + " ok")],
    ),
    "header echoed URL-encoded": Case(
        _secret(3), {"x-api-key": "{S}"}, answer=lambda s: [delta("?k=" + quote(s, safe=""))]
    ),
    "header echoed JSON-escaped with \\/": Case(
        _secret(4),
        {"x-api-key": "{S}"},
        answer=lambda s: [delta("key " + s).replace("/", "\\/")],
    ),
    "header echoed with \\u escapes": Case(
        _secret(5),
        {"x-api-key": "{S}"},
        answer=lambda s: [delta("key " + s).replace("-", "\\u002D")],
    ),
    "body secret_key": Case(_secret(6), body={"secret_key": "{S}"}, answer=says("got {S}")),
    "body client_secret": Case(_secret(7), body={"client_secret": "{S}"}, answer=says("{S}")),
    "body api_key": Case(_secret(8), body={"api_key": "{S}"}, answer=says("{S}")),
    "body user_api_key": Case(_secret(9), body={"user_api_key": "{S}"}, answer=says("{S}")),
    "header x-custom-token": Case(_secret(10), {"x-custom-token": "{S}"}, answer=says("token {S}")),
    "short key (6 characters) echoed": Case(
        "Zq7kP1", {"x-api-key": "{S}"}, answer=says("your key Zq7kP1 is short")
    ),
    "access_token issued by the upstream": Case(
        _secret(12),
        answer=lambda s: [
            json.dumps({"type": "session", "access_token": s}),
            delta("use " + s + " next time"),
        ],
    ),
    "key pasted in the user message": Case(
        "sk-proj-Pasted0123456789abcdefXYZ",
        user="my key is sk-proj-Pasted0123456789abcdefXYZ please check it",
        answer=says("your key sk-proj-Pasted0123456789abcdefXYZ looks fine"),
    ),
    "cookie echoed": Case(
        _secret(14), {"cookie": "sid={S}; theme=dark"}, answer=says("cookie sid={S}")
    ),
    "set-cookie from the upstream, then echoed": Case(
        _secret(15),
        answer=says("session {S}"),
        answer_headers={"set-cookie": "sid={S}; Path=/"},
    ),
    "bearer authorization echoed": Case(
        _secret(16), {"authorization": "Bearer {S}"}, answer=says("bearer {S}")
    ),
    "query key echoed": Case(_secret(17), query="?key={S}", answer=says("query {S}")),
}


class Recorder:
    """`streamrig record` as a process, its stdout gathered line by line."""

    def __init__(self, upstream: str, out: Path) -> None:
        self.out = out
        self.process, self.url = start_recorder(upstream, out)
        self.lines: list[str] = []
        self.saved = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.saved:
                self.lines.append(line)
                self.saved.notify_all()

    def wait_saved(self, count: int) -> str:
        with self.saved:
            assert self.saved.wait_for(
                lambda: sum(line.startswith("saved ") for line in self.lines) >= count, 30
            ), "".join(self.lines)
            return [line for line in self.lines if line.startswith("saved ")][count - 1]

    def output(self) -> bytes:
        with self.saved:
            return "".join(self.lines).encode()


async def _upstream(request: web.Request) -> web.StreamResponse:
    case = RECORDED[request.headers["x-case"]]
    await request.read()
    headers = {k: v.replace("{S}", case.secret) for k, v in case.answer_headers.items()}
    response = web.StreamResponse(headers={"content-type": "text/event-stream", **headers})
    await response.prepare(request)
    for data in case.answer(case.secret):
        await response.write(f"event: x\ndata: {data}\n\n".encode())
    await response.write_eof()
    return response


@pytest.fixture(scope="module")
def recorder(tmp_path_factory) -> Iterator[Recorder]:
    out = tmp_path_factory.mktemp("cassettes")
    with PlainServer(_upstream) as upstream:
        running = Recorder(upstream.url, out)
        try:
            yield running
        finally:
            running.process.send_signal(signal.SIGINT)
            running.process.wait(10)
            assert running.process.stdout is not None
            running.process.stdout.close()


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (temporaries and hidden ones too), by path; for each
    cassette also its events' text deltas decoded and joined (a secret split across two)."""
    files = {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    for path in folder.rglob("*.yaml"):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            texts = []
            for event in interaction["streamrig"]["events"]:
                data = event["sse"].partition("data:")[2].strip()
                texts.append(json.loads(data).get("delta", {}).get("text", "") if data else "")
            files[f"{path} (deltas joined)"] = "".join(texts).encode()
    return files


@pytest.mark.parametrize("name", list(RECORDED))
def test_no_recorded_secret_reaches_disk_names_or_stdout(recorder, name):
    case = RECORDED[name]
    fill = lambda text: text.replace("{S}", case.secret)  # noqa: E731
    body = {
        **body_for("/v1/messages", text=case.user or name),
        **{k: fill(v) for k, v in case.body.items()},
    }
    headers = {"x-case": name, **{k: fill(v) for k, v in case.headers.items()}}
    count = sum(line.startswith("saved ") for line in recorder.lines) + 1
    with httpx.Client(timeout=10) as client:
        answer = client.post(
            recorder.url + "/v1/messages" + fill(case.query), json=body, headers=headers
        )
    assert answer.status_code == 200 and case.answer(case.secret)[0].encode() in answer.content
    line = recorder.wait_saved(count)
    path = Path(line.split()[1])
    blobs = {
        **_files(recorder.out),
        "stdout": recorder.output(),
        "file names": "\n".join(str(p) for p in recorder.out.rglob("*")).encode(),
    }
    assert not leaks(case.secret, blobs), leaks(case.secret, blobs)
    assert not list(recorder.out.rglob("*.tmp"))
    # what is not a secret stays, and each event keeps its own time
    data = yaml.safe_load(path.read_text())["interactions"][0]
    assert json.loads(data["request"]["body"])["max_tokens"] == 16
    assert len(data["streamrig"]["events"]) == len(case.answer(case.secret))
    assert "[redacted]" in path.read_text() or "REDACTED" in path.read_text()


@dataclass(frozen=True)
class Sent:
    secret: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] = field(default_factory=dict)
    user: str = "hi"
    raw: Callable[[bytes], bytes] = lambda raw: raw


JOURNALED = {
    "body api_key": Sent(_secret(21), body={"api_key": "{S}"}),
    "body user_api_key": Sent(_secret(22), body={"metadata": {"user_api_key": "{S}"}}),
    "body client_secret": Sent(_secret(23), body={"client_secret": "{S}"}),
    "body secret_key": Sent(_secret(24), body={"secret_key": "{S}"}),
    "body access_token": Sent(_secret(25), body={"auth": {"access_token": "{S}"}}),
    "header x-custom-token": Sent(_secret(26), {"x-custom-token": "{S}"}),
    "cookie": Sent(_secret(27), {"cookie": "sid={S}; theme=dark"}),
    "own key repeated in another header": Sent(
        _secret(30), {"x-api-key": "{S}", "x-debug": "key={S}", "x-echo": "{S}"}
    ),
    "own key pasted in the message": Sent(_secret(28), {"x-api-key": "{S}"}, user="key {S}"),
    "own key pasted, JSON-escaped \\/": Sent(
        _secret(29),
        {"x-api-key": "{S}"},
        user="key {S}",
        raw=lambda raw: raw.replace(b"/", b"\\/"),
    ),
    "short own key pasted": Sent("Zq7kP2", {"authorization": "Bearer {S}"}, user="key {S} ok"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(speed=0) as running:
        yield running


@pytest.mark.parametrize("name", list(JOURNALED))
def test_no_secret_reaches_the_journal_or_logs(server, name):
    case = JOURNALED[name]

    def fill(value: object) -> object:
        return json.loads(json.dumps(value).replace("{S}", case.secret))

    body = {**body_for("/v1/messages", stream=False, text=str(fill(case.user))), **fill(case.body)}
    raw = case.raw(json.dumps(body).encode())
    with Captured() as logs:
        status, _, _ = post_json(server.port, "/v1/messages", raw, fill(case.headers))
        assert status == 200
        head = f"GET /_streamrig/journal HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nconnection: close\r\n\r\n"
        _, _, journal = exchange(server.port, head.encode())
    entry = server.journal.last()
    blobs = {
        "journal JSON": journal,
        "entry": json.dumps(entry.to_dict()).encode(),
        "logs": "\n".join(r.getMessage() for r in logs.records).encode(),
    }
    assert not leaks(case.secret, blobs), leaks(case.secret, blobs)
    assert entry.body["max_tokens"] == 16  # what is not a secret is kept
    assert json.loads(journal)  # valid JSON still


def test_placeholder_keys_and_lookalikes_are_kept(server):
    """`test` as a key is a placeholder (under 5 characters): the message keeps its words;
    a 6-character key goes only as a whole token, so `claude-Zq7kP3x` is not cut."""
    body = body_for(
        "/v1/messages", stream=False, text="this is a test of sk-learn-compatible-estimators"
    )
    post_json(server.port, "/v1/messages", json.dumps(body).encode(), {"x-api-key": "test"})
    assert server.journal.last().body["messages"] == body["messages"]
    body = body_for("/v1/messages", stream=False, text="claude-Zq7kP3 and Zq7kP3 alone")
    post_json(server.port, "/v1/messages", json.dumps(body).encode(), {"x-api-key": "Zq7kP3"})
    said = server.journal.last().body["messages"][0]["content"]
    assert said == "claude-Zq7kP3 and [redacted] alone"
