"""Request bodies in: strict JSON with bounded depth, or a reason to answer 400.

Each limit is one the real APIs' parsers hold too: strict UTF-8, no NaN or
Infinity, no lone surrogate, integers of at most 4,300 digits (Python's own
bound) and at most `MAX_DEPTH` levels of nesting.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from .._secrets import SecretText, may_hold, redact_keys, redact_text_in

__all__ = ["MAX_DEPTH", "BadBody", "BodyUnread", "decode_json", "journal_body", "read_body"]

MAX_DEPTH = 128
_JOURNAL_TEXT_LIMIT = 64 * 1024
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class BadBody(ValueError):
    """A body that is not one JSON value the server can take; the message says why."""


def decode_json(raw: bytes) -> Any:
    """The JSON value of `raw`, or BadBody with a message fit for the client."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadBody(f"The request body is not valid UTF-8: {error}") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except BadBody:
        raise
    except RecursionError:
        raise BadBody(f"The request body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as error:  # JSONDecodeError, and integers past Python's digit limit
        raise BadBody(f"The request body is not valid JSON: {error}") from None
    _check(value, check_strings=_ESCAPED_SURROGATE.search(raw) is not None)
    return value


_UNDECODED: Any = object()


def journal_body(raw: bytes, credentials: Iterable[str] = (), decoded: Any = _UNDECODED) -> Any:
    """What the journal keeps of a body: its JSON value if it is one, else (a prefix of) its
    text; secrets redacted as in cassettes (`streamrig._secrets`): secret-named keys, and
    `credentials` (the request's own, from its headers) in any string. Known key formats
    are not hunted here (a scan of every body on the arrival path; cassettes do it).
    `decoded`: `decode_json(raw)`, when the caller has it already (it is not changed)."""
    learnt: list[str] = []
    try:
        value = redact_keys(  # a copy: `api_key`, `client_secret` redacted
            decode_json(raw) if decoded is _UNDECODED else decoded, learnt
        )
    except BadBody:
        text = raw[:_JOURNAL_TEXT_LIMIT].decode("utf-8", errors="replace")
        value = text + ("..." if len(raw) > _JOURNAL_TEXT_LIMIT else "")
    hunt = SecretText(formats=False)
    for secret in (*credentials, *learnt):
        hunt.learn(secret)  # placeholders (`test`) are not learnt
    if not may_hold(raw, hunt.values):  # the usual case: no hunt at all
        return value
    return redact_text_in(value, hunt)


def _no_constant(name: str) -> Any:
    raise BadBody(f"The request body is not valid JSON: {name} is not a JSON value.")


def _check(value: Any, *, check_strings: bool) -> None:
    """Depth at most MAX_DEPTH; no lone surrogate in any string (only looked for when the
    raw body escapes one: strict UTF-8 decoding already refused unescaped ones)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
            if check_strings:
                stack.extend((key, depth) for key in item)
        elif isinstance(item, list):
            children = item
        else:
            if check_strings and isinstance(item, str):
                _check_string(item)
            continue
        if depth > MAX_DEPTH:
            raise BadBody(f"The request body nests deeper than {MAX_DEPTH} levels.")
        stack.extend((child, depth + 1) for child in children)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BadBody(
            f"The request body is not valid JSON: lone surrogate {text[error.start]!r} in a string."
        ) from None


class BodyUnread(Exception):
    """The body did not arrive whole: too slow, or not decodable as its Content-Encoding says."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: web.Request, timeout: float | None) -> bytes:
    """The whole body, within `timeout` seconds of the headers (None: no bound)."""
    try:
        if request.content.is_eof():  # all in already (the common case): no timer, no task
            return await request.read()
        return await asyncio.wait_for(request.read(), timeout)
    except asyncio.TimeoutError:
        raise BodyUnread(
            f"The request body did not arrive within {timeout:g} s.", status=408
        ) from None
    except RequestPayloadError as error:
        encoding = request.headers.get("content-encoding", "identity")
        raise BodyUnread(
            f"The request body could not be read (Content-Encoding: {encoding}): {error.__cause__ or error}",
            status=400,
        ) from None
