"""Cassettes out: vcrpy-shaped YAML with the timed events beside the body, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._gc_pause import collections_paused
from ..jsonstream import split_array
from ..scenario import Provider
from ..sse import split_events
from ._redact import Redactor

__all__ = [
    "Interaction",
    "cassette_data",
    "dump_cassette",
    "learn",
    "remove_stale_temporaries",
    "write_cassette",
]


@dataclass
class Interaction:
    """One request and its answer as it arrived: chunks with their times (seconds since the request)."""

    method: str
    uri: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    headers_t: float = 0.0
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    truncated: bool = False
    provider: Provider | None = None

    @property
    def body(self) -> bytes:
        return b"".join(chunk for _, chunk in self.chunks)

    def events(self) -> list[tuple[float, bytes]]:
        """The body cut into SSE events, each timed by the chunk that completed it."""
        body = self.body
        streamed = "text/event-stream" in self.response_headers.get("content-type", "")
        if streamed:
            pieces = split_events(body)
        elif body.lstrip()[:1] == b"[":  # a streamed JSON array (Gemini without alt=sse)
            pieces = split_array(body)
        else:
            pieces = [body] if body else []
        ends, total = [], 0
        for t, chunk in self.chunks:
            total += len(chunk)
            ends.append((total, t))
        timed, offset, cursor = [], 0, 0
        for piece in pieces:
            offset += len(piece)
            while cursor < len(ends) - 1 and ends[cursor][0] < offset:
                cursor += 1
            timed.append((ends[cursor][1] if ends else self.headers_t, piece))
        return timed


def cassette_data(interactions: Sequence[Interaction], redactor: Redactor) -> dict[str, Any]:
    """The cassette as vcrpy reads it, with a `streamrig` key per interaction."""
    learn(interactions, redactor)
    return {"interactions": [_interaction(i, redactor) for i in interactions], "version": 1}


def learn(interactions: Sequence[Interaction], redactor: Redactor) -> None:
    """Teach `redactor` every secret of `interactions` before any of their text is written:
    credential headers and query parameters, secret-named keys in either body or event."""
    for interaction in interactions:
        redactor.headers(interaction.request_headers)
        redactor.url(interaction.uri)
        redactor.headers(interaction.response_headers)  # set-cookie
        redactor.learn_text(interaction.request_body.decode("utf-8", errors="replace"))
        for _, piece in interaction.events():  # an `access_token` the upstream issued
            redactor.learn_text(piece.decode("utf-8", errors="replace"))


def _interaction(interaction: Interaction, redactor: Redactor) -> dict[str, Any]:
    timed = interaction.events()
    texts = redactor.events([data.decode("utf-8", errors="replace") for _, data in timed])
    body = interaction.body
    whole = (
        "".join(texts)
        if b"".join(data for _, data in timed) == body
        else redactor.text(body.decode("utf-8", errors="replace"))
    )
    return {
        "request": {
            "body": _request_body(interaction.request_body, redactor),
            "headers": {k: [v] for k, v in redactor.headers(interaction.request_headers).items()},
            "method": interaction.method,
            "uri": redactor.url(interaction.uri),
        },
        "response": {
            "body": {"string": whole},
            "headers": {k: [v] for k, v in redactor.headers(interaction.response_headers).items()},
            "status": {"code": interaction.status, "message": interaction.reason},
        },
        "streamrig": {
            "provider": interaction.provider.value if interaction.provider else None,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "headers_t": round(interaction.headers_t, 6),
            "truncated": interaction.truncated,
            "events": [
                {"t": round(t, 6), "sse": text} for (t, _), text in zip(timed, texts, strict=True)
            ],
        },
    }


def _request_body(raw: bytes, redactor: Redactor) -> str:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.dumps(redactor.body(json.loads(text)), ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to walk
        return redactor.text(text)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Events read as they came: multi-line text as a literal block (exact bytes kept;
    # CR or unprintable text falls back to a quoted string).
    if "\n" in value and _block_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _block_safe(value: str) -> bool:
    lines = value.split("\n")
    return not value.startswith((" ", "\t")) and all(
        line == line.rstrip(" \t") and line.isprintable() for line in lines
    )


_Dumper.add_representer(str, _str)


def dump_cassette(data: dict[str, Any], redactor: Redactor) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    # The last guard: no secret value survives anywhere in the text (a bare word keeps
    # the YAML valid wherever it lands).
    return redactor.text(text, replacement="REDACTED")


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete what an interrupted save (kill -9) left under `folder`: temporaries whose
    writing process is gone. Returns them."""
    removed = []
    for temporary in folder.rglob(".*.tmp") if folder.is_dir() else ():
        pid = temporary.name.rsplit(".", 3)[-3] if temporary.name.count(".") >= 4 else ""
        if pid.isdigit() and not _alive(int(pid)):
            temporary.unlink(missing_ok=True)
            removed.append(temporary)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_cassette(
    path: Path, interactions: Sequence[Interaction], redactor: Redactor, *, append: bool = False
) -> Path:
    """Write atomically: a temporary file beside the cassette, then a rename. An earlier
    cassette stays whole until the new one is complete. `append` keeps its interactions.
    Automatic garbage collections wait while it runs (see `streamrig._gc_pause`)."""
    with collections_paused():
        return _write(path, interactions, redactor, append)


def _write(
    path: Path, interactions: Sequence[Interaction], redactor: Redactor, append: bool
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = cassette_data(interactions, redactor)
    if append and path.exists():
        earlier = yaml.safe_load(path.read_text("utf-8")) or {}
        data["interactions"] = [*(earlier.get("interactions") or []), *data["interactions"]]
    text = dump_cassette(data, redactor)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
