"""check.recovered: retries that honour the server, no storms, and no cut stream taken as whole."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from .._errors import CheckFailed
from ..server import JournalEntry, Outcome, settle
from ._accumulated import UNSET, describe_entry
from ._sent import JournalSource, ended_early, journal_of

__all__ = ["Recovery", "recovered"]

RETRYABLE = frozenset({408, 409, 429}) | frozenset(range(500, 600))


@dataclass(frozen=True, slots=True)
class Recovery:
    """The tries of the last request, and the waits between them (ms)."""

    attempts: int
    waits_ms: tuple[float, ...]
    final_outcome: str


def recovered(
    source: JournalSource,
    *,
    result: Any = UNSET,
    error: BaseException | Any | None = UNSET,
    max_attempts: int = 3,
    min_backoff_ms: float = 50.0,
) -> Recovery:
    """Judge how the client handled the last request's failures: each retry waited what
    `retry-after-ms` / `retry-after` asked (else at least `min_backoff_ms`), no
    non-retryable status was retried, at most `max_attempts` tries, no retryable failure
    was given up early, and (given `result=` or `error=`) a cut or errored stream was
    surfaced as an error while a complete one was not."""
    __tracebackhide__ = True
    tries = _tries(journal_of(source))
    problems = list(_retry_problems(tries, max_attempts, min_backoff_ms))
    problems.extend(_outcome_problems(tries[-1], result, error))
    waits = tuple((b.time - a.time) * 1000 for a, b in itertools.pairwise(tries))
    if problems:
        history = "\n    ".join(
            _line(number, entry, tries[0].time) for number, entry in enumerate(tries, start=1)
        )
        raise CheckFailed(
            "streamrig: the client did not recover as it should\n  "
            + "\n  ".join(problems)
            + f"\n  the tries, as the server saw them:\n    {history}"
        )
    return Recovery(len(tries), waits, tries[-1].outcome.value)


def _tries(entries: list[JournalEntry]) -> list[JournalEntry]:
    """The last request's tries: back from the newest entry through attempts n, n-1 ... 1."""
    if not entries:
        raise CheckFailed("streamrig: the server saw no request at all")
    last = entries[-1]
    settle([last])
    tries = [last]
    for entry in reversed(entries[:-1]):
        if (
            entry.scenario == last.scenario
            and entry.path == last.path
            and entry.attempt == tries[0].attempt - 1
        ):
            tries.insert(0, entry)
        if tries[0].attempt == 1:
            break
    return tries


def _retry_problems(tries: list[JournalEntry], max_attempts: int, min_backoff_ms: float) -> Any:
    if len(tries) > max_attempts:
        yield f"retry storm: {len(tries)} tries, at most {max_attempts} expected"
    for number, (before, after) in enumerate(itertools.pairwise(tries), start=1):
        gap_ms = (after.time - before.time) * 1000
        if before.outcome is Outcome.COMPLETED:
            yield f"try {number + 1} repeated a request whose try {number} had succeeded"
            continue
        if before.outcome is not Outcome.HTTP_ERROR:
            continue  # a new request after a cut stream: the application's own retry
        headers = before.response_headers
        if before.status not in RETRYABLE or headers.get("x-should-retry") == "false":
            why = (
                "x-should-retry: false"
                if headers.get("x-should-retry") == "false"
                else "it is not retryable"
            )
            yield f"try {number + 1} retried a {before.status}, but {why}"
            continue
        wanted_ms, source = _wanted_wait(headers, min_backoff_ms)
        if gap_ms < wanted_ms * 0.9:
            yield f"try {number + 1} came {gap_ms:.0f} ms after the {before.status} of try {number}, but {source} asked for {wanted_ms:.0f} ms"
    last = tries[-1]
    if (
        last.outcome is Outcome.HTTP_ERROR
        and last.status in RETRYABLE
        and last.response_headers.get("x-should-retry") != "false"
        and len(tries) < max_attempts
    ):
        yield f"gave up after {len(tries)} tr{'y' if len(tries) == 1 else 'ies'} though the {last.status} was retryable (up to {max_attempts})"


def _wanted_wait(headers: dict[str, str], min_backoff_ms: float) -> tuple[float, str]:
    if "retry-after-ms" in headers:
        return float(headers["retry-after-ms"]), f"retry-after-ms: {headers['retry-after-ms']}"
    value = headers.get("retry-after", "")
    if value.replace(".", "", 1).isdigit() and float(value) > 0:
        return float(value) * 1000, f"retry-after: {value}"
    return min_backoff_ms, "a backoff"


def _outcome_problems(last: JournalEntry, result: Any, error: Any) -> Any:
    if result is UNSET and error is UNSET:
        return
    raised = error is not UNSET and error is not None
    if ended_early(last) and not raised:
        yield (
            f"the last stream was cut ({last.outcome.value} after {len(last.frames)} frame(s)), "
            "but the client returned a result as if it were complete"
        )
    elif last.outcome is Outcome.COMPLETED and raised:
        yield f"the server's last answer was complete, but the client raised {type(error).__name__}: {error}"
    elif last.outcome is Outcome.HTTP_ERROR and not raised:
        yield f"every try failed (last: HTTP {last.status}), but the client returned a result"


def _line(number: int, entry: JournalEntry, first: float) -> str:
    """`#2 at +0.512s: HTTP 200 -> completed; ...`: the try, and its time from the first try."""
    return f"#{number} at +{entry.time - first:.3f}s: HTTP {entry.status or '-'} -> {entry.outcome.value}; {describe_entry(entry)}"
