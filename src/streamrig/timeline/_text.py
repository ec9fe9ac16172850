"""A timeline as a table for terminals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._summary import ending_text, header, measures

if TYPE_CHECKING:
    from ._model import Row, Timeline

__all__ = ["render_text"]

MAX_ROWS = 200  # beyond this, the first and last half are shown


def render_text(tl: Timeline) -> str:
    """Header, one line per frame (elided in the middle past `MAX_ROWS`), measures, ending."""
    probed = bool(tl.receipts)
    head = f"{'frame':>5} {'due ms':>9} {'sent ms':>9} {'late ms':>8} {'bytes':>6}"
    head += f" {'recv ms':>9}" if probed else ""
    lines = [header(tl), head + "  event / preview / faults"]
    rows = tl.rows
    if len(rows) > MAX_ROWS:
        half = MAX_ROWS // 2
        lines += [_line(row, probed) for row in rows[:half]]
        lines.append(f"{'...':>5} ({len(rows) - MAX_ROWS} frames not shown)")
        lines += [_line(row, probed) for row in rows[-half:]]
    else:
        lines += [_line(row, probed) for row in rows]
    if not rows:
        body = f"not streamed: one body of {tl.bytes_sent} bytes" if tl.bytes_sent else "no body"
        lines.append(f"{'':>5} ({body})")
    lines += measures(tl)
    lines.append(ending_text(tl))
    return "\n".join(lines)


def _ms(seconds: float | None, width: int) -> str:
    return f"{'-':>{width}}" if seconds is None else f"{seconds * 1000:{width}.1f}"


def _line(row: Row, probed: bool) -> str:
    line = f"{row.index:>5} {_ms(row.due_s, 9)} {_ms(row.sent_s, 9)} {_ms(row.late_s, 8)} {row.size:>6}"
    if probed:
        line += f" {_ms(row.received_s, 9)}"
    what = row.event or "(part of an event)"
    if row.preview:
        what += f" {row.preview!r}"
    for fault in row.faults:
        what += f"  !! {fault}"
    return f"{line}  {what}"
