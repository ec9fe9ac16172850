"""The words around a timeline: its header, its measures, how it ended. Shared by text and HTML."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._model import Timeline

__all__ = ["ending_text", "header", "measures"]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def header(tl: Timeline) -> str:
    """`#3 POST /v1/messages  scenario=hello provider=anthropic attempt=1 status=200`."""
    parts = [tl.title + ("  (planned)" if tl.planned else "")]
    for name, value in (("scenario", tl.scenario), ("provider", tl.provider)):
        if value:
            parts.append(f"{name}={value}")
    parts.append(f"attempt={tl.attempt}")
    if tl.status:
        parts.append(f"status={tl.status}")
    parts.append(f"frames={len(tl.rows)} bytes={tl.bytes_sent}")
    return "  ".join(parts[:1]) + "  " + " ".join(parts[1:])


def measures(tl: Timeline) -> list[str]:
    """TTFT and the largest gap, on each lane that has them."""
    ttft = f"TTFT {ms(tl.ttft_s)} (server)"
    if tl.client_ttft_s is not None:
        ttft += f", {ms(tl.client_ttft_s)} (client)"
    lines = [ttft]
    for lane in ("server", "client"):
        gap = tl.largest_gap(lane)
        if gap is not None:
            lines.append(
                f"largest gap ({lane}) {ms(gap.seconds)}, frames {gap.after} to {gap.before}"
            )
    if tl.receipts:
        paired = sum(1 for r in tl.receipts if r.frame is not None)
        lines.append(f"client: {len(tl.receipts)} chunk(s) received, {paired} paired with frames")
    if tl.probe_note:
        lines.append(f"probe left out: {tl.probe_note}")
    return lines


def ending_text(tl: Timeline) -> str:
    """`ends: reset after frame 7 (sent at 364.9 ms); faults: reset after_events=8 (before frame 8)`."""
    text = "still playing" if tl.outcome == "pending" else f"ends: {tl.outcome}"
    if tl.rows:
        last = tl.rows[-1]
        text += f" after frame {last.index} ({'due' if tl.planned else 'sent'} at {ms(last.at_s)})"
    if tl.closed_at_s is not None:
        text += f"; the client left at {ms(tl.closed_at_s)}"
        if tl.closed_at_frame is not None:
            text += f", before frame {tl.closed_at_frame}"
    if tl.faults:
        text += "; faults: " + ", ".join(f"{m.label} (before frame {m.frame})" for m in tl.faults)
    return text
