"""A timeline as an inline SVG: time across, server sends and client receipts as two lanes.

Up to `DETAIL` frames each frame is its own mark with a tooltip; past that, each
lane's marks are one `<path>` (a 10,000-frame stream stays one element per lane),
and the lane group says how many frames it holds (`data-frames`).
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from ._summary import ms

if TYPE_CHECKING:
    from ._model import Gap, Row, Timeline

__all__ = ["DETAIL", "render_svg"]

DETAIL = 1500
WIDTH, LEFT, RIGHT = 1000, 110, 30
AXIS_Y, SERVER_Y, CLIENT_Y, LANE_H = 28, 70, 160, 36
HEIGHT = 245


class _Scale:
    def __init__(self, end_s: float) -> None:
        self.end_s = end_s if end_s > 0 else 0.001
        self.span = WIDTH - LEFT - RIGHT

    def __call__(self, seconds: float) -> float:
        return round(LEFT + seconds / self.end_s * self.span, 2)


def render_svg(tl: Timeline) -> str:
    """The picture of one timeline (class names `srt-*`; styles come with `STYLE`)."""
    x = _Scale(tl.end_s * 1.02)
    parts = [
        f'<svg class="srt-timeline" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" xmlns="http://www.w3.org/2000/svg" data-frames="{len(tl.rows)}">',
        f"<title>{escape(tl.title)}: {len(tl.rows)} frames, {escape(tl.outcome)}</title>",
        *_axis(x),
        *_server_lane(tl, x),
        *_client_lane(tl, x),
        *_measures(tl, x),
        *_faults(tl, x),
        *_ending(tl, x),
        "</svg>",
    ]
    return "\n".join(parts)


def _axis(x: _Scale) -> list[str]:
    step = _nice_step(x.end_s)
    out = [
        f'<g class="srt-axis"><line x1="{LEFT}" y1="{AXIS_Y}" x2="{WIDTH - RIGHT}" y2="{AXIS_Y}"/>'
    ]
    t = 0.0
    while t <= x.end_s + 1e-9:
        px = x(t)
        out.append(
            f'<line x1="{px}" y1="{AXIS_Y - 4}" x2="{px}" y2="{CLIENT_Y + LANE_H / 2 + 4}" class="srt-grid"/>'
            f'<text x="{px}" y="{AXIS_Y - 8}" text-anchor="middle">{_tick_label(t, step)}</text>'
        )
        t += step
    out.append("</g>")
    return out


def _nice_step(end_s: float) -> float:
    raw = end_s / 8
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 0.001
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _tick_label(t: float, step: float) -> str:
    if step >= 1:
        return f"{t:g} s"
    return f"{t * 1000:.0f} ms" if step >= 0.001 else f"{t * 1000:.2f} ms"


def _lane(name: str, label: str, y: float, count: int) -> str:
    return (
        f'<g class="srt-lane srt-lane-{name}" data-lane="{name}" data-frames="{count}">'
        f'<rect x="{LEFT}" y="{y - LANE_H / 2}" width="{WIDTH - LEFT - RIGHT}" height="{LANE_H}" class="srt-lane-bg"/>'
        f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" class="srt-lane-label">{label}</text>'
    )


def _row_tip(row: Row) -> str:
    tip = f"frame {row.index}: sent {ms(row.sent_s)} (due {ms(row.due_s)}"
    if row.late_s is not None:
        tip += f", late {ms(row.late_s)}"
    tip += f"), {row.size} B, {row.event or 'part of an event'}"
    if row.preview:
        tip += f" {row.preview!r}"
    if row.received_s is not None:
        tip += f"; received {ms(row.received_s)}"
    for fault in row.faults:
        tip += f"; fault: {fault}"
    return escape(tip)


def _server_lane(tl: Timeline, x: _Scale) -> list[str]:
    label = "planned frames" if tl.planned else "server sends"
    out = [_lane("server", label, SERVER_Y, len(tl.rows))]
    top, h = SERVER_Y - LANE_H / 2 + 4, LANE_H - 8
    if not tl.planned:  # due ticks above the lane, lateness as a line from due to sent
        due = "".join(f"M{x(r.due_s)} {top - 6}v5" for r in tl.rows)
        late = "".join(
            f"M{x(r.due_s)} {top - 3}H{x(r.at_s)}" for r in tl.rows if (r.late_s or 0) > 0.001
        )
        out.append(f'<path class="srt-due" d="{due}"/><path class="srt-late" d="{late}"/>')
    if len(tl.rows) <= DETAIL:
        for row in tl.rows:
            kind = "srt-frame srt-content" if row.content else "srt-frame"
            out.append(
                f'<rect class="{kind}" data-frame="{row.index}" x="{x(row.at_s) - 1}" y="{top}" '
                f'width="2" height="{h}"><title>{_row_tip(row)}</title></rect>'
            )
    else:
        for content in (False, True):
            d = "".join(f"M{x(r.at_s)} {top}v{h}" for r in tl.rows if r.content is content)
            kind = "srt-frames srt-content" if content else "srt-frames"
            out.append(f'<path class="{kind}" d="{d}"/>')
    out.append("</g>")
    return out


def _client_lane(tl: Timeline, x: _Scale) -> list[str]:
    out = [_lane("client", "client receipts", CLIENT_Y, len(tl.receipts))]
    top, h = CLIENT_Y - LANE_H / 2 + 4, LANE_H - 8
    if not tl.receipts:
        note = (
            "planned: nothing received"
            if tl.planned
            else "not probed (pass a probe to see receipts)"
        )
        out.append(f'<text x="{LEFT + 8}" y="{CLIENT_Y + 4}" class="srt-note">{note}</text></g>')
        return out
    sent = {row.index: row.at_s for row in tl.rows}
    links = "".join(
        f"M{x(sent[r.frame])} {SERVER_Y + LANE_H / 2}L{x(r.at_s)} {top}"
        for r in tl.receipts
        if r.frame is not None and r.frame in sent
    )
    out.append(f'<path class="srt-link" d="{links}"/>')
    if len(tl.receipts) <= DETAIL:
        for r in tl.receipts:
            frame = "unpaired" if r.frame is None else f"frame {r.frame}"
            out.append(
                f'<rect class="srt-receipt" data-chunk="{r.chunk}" x="{x(r.at_s) - 1}" y="{top}" '
                f'width="2" height="{h}"><title>chunk {r.chunk}: received {ms(r.at_s)}, {frame}</title></rect>'
            )
    else:
        d = "".join(f"M{x(r.at_s)} {top}v{h}" for r in tl.receipts)
        out.append(f'<path class="srt-receipts" d="{d}"/>')
    out.append("</g>")
    return out


def _bracket(kind: str, x1: float, x2: float, y: float, label: str) -> str:
    mid = (x1 + x2) / 2
    anchor = "start" if mid < LEFT + 60 else "end" if mid > WIDTH - RIGHT - 60 else "middle"
    at = x1 if anchor == "start" else x2 if anchor == "end" else mid
    return (
        f'<g class="srt-measure {kind}"><path d="M{x1} {y - 4}v8M{x1} {y}H{x2}M{x2} {y - 4}v8"/>'
        f'<text x="{at}" y="{y + 13}" text-anchor="{anchor}">{escape(label)}</text></g>'
    )


def _measures(tl: Timeline, x: _Scale) -> list[str]:
    out = []
    below_server, below_client = SERVER_Y + LANE_H / 2 + 8, CLIENT_Y + LANE_H / 2 + 8
    if tl.ttft_s is not None:
        out.append(_bracket("srt-ttft", x(0), x(tl.ttft_s), below_server, f"TTFT {ms(tl.ttft_s)}"))
    if tl.client_ttft_s is not None:
        out.append(
            _bracket(
                "srt-ttft", x(0), x(tl.client_ttft_s), below_client, f"TTFT {ms(tl.client_ttft_s)}"
            )
        )
    for lane, y in (("server", below_server), ("client", below_client)):
        gap = tl.largest_gap(lane)
        if gap is not None and gap.seconds > 0:
            out.append(_gap(gap, x, y + 20))  # a row below the TTFT, so labels never collide
    return out


def _gap(gap: Gap, x: _Scale, y: float) -> str:
    return _bracket("srt-gap", x(gap.start_s), x(gap.end_s), y, f"largest gap {ms(gap.seconds)}")


def _faults(tl: Timeline, x: _Scale) -> list[str]:
    out = []
    for mark in tl.faults:
        px = x(mark.at_s)
        left = px > (LEFT + WIDTH) / 2  # the label on the side with room
        out.append(
            f'<g class="srt-fault" data-frame="{mark.frame}"><title>fault: {escape(mark.label)} '
            f"(before frame {mark.frame}, {ms(mark.at_s)})</title>"
            f'<line x1="{px}" y1="{AXIS_Y + 4}" x2="{px}" y2="{CLIENT_Y + LANE_H / 2}"/>'
            f'<path d="M{px - 6} {AXIS_Y + 4}h12l-6 9z"/>'
            f'<text x="{px + (-8 if left else 8)}" y="{AXIS_Y + 13}" '
            f'text-anchor="{"end" if left else "start"}">{escape(mark.label)}</text></g>'
        )
    return out


def _ending(tl: Timeline, x: _Scale) -> list[str]:
    out = []
    if tl.ended_s is not None:
        px = x(tl.ended_s)
        out.append(
            f'<g class="srt-end srt-end-{escape(tl.outcome)}"><title>ends: {escape(tl.outcome)} at {ms(tl.ended_s)}</title>'
            f'<line x1="{px}" y1="{SERVER_Y - LANE_H / 2}" x2="{px}" y2="{SERVER_Y + LANE_H / 2}"/>'
            f'<text x="{px + 4}" y="{SERVER_Y - LANE_H / 2 - 2}">{escape(tl.outcome)}</text></g>'
        )
    if tl.closed_at_s is not None:
        px = x(tl.closed_at_s)
        where = "" if tl.closed_at_frame is None else f", before frame {tl.closed_at_frame}"
        out.append(
            f'<g class="srt-left"><title>the client left at {ms(tl.closed_at_s)}{where}</title>'
            f'<line x1="{px}" y1="{CLIENT_Y - LANE_H / 2}" x2="{px}" y2="{CLIENT_Y + LANE_H / 2}"/>'
            f'<text x="{px + 4}" y="{CLIENT_Y - LANE_H / 2 - 2}">client left</text></g>'
        )
    return out
