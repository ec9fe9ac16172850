"""What counts as a credential: one policy for the journal, cassettes and logs."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

__all__ = [
    "KEY_FORMATS",
    "MIN_ANYWHERE",
    "MIN_TOKEN",
    "REDACTED",
    "SECRET_HEADERS",
    "SecretText",
    "credential_parts",
    "encoded_forms",
    "is_secret_name",
    "may_hold",
    "redact_keys",
    "redact_text_in",
]

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-api-key",
        "api-key",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "openai-api-key",
        "anthropic-api-key",
    }
)

# `api_key`, `apiKey`, `client_secret`, `secret_key`, `password`, `access_token`,
# `x-custom-token`: secrets. `max_tokens`, `input_tokens`, `tokenizer`: not.
_SECRET_NAME = re.compile(
    r"(api[_-]?key|secret|password|passwd|credentials?)$|(^|[_-])(secret|token|auth|authorization)($|[_-])"
    r"|(^|[_-])(access|refresh|id|session|bearer)[_-]?token",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(
    r"(^|[_-])(max|input|output|total|reasoning|cached|completion|prompt)[_-]?tokens?", re.I
)


def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or body key of this name holds a credential."""
    lowered = name.lower()
    if lowered in SECRET_HEADERS:
        return True
    return bool(_SECRET_NAME.search(lowered)) and not _NOT_SECRET.search(lowered)


def redact_keys(value: Any, learnt: list[str] | None = None) -> Any:
    """A JSON value with the value of every secret-named key replaced (lists and objects
    walked); the values replaced are added to `learnt`."""
    stack: list[Any] = []
    root = _copy(value, stack)
    while stack:
        item = stack.pop()
        for key in list(item) if isinstance(item, dict) else range(len(item)):
            child = item[key]
            if isinstance(key, str) and is_secret_name(key) and not isinstance(child, (dict, list)):
                if learnt is not None and isinstance(child, (str, int)):
                    learnt.append(str(child))
                item[key] = REDACTED
            elif isinstance(child, (dict, list)):
                item[key] = _copy(child, stack)
    return root


def _copy(value: Any, stack: list[Any]) -> Any:
    if isinstance(value, dict):
        copied: Any = dict(value)
    elif isinstance(value, list):
        copied = list(value)
    else:
        return value
    stack.append(copied)
    return copied


# Text hunting: where a known credential may appear outside its own header or key.
MIN_ANYWHERE = 8  # a known value this long is replaced wherever it appears
MIN_TOKEN = 5  # shorter ones only as a whole token; under this (`test`), only in place
_TOKEN_CHAR = "A-Za-z0-9_-"
# Key formats recognised even when nothing announced them (a key pasted in a message).
KEY_FORMATS = re.compile(
    r"(?<![A-Za-z0-9])(?:sk-(?=[A-Za-z0-9_-]*[0-9])(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{16,}"
    r"|AIza[0-9A-Za-z_-]{30,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
)


_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "apikey"})


def credential_parts(value: str) -> list[str]:
    """`value` and the credentials inside it: `Bearer sk-...` -> `sk-...`,
    `a=1x; b=2y` (a cookie) -> `1x`, `2y`; `Basic <base64>` -> the decoded password too."""
    parts = [value.strip()]
    for word in re.split(r"[\s;,]+", value):
        if word.lower() not in _SCHEMES:
            parts.append(word)
        if "=" in word:
            parts.append(word.split("=", 1)[1])
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "basic" and rest:
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        parts += [decoded, decoded.partition(":")[2]]
    return [p for p in dict.fromkeys(parts) if p]


def encoded_forms(secret: str) -> str:
    """A regular expression matching `secret` however each character is written: as is,
    JSON-escaped (`\\uXXXX` in any case, `\\/`), or URL-encoded (`%XX` in any case, `+`)."""
    out = []
    for char in secret:
        forms = [re.escape(char), r"\\u" + _hex(f"{ord(char):04x}")] if ord(char) < 0x10000 else []
        forms = forms or [re.escape(char)]
        forms.append("".join("%" + _hex(f"{b:02x}") for b in char.encode("utf-8")))
        if char == "/":
            forms.append(r"\\/")
        if char == " ":
            forms.append(r"\+")
        out.append("(?:" + "|".join(forms) + ")")
    return "".join(out)


def _hex(digits: str) -> str:
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


class SecretText:
    """Credentials learnt from one request (and its answer), hunted in text in every
    encoded form, together with KEY_FORMATS (unless `formats=False`) and user patterns."""

    def __init__(self, patterns: Iterable[str] = (), *, formats: bool = True) -> None:
        self.values: set[str] = set()
        self.formats = formats
        self.patterns = [re.compile(p) for p in patterns]
        self._regex: re.Pattern[str] | None = None

    def learn(self, value: str) -> None:
        for part in credential_parts(value):
            if len(part) >= MIN_TOKEN and part != REDACTED and part not in self.values:
                self.values.add(part)
                self._regex = None

    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = _hunter(frozenset(self.values), self.formats)
        return self._regex

    def spans(self, text: str) -> list[tuple[int, int]]:
        regex = self.regex()
        found = [
            (start + a, start + b)
            for start, piece in self._pieces(text)
            for a, b in (m.span() for m in regex.finditer(piece))
        ]
        for pattern in self.patterns:
            found += [m.span() for m in pattern.finditer(text)]
        return [s for s in found if s[1] > s[0]]

    def text(self, text: str, replacement: str = REDACTED) -> str:
        regex = self.regex()
        text = "".join(regex.sub(replacement, piece) for _, piece in self._pieces(text))
        for pattern in self.patterns:
            text = pattern.sub(replacement, text)
        return text

    def _pieces(self, text: str) -> Iterable[tuple[int, str]]:
        if any("\n" in value for value in self.values):  # a learnt PEM key, say
            return [(0, text)]
        return _pieces(text)


PIECE_CHARS = 1 << 16


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """`text` cut after a line end about every PIECE_CHARS characters, each piece with its
    offset. A regex call holds the GIL: over a 4 MB cassette, 0.1 s in which the streams
    a recorder relays on another thread wait. No key format holds a line end, so hunting
    piece by piece finds what hunting the whole finds (a learnt value with one, and user
    patterns, still see the whole text)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + PIECE_CHARS)
        end = size if end < 0 else end + 1
        yield start, text[start:end]
        start = end


@functools.lru_cache(maxsize=64)  # the journal asks again for each request with the same key
def _hunter(values: frozenset[str], formats: bool) -> re.Pattern[str]:
    alternatives = []
    for value in sorted(values, key=len, reverse=True):
        form = encoded_forms(value)
        if len(value) < MIN_ANYWHERE:
            form = f"(?<![{_TOKEN_CHAR}]){form}(?![{_TOKEN_CHAR}])"
        alternatives.append(form)
    if formats:
        alternatives.append(KEY_FORMATS.pattern)
    if not alternatives:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(alternatives))


def may_hold(raw: bytes, values: Iterable[str]) -> bool:
    """A cheap first look: whether `raw` may hold one of `values` (as is, JSON-escaped or
    URL-encoded). False means the hunt can be skipped."""
    for value in values:
        escaped = json.dumps(value)[1:-1]
        forms = {value, escaped, escaped.replace("/", "\\/"), quote(value, safe="")}
        if any(form.encode() in raw for form in forms):
            return True
    return False


def redact_text_in(value: Any, secrets: SecretText) -> Any:
    """A JSON value with every string hunted by `secrets` (returns a copy where it changed)."""
    if isinstance(value, str):
        return secrets.text(value)
    if isinstance(value, dict):
        return {key: redact_text_in(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_text_in(item, secrets) for item in value]
    return value
