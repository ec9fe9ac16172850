"""A scenario's bytes for one endpoint, encoded once and replayed by every request. Pure.

Encoding a reply (dicts, JSON, SSE framing) costs microseconds per event; a stream
of thousands of events would hold the event loop for tens of milliseconds on every
request. So each (scenario, endpoint, request facts) is encoded once into a
`Template`: the events' bytes joined, with a unique marker wherever the request's
own values go (each random id, the `created` time). A request draws its ids from
its own rng in the same order the encoder would have, and the markers are replaced
as the bytes are written. A template is checked once against a direct encoding
(bytes and rng state); a scenario whose encoder does not fit (a derived value, an
rng used otherwise) is encoded per request as before.
"""

from __future__ import annotations

import operator
import random
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, fields, replace

from ..providers import EncodeContext, IdMarkers, WireEvent, WireFormat, draw_id
from ..scenario import ErrorEventStep, EventStep, RawStep, Scenario, Timing, WaitStep
from ._timeline import Frames, Gaps, first_content, schedule

__all__ = ["Template", "clear_templates", "template_for", "timeline"]

_MAX_TEMPLATES = 256
_MAX_BYTES = 64 * 1024 * 1024
_MAX_SCHEDULES = 8


@dataclass(slots=True)
class Template:
    """A stream's frames, encoded once: joined bytes, frame ends, which frames are content."""

    body: bytes
    ends: list[int]
    content: list[bool]
    first: int
    waits: list[float] | None = None  # explicit waits before each frame (low-level steps)
    at_s: list[float] | None = None  # recorded times (cassettes): no gaps computed
    draws: tuple[tuple[str, int, bytes], ...] = ()  # (alphabet, length, marker) of each id
    created: bytes | None = None  # the marker standing for the request's `created` time
    schedules: dict[tuple[Timing, float], list[float]] = field(default_factory=dict)

    def fill(self, ctx: EncodeContext) -> list[tuple[bytes, bytes]]:
        """(marker, value) pairs for one request: its ids, drawn as the encoder draws them."""
        pairs = [
            (marker, draw_id(ctx.rng, alphabet, length).encode())
            for alphabet, length, marker in self.draws
        ]
        if self.created is not None:
            pairs.append((self.created, str(ctx.created).encode()))
        return pairs

    def times(self, timing: Timing, gaps: Gaps, speed: float) -> list[float]:
        if self.at_s is not None:
            return [0.0 if speed == 0 else at / speed for at in self.at_s]
        if not gaps.repeatable:
            return schedule(self.content, self.first, self.waits, gaps, speed)
        key = (timing, speed)
        times = self.schedules.get(key)
        if times is None:
            times = schedule(self.content, self.first, self.waits, gaps, speed)
            if len(self.schedules) >= _MAX_SCHEDULES:
                self.schedules.clear()
            self.schedules[key] = times
        return times


def timeline(
    scenario: Scenario, wire: WireFormat, ctx: EncodeContext, timing: Timing, speed: float
) -> Frames:
    """Every frame of the stream, in order, timed by `timing` and scaled by `speed` (0: no waits)."""
    gaps = Gaps(timing, ctx.chaos)  # drawn first, as always: random faults see the same rng
    template = template_for(scenario, wire, ctx)
    fill: Sequence[tuple[bytes, bytes]] = ()
    if template is None:  # an encoder that does not fit a template: encode for this request
        template = _reply_template(scenario, wire, ctx)
    else:
        fill = template.fill(ctx)
    return Frames(template.body, template.ends, template.times(timing, gaps, speed), fill)


def clear_templates() -> None:
    """Forget every encoded template (they are rebuilt on demand)."""
    with _LOCK:
        _CACHE.clear()
        _FITS.clear()


# key -> (scenario kept alive so its id is not reused, template or None: encode per request)
_CACHE: OrderedDict[Hashable, tuple[Scenario, Template | None]] = OrderedDict()
_LOCK = threading.Lock()


def template_for(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> Template | None:
    """The cached template for this request's scenario, endpoint and facts (built on a
    miss); None when the scenario must be encoded per request."""
    key = _key(scenario, wire, ctx)
    if key is None:
        return None
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit[1]
    template = _build(scenario, wire, ctx, key[:-1])
    with _LOCK:
        _CACHE[key] = (scenario, template)
        total = sum(len(t.body) for _, t in _CACHE.values() if t is not None)
        while len(_CACHE) > _MAX_TEMPLATES or (total > _MAX_BYTES and len(_CACHE) > 1):
            _, (_, dropped) = _CACHE.popitem(last=False)
            total -= len(dropped.body) if dropped is not None else 0
    return template


def _key(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> tuple[Hashable, ...] | None:
    """What the bytes depend on besides the request's ids and time; None: not cacheable.

    The last item is the input size the usage estimate reads; the rest says whether a
    template fits at all (checked once for them, whatever the input size).
    """
    if scenario.reply is None:
        if scenario.steps is not None and any(
            isinstance(s, ErrorEventStep) for s in scenario.steps
        ):
            return None  # the provider's error event may depend on the request
        return (id(scenario), wire.provider, ctx.framing, None)
    facts = _facts(ctx)
    key = (id(scenario), wire.provider, len(str(ctx.created)), facts, _tokens(ctx.input_chars))
    try:
        hash(key)
    except TypeError:
        return None
    return key


# The context's fields the bytes depend on: all but the per-request ones (read once).
_facts = operator.attrgetter(
    *(
        f.name
        for f in fields(EncodeContext)
        if f.name not in ("rng", "chaos", "created", "input_chars")
    )
)


def _tokens(input_chars: int) -> int:
    return max(1, input_chars // 4)  # what the usage estimate reads of the input's size


# key without the input size -> whether templates fit this scenario and endpoint
_FITS: dict[Hashable, bool] = {}


def _build(
    scenario: Scenario, wire: WireFormat, ctx: EncodeContext, kind: Hashable
) -> Template | None:
    if scenario.reply is None:
        return _reply_template(scenario, wire, ctx)
    created = _created_marker(ctx.created)
    if created is None or _FITS.get(kind) is False:
        return None
    markers = IdMarkers()
    template = _reply_template(scenario, wire, replace(ctx, rng=markers, created=created))
    template.draws = tuple((a, n, m.encode()) for a, n, m in markers.draws)
    template.created = str(created).encode()
    if kind not in _FITS:
        if len(_FITS) > 4 * _MAX_TEMPLATES:
            _FITS.clear()
        _FITS[kind] = _fits(template, scenario, wire, ctx)
    return template if _FITS[kind] else None


def _created_marker(created: int) -> int | None:
    """A random number with as many digits as `created` (so sizes hold); None if too short."""
    digits = len(str(created))
    if created < 0 or digits < 9:
        return None
    return random.Random().randrange(10 ** (digits - 1), 10**digits)


def _fits(template: Template, scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> bool:
    """Whether filling the template gives exactly what a direct encoding gives (and leaves
    the request's rng where the encoder would have: later draws, e.g. headers, match)."""
    seed = random.getrandbits(64)
    created = (
        ctx.created + 1 if len(str(ctx.created + 1)) == len(str(ctx.created)) else ctx.created - 1
    )
    probe = replace(ctx, rng=random.Random(seed), created=created, input_chars=ctx.input_chars ^ 1)
    direct = _reply_template(scenario, wire, probe)
    filled = replace(probe, rng=random.Random(seed))
    frames = Frames(template.body, template.ends, [], template.fill(filled))
    return (
        direct.ends == template.ends
        and direct.content == template.content
        and direct.first == template.first
        and frames.data(0, len(frames)) == direct.body
        and filled.rng.getstate() == probe.rng.getstate()
    )


def _reply_template(scenario: Scenario, wire: WireFormat, ctx: EncodeContext) -> Template:
    ending = scenario.line_endings.encode()
    if scenario.recording is not None:
        # As recorded: each event when it arrived, counted from the response headers.
        start = scenario.recording.headers_t
        recorded = scenario.recording.events
        template = _joined([e.data for e in recorded], [True] * len(recorded), 0)
        template.at_s = [max(0.0, e.t - start) for e in recorded]
        return template
    framing = ctx.framing
    if scenario.body is not None:
        pieces = framing.body(scenario.body)
        return _joined(pieces, [True] * len(pieces), 0)
    if scenario.steps is not None:
        return _steps_template(scenario, wire, ctx, ending)
    assert scenario.reply is not None
    events = wire.encode(scenario.reply, ctx)
    data = [_with_endings(framing.frame(e, i == 0), ending) for i, e in enumerate(events)]
    return _closed(_joined(data, [e.content for e in events], first_content(events)), ctx)


def _closed(template: Template, ctx: EncodeContext) -> Template:
    """The framing's closing bytes (a JSON array's `]`), if it has any, as a last frame."""
    close = ctx.framing.close()
    if not close:
        return template
    template.body += close
    template.ends.append(template.ends[-1] + len(close) if template.ends else len(close))
    template.content.append(False)
    if template.waits is not None:
        template.waits.append(0.0)
    return template


def _steps_template(
    scenario: Scenario, wire: WireFormat, ctx: EncodeContext, ending: bytes
) -> Template:
    data: list[bytes] = []
    waits: list[float] = []
    wait = 0.0
    for step in scenario.steps or ():
        if isinstance(step, WaitStep):
            wait += step.ms / 1000
            continue
        if isinstance(step, RawStep):
            piece = step.raw
        else:
            if isinstance(step, ErrorEventStep):
                event = wire.error_event(step.error_type, step.message, ctx)
            else:
                assert isinstance(step, EventStep)
                event = WireEvent(step.data, step.event)
            piece = _with_endings(ctx.framing.frame(event, not data), ending)
        data.append(piece)
        waits.append(wait)
        wait = 0.0
    template = _joined(data, [True] * len(data), 0)
    template.waits = waits
    return _closed(template, ctx)


def _joined(data: Sequence[bytes], content: list[bool], first: int) -> Template:
    ends: list[int] = []
    offset = 0
    for piece in data:
        offset += len(piece)
        ends.append(offset)
    return Template(b"".join(data), ends, content, first)


def _with_endings(data: bytes, ending: bytes) -> bytes:
    # "\n" (the default) keeps the provider's own endings (Gemini's are CRLF).
    return data if ending == b"\n" else data.replace(b"\r\n", b"\n").replace(b"\n", ending)
