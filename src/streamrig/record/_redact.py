"""Secrets never reach disk: headers, query parameters, body keys, and any value seen as a secret.

The policy (shared with the journal, `streamrig._secrets`): a header or key whose name
says credential is replaced whole, and its value is learnt; every learnt value, and
every well-known key format, is then hunted in all text in its encoded forms (JSON
escapes, URL encoding), and across SSE events (`events`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._secrets import REDACTED, SECRET_HEADERS, SecretText, is_secret_name

__all__ = ["REDACTED", "Redactor"]


class Redactor:
    """Redacts structurally (known headers, secret-looking names) and then replaces every
    secret value it has learnt, and every user pattern, anywhere in text."""

    def __init__(self, headers: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        self.header_names = SECRET_HEADERS | {h.lower() for h in headers}
        self.secrets = SecretText(patterns)

    @property
    def seen(self) -> set[str]:
        return self.secrets.values

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        clean = {}
        for name, value in headers.items():
            if name.lower() in self.header_names or is_secret_name(name):
                self.secrets.learn(value)
                clean[name.lower()] = REDACTED
            else:
                clean[name.lower()] = self.text(value)
        return clean

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = []
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if is_secret_name(name) or name.lower() in ("key", "sig", "signature"):
                self.secrets.learn(value)
                value = REDACTED
            query.append((name, self.text(value)))
        netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host
        if "@" in parts.netloc:
            self.secrets.learn(parts.netloc.rsplit("@", 1)[0].partition(":")[2])
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))

    def body(self, value: Any) -> Any:
        """A JSON value with every secret-named key's value redacted (and learnt)."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and is_secret_name(key) and isinstance(item, (str, int)):
                    self.secrets.learn(str(item))
                    out[key] = REDACTED
                else:
                    out[key] = self.body(item)
            return out
        if isinstance(value, list):
            return [self.body(item) for item in value]
        return self.text(value) if isinstance(value, str) else value

    def learn_text(self, text: str) -> None:
        """Learn the secret-named values of `text` read as JSON, or as SSE events' data."""
        for data in _json_values(text):
            self.body(data)

    def text(self, text: str, replacement: str = REDACTED) -> str:
        return self.secrets.text(text, replacement)

    def events(self, events: list[str]) -> list[str]:
        """SSE events with every secret redacted, including one split across events: the
        strings at the same place in successive events' JSON (`delta.text`) are joined,
        hunted, and each event holding part of a secret gets the marker for its part
        (its JSON is then written compactly). Then each event is redacted as text."""
        found: dict[str, list[tuple[int, str]]] = {}  # path -> (event index, string)
        parsed: list[Any] = []
        for index, event in enumerate(events):
            data = _event_json(event)
            parsed.append(data)
            if data is not None:
                for path, string in _strings(data, ""):
                    found.setdefault(path, []).append((index, string))
        changed: dict[int, dict[str, str]] = {}
        for path, pieces in found.items():
            if len(pieces) < 2:
                continue
            joined = "".join(s for _, s in pieces)
            spans = self.secrets.spans(joined)
            if not spans:
                continue
            start = 0
            for index, string in pieces:
                end = start + len(string)
                cut = [(max(a, start) - start, min(b, end) - start) for a, b in spans]
                cut = [(a, b) for a, b in cut if a < b]
                if cut:
                    changed.setdefault(index, {})[path] = _mask(string, cut)
                start = end
        out = []
        for index, event in enumerate(events):
            if index in changed:
                data = _replace(parsed[index], "", changed[index])
                event = _with_data(
                    event, json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                )
            out.append(self.text(event))
        return out


def _mask(text: str, cuts: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for a, b in sorted(cuts):
        if a >= at:
            out += [text[at:a], REDACTED]
            at = b
        else:
            at = max(at, b)
    return "".join(out) + text[at:]


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")
    elif isinstance(value, str):
        yield path, value


def _replace(value: Any, path: str, new: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, f"{path}.{k}", new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, f"{path}.{i}", new) for i, v in enumerate(value)]
    return new.get(path, value) if isinstance(value, str) else value


def _event_json(event: str) -> Any:
    """The JSON of an SSE event's data (or of a JSON array element), else None."""
    lines = [line[5:].lstrip(" ") for line in event.splitlines() if line.startswith("data:")]
    text = "\n".join(lines) if lines else event.strip().strip(",[]").strip()
    try:
        data = json.loads(text)
        list(_strings(data, ""))  # nested too deep to walk: hunted as text only
    except (ValueError, RecursionError):
        return None
    return data


def _with_data(event: str, data: str) -> str:
    if not any(line.startswith("data:") for line in event.splitlines()):
        lead = event[: len(event) - len(event.lstrip(" \r\n,["))]
        tail = event[len(event.rstrip(" \r\n,]")) :]
        return lead + data + tail
    kept = [line for line in event.splitlines(keepends=True) if not line.startswith("data:")]
    ending = "\r\n" if "\r\n" in event else "\n"
    head = [line for line in kept if line.strip()]
    return "".join(head) + f"data: {data}{ending}{ending}"


def _json_values(text: str) -> Iterable[Any]:
    lines = [line[5:] for line in text.splitlines() if line.startswith("data:")]
    for candidate in lines or [text]:
        try:
            value = json.loads(candidate)
            list(_strings(value, ""))
        except (ValueError, RecursionError):  # not JSON, or too deep to walk
            continue
        yield value
