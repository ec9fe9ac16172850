"""Judging one run from outside: exit status, stdout, the journal's entries, the time taken."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..server import JournalEntry, Outcome
from ._cases import Case, Expect

__all__ = ["CaseResult", "Run", "judge"]

WAIT_TOLERANCE = 0.95  # a retry may come this fraction of retry-after early (clock granularity)


@dataclass(frozen=True, slots=True)
class Run:
    """What the client process did: its exit status (None: killed at the timeout) and output."""

    exit_code: int | None
    stdout: str
    stderr: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case's verdict, with what was expected and what the client did, in words."""

    case: Case
    run: Run
    passed: bool
    did: str
    requests: int = 0
    outcomes: tuple[str, ...] = ()
    waits_s: tuple[float, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "FAIL"


def judge(case: Case, run: Run, entries: Sequence[JournalEntry], timeout_s: float) -> CaseResult:
    """The verdict on one run of `case`; `entries` are the journal's requests for this case."""
    ordered = sorted(entries, key=lambda entry: entry.time)
    waits = tuple(round(b.time - a.time, 3) for a, b in itertools.pairwise(ordered))
    outcomes = tuple(entry.outcome.value for entry in ordered)
    passed, why = _verdict(case, run, waits, ordered, timeout_s)
    return CaseResult(
        case=case,
        run=run,
        passed=passed,
        did=why + _server_side(ordered, waits),
        requests=len(ordered),
        outcomes=outcomes,
        waits_s=waits,
    )


def _verdict(
    case: Case,
    run: Run,
    waits: tuple[float, ...],
    entries: Sequence[JournalEntry],
    timeout_s: float,
) -> tuple[bool, str]:
    if run.exit_code is None:
        return False, f"hung: killed after the {timeout_s:g} s timeout"
    elsewhere = sorted(
        {e.provider for e in entries if e.provider and e.provider != case.provider.value}
    )
    if elsewhere:
        return False, (
            f"called the {', '.join(map(str, elsewhere))} endpoint; this battery runs "
            f"--provider {case.provider.value} (the client reads STREAMRIG_PROVIDER)"
        )
    text_ok = run.stdout in (case.text, case.text + "\n")
    exited = f"exit {run.exit_code} after {run.duration_s:.1f} s"
    if case.expect is Expect.TEXT:
        if run.exit_code != 0:
            return False, f"{exited}: {_last_line(run.stderr)}"
        return text_ok, exited + (", printed the text" if text_ok else _text_diff(case, run))
    if case.expect in (Expect.FAILURE, Expect.GIVE_UP):
        if run.exit_code == 0:
            return False, f"{exited}: took the broken stream as complete{_printed(case, run)}"
        return True, f"{exited}: {_last_line(run.stderr)}"
    if case.expect is Expect.RETRY:
        if len(entries) < 2:
            return False, f"{exited}: never retried ({_last_line(run.stderr) or 'no error shown'})"
        early = [w for w in waits if w < case.retry_after_s * WAIT_TOLERANCE]
        if early:
            return False, (
                f"{exited}: retried after {early[0]:.2f} s, before the "
                f"{case.retry_after_s:g} s retry-after"
            )
        if run.exit_code != 0 or not text_ok:
            return False, f"{exited}: retried, then " + (
                _last_line(run.stderr) if run.exit_code else _text_diff(case, run)
            )
        return True, f"{exited}: waited, retried, printed the text"
    # RECOVER: the whole text once, or an honest failure.
    if run.exit_code != 0:
        return True, f"{exited}: gave up ({_last_line(run.stderr)})"
    if text_ok:
        return True, f"{exited}: recovered, printed the text once"
    return False, f"{exited}" + _text_diff(case, run)


def _server_side(entries: Sequence[JournalEntry], waits: tuple[float, ...]) -> str:
    if not entries:
        return "; no request reached the server"
    parts = [f"{len(entries)} request(s)", "/".join(e.outcome.value for e in entries)]
    closed = [e for e in entries if e.outcome in (Outcome.CLIENT_CLOSED, Outcome.STALLED)]
    if closed and closed[-1].closed_at_s is not None:
        parts.append(f"client left {closed[-1].closed_at_s:.1f} s into the stream")
    if waits:
        parts.append("waits " + ", ".join(f"{w:.2f} s" for w in waits))
    return "; server: " + ", ".join(parts)


def _text_diff(case: Case, run: Run) -> str:
    got, want = run.stdout.rstrip("\n"), case.text
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (
        f", wrong text: {len(got)} chars printed, {len(want)} expected, "
        f"first difference at char {at} ({got[at : at + 12]!r} vs {want[at : at + 12]!r})"
    )


def _printed(case: Case, run: Run) -> str:
    return f" (printed {len(run.stdout.rstrip())} of {len(case.text)} chars)"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""
