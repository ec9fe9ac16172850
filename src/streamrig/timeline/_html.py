"""Timelines as one self-contained HTML page: inline CSS and SVG, no script, no network."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from ._summary import ending_text, header, measures
from ._svg import render_svg

if TYPE_CHECKING:
    from ._model import Row, Timeline

__all__ = ["MAX_TABLE_ROWS", "STYLE", "fragment", "page"]

MAX_TABLE_ROWS = 1000  # beyond this the table shows the first and last half, with a note

STYLE = """
.srt { font: 13px/1.4 system-ui, sans-serif; color: #1d2330; }
.srt h2 { font-size: 15px; margin: 18px 0 4px; }
.srt .srt-facts { margin: 2px 0; color: #444; }
.srt .srt-facts b { color: #1d2330; }
.srt-timeline { max-width: 1200px; display: block; }
.srt-timeline text { font: 11px system-ui, sans-serif; fill: #333; }
.srt-axis line { stroke: #999; } .srt-axis .srt-grid { stroke: #eee; }
.srt-lane-bg { fill: #f6f7f9; stroke: #dde; }
.srt-lane-label { font-weight: 600; }
.srt-frame, .srt-frames { fill: #8a94a6; stroke: #8a94a6; }
.srt-frame.srt-content, .srt-frames.srt-content { fill: #2463eb; stroke: #2463eb; }
.srt-receipt, .srt-receipts { fill: #0f9d58; stroke: #0f9d58; }
.srt-due { stroke: #aab; } .srt-late { stroke: #e08a00; stroke-width: 2; }
.srt-link { stroke: #0f9d58; stroke-opacity: .25; fill: none; }
.srt-measure path { stroke: #333; fill: none; }
.srt-ttft path { stroke: #7b2cbf; } .srt-ttft text { fill: #7b2cbf; font-weight: 600; }
.srt-gap path { stroke: #c2410c; } .srt-gap text { fill: #c2410c; }
.srt-fault line { stroke: #d00; stroke-dasharray: 4 3; } .srt-fault path { fill: #d00; }
.srt-fault text { fill: #d00; font-weight: 600; }
.srt-end line { stroke: #1d2330; stroke-width: 3; } .srt-end text { font-weight: 600; }
.srt-end-completed line { stroke: #0f9d58; }
.srt-left line { stroke: #d00; stroke-width: 3; } .srt-left text { fill: #d00; }
.srt-note { fill: #888; font-style: italic; }
.srt table { border-collapse: collapse; margin: 8px 0 24px; font-size: 12px; }
.srt th, .srt td { padding: 1px 8px; border-bottom: 1px solid #eee; text-align: right; }
.srt th:nth-last-child(-n+3) { text-align: left; }
.srt td.srt-text { text-align: left; font-family: ui-monospace, monospace; white-space: pre; }
.srt tr.srt-content td:first-child { border-left: 3px solid #2463eb; }
.srt tr.srt-struck td { background: #fde8e8; }
.srt .srt-elided td { text-align: center; color: #888; font-style: italic; }
"""


def page(timelines: Sequence[Timeline], title: str, links: Sequence[tuple[str, str]] = ()) -> str:
    """One HTML page holding each timeline (picture, measures, frame table); `links` are
    (href, text) pairs listed at the top (e.g. back to an index)."""
    nav = "".join(f'<a href="{escape(h)}">{escape(t)}</a> ' for h, t in links)
    body = "\n".join(fragment(tl) for tl in timelines) or "<p>No request reached the server.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n"
        f'<body class="srt"><h1 style="font-size:18px">{escape(title)}</h1>'
        f"{'<nav>' + nav + '</nav>' if nav else ''}\n{body}\n</body></html>\n"
    )


def fragment(tl: Timeline, table: bool = True) -> str:
    """One timeline as a `<section>` to embed in any page that carries `STYLE`."""
    facts = [header(tl), *measures(tl), ending_text(tl)]
    return "\n".join(
        [
            f'<section class="srt-request" data-request="{tl.request_id or ""}">',
            f"<h2>{escape(tl.title)}</h2>",
            *(f'<p class="srt-facts">{escape(line)}</p>' for line in facts),
            render_svg(tl),
            _table(tl) if table else "",
            "</section>",
        ]
    )


def _table(tl: Timeline) -> str:
    probed = bool(tl.receipts)
    heads = ["frame", "due ms", "sent ms", "late ms", "bytes"]
    heads += ["received ms"] if probed else []
    heads += ["event", "preview", "faults"]
    rows = tl.rows
    body: list[str] = []
    if len(rows) > MAX_TABLE_ROWS:
        half = MAX_TABLE_ROWS // 2
        body += [_tr(row, probed) for row in rows[:half]]
        note = f"{len(rows) - MAX_TABLE_ROWS} frames not shown (the picture holds them all)"
        body.append(f'<tr class="srt-elided"><td colspan="{len(heads)}">{note}</td></tr>')
        body += [_tr(row, probed) for row in rows[-half:]]
    else:
        body += [_tr(row, probed) for row in rows]
    head = "".join(f"<th>{h}</th>" for h in heads)
    return f'<table class="srt-frames-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _cell(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.1f}"


def _tr(row: Row, probed: bool) -> str:
    kinds = ("srt-content " if row.content else "") + ("srt-struck" if row.faults else "")
    cells = [str(row.index), _cell(row.due_s), _cell(row.sent_s), _cell(row.late_s), str(row.size)]
    cells += [_cell(row.received_s)] if probed else []
    text = [row.event, repr(row.preview) if row.preview else "", "; ".join(row.faults)]
    return (
        f'<tr class="{kinds.strip()}" data-frame="{row.index}">'
        + "".join(f"<td>{c}</td>" for c in cells)
        + "".join(f'<td class="srt-text">{escape(t)}</td>' for t in text)
        + "</tr>"
    )
