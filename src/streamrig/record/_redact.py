"""Secrets never reach disk: headers, query parameters, body keys, and any value seen as a secret."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._secrets import REDACTED, SECRET_HEADERS, is_secret_name

__all__ = ["REDACTED", "Redactor"]

_MIN_SECRET = 8  # shorter values are too common to hunt for in text


class Redactor:
    """Redacts structurally (known headers, secret-looking names) and then, as a last guard,
    replaces every secret value it has seen, and every user pattern, anywhere in text."""

    def __init__(self, headers: Iterable[str] = (), patterns: Iterable[str] = ()) -> None:
        self.header_names = SECRET_HEADERS | {h.lower() for h in headers}
        self.patterns = [re.compile(p) for p in patterns]
        self.seen: set[str] = set()

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        clean = {}
        for name, value in headers.items():
            if name.lower() in self.header_names or is_secret_name(name):
                self._remember(value)
                clean[name.lower()] = REDACTED
            else:
                clean[name.lower()] = self.text(value)
        return clean

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = []
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if is_secret_name(name) or name.lower() in ("key", "sig", "signature"):
                self._remember(value)
                value = REDACTED
            query.append((name, value))
        netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))

    def body(self, value: Any) -> Any:
        """A JSON value with every secret-named key's value redacted."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and is_secret_name(key) and isinstance(item, (str, int)):
                    self._remember(str(item))
                    out[key] = REDACTED
                else:
                    out[key] = self.body(item)
            return out
        if isinstance(value, list):
            return [self.body(item) for item in value]
        return self.text(value) if isinstance(value, str) else value

    def text(self, text: str, replacement: str = REDACTED) -> str:
        for secret in sorted(self.seen, key=len, reverse=True):
            text = text.replace(secret, replacement)
        for pattern in self.patterns:
            text = pattern.sub(replacement, text)
        return text

    def _remember(self, value: str) -> None:
        for part in (value, *value.split()):  # "Bearer sk-..." -> also "sk-..."
            if len(part) >= _MIN_SECRET:
                self.seen.add(part)
