"""What `validate` accepts, the server can send: rules beyond the schema's shapes.

Each rule stands for something that would otherwise pass validation and fail
(or cost without bound) when played: a number that is not finite, text that is
not UTF-8, an attempt status or header HTTP cannot carry, counts and rates that
would hold a stream silent for seconds or fill memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_MS",
    "MAX_PINGS",
    "MIN_PING_EVERY_MS",
    "MIN_RATE",
    "servable_problems",
]

MAX_ATTEMPTS = 1_000  # tries listed, or `fail: N`
MAX_PINGS = 1_000  # `ping: N`
MIN_PING_EVERY_MS = 10.0  # `ping: {every_ms: ...}`
MAX_MS = 600_000.0  # any `*_ms` wait: ten minutes
MIN_RATE = 1.0  # `tokens_per_s`, `drip` (per second)
FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP header name (RFC 9110)
_BAD_VALUE = re.compile(r"[\r\n\x00]")

Path = tuple[str | int, ...]


def servable_problems(data: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """(key path, problem) for everything in a scenario the server could not send."""
    yield from _values(data, ())
    yield from _attempts(data.get("attempts"))
    yield from _faults(data.get("faults"), ("faults",))


def _values(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Every number finite, every string UTF-8; `*_ms` and rates within bounds."""
    stack: list[tuple[Any, Path]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and _surrogate(key):
                    yield where, f"the key {key!r} holds a lone surrogate, which is not UTF-8"
                stack.append((child, (*where, str(key))))
        elif isinstance(item, list):
            stack.extend((child, (*where, index)) for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            yield where, f"{item} is not a finite number"
        elif isinstance(item, str) and _surrogate(item):
            yield where, "holds a lone surrogate, which cannot be sent as UTF-8"
        elif _number(item) and where and isinstance(where[-1], str):
            yield from _bounds(where, where[-1], item)


def _bounds(path: Path, key: str, number: float) -> Iterator[tuple[Path, str]]:
    if key.endswith("_ms") and number > MAX_MS:
        yield path, f"{number:g} ms is more than ten minutes ({MAX_MS:g} ms)"
    if key in ("tokens_per_s", "drip") and 0 < number < MIN_RATE:
        yield path, f"{number:g} per second is slower than the least rate, {MIN_RATE:g}"


def _attempts(attempts: Any) -> Iterator[tuple[Path, str]]:
    if isinstance(attempts, Mapping):
        fail: Any = attempts.get("fail")
        if _number(fail) and fail > MAX_ATTEMPTS:
            yield ("attempts", "fail"), f"at most {MAX_ATTEMPTS} failing tries; got {fail}"
        yield from _attempt(attempts, ("attempts",))
    elif isinstance(attempts, list):
        if len(attempts) > MAX_ATTEMPTS:
            yield ("attempts",), f"at most {MAX_ATTEMPTS} tries; got {len(attempts)}"
        for index, attempt in enumerate(attempts):
            if isinstance(attempt, Mapping):
                yield from _attempt(attempt, ("attempts", index))
                yield from _faults(attempt.get("faults"), ("attempts", index, "faults"))


def _attempt(attempt: Mapping[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    # (its status is checked with the schema: 200 or 300-599)
    headers = attempt.get("headers")
    if not isinstance(headers, Mapping):
        return
    for name, value in headers.items():
        where = (*path, "headers", str(name))
        if not _TOKEN.match(str(name)):
            yield (
                where,
                f"{str(name)!r} is not an HTTP header name (letters, digits, !#$%&'*+-.^_`|~)",
            )
        elif str(name).lower() in FRAMING_HEADERS:
            yield where, f"{name} frames the HTTP message; the server sets it itself"
        if _BAD_VALUE.search(str(value)):
            yield where, "a header value cannot hold CR, LF or NUL"


def _faults(faults: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if not isinstance(faults, list):
        return
    for index, fault in enumerate(faults):
        ping: Any = fault.get("ping") if isinstance(fault, Mapping) else None
        where = (*path, index, "ping")
        if _number(ping) and ping > MAX_PINGS:
            yield where, f"at most {MAX_PINGS} pings; got {ping}"
        every: Any = ping.get("every_ms") if isinstance(ping, Mapping) else None
        if _number(every) and every < MIN_PING_EVERY_MS:
            yield (
                (*where, "every_ms"),
                f"a ping at most every {MIN_PING_EVERY_MS:g} ms; got {every}",
            )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
