"""Shapes: the same stream in other bytes. Pure functions of (scenario, provider, seed).

A shape keeps what a correct client accumulates and changes everything else a
client might wrongly depend on: where the writes are cut (inside an event,
between CR and LF, inside a UTF-8 character, several events in one write), the
line endings, keep-alives between events, and how finely text and tool JSON are
cut into deltas. The `sse` level adds what only the SSE specification allows:
several `data:` lines, `data:` without its space, a BOM, `id:` and `retry:`
fields, comments inside an event, the `event:` line after the data. What each
provider may vary is written, with sources, in docs/wire.md ("Stream shapes").
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
from dataclasses import dataclass

from ..scenario import Chunking, Provider, Scenario, Shape, ShapeLevel
from ._faults import Plan
from ._timeline import Frame, Step

__all__ = [
    "BOM",
    "WRITE_GAP_S",
    "ShapeChoices",
    "choices_of",
    "shape_plan",
    "shape_scenario",
    "shapes",
    "variant_seed",
]

BOM = b"\xef\xbb\xbf"
WRITE_GAP_S = 0.001  # a shape's writes go at least this far apart, at any speed
_GRANULARITIES: tuple[Chunking | int, ...] = (
    Chunking.WORDS,
    Chunking.CHARS,
    Chunking.WHOLE,
    1,
    2,
    3,
    5,
    8,
    13,
)
# What a provider (or the gateway in front of it) sends to keep a quiet stream alive.
_KEEPALIVE = {
    Provider.ANTHROPIC: (b'event: ping\ndata: {"type": "ping"}\n\n', b": keep-alive\n\n"),
    Provider.OPENAI_CHAT: (b": keep-alive\n\n", b": ping\n\n"),
    Provider.OPENAI_RESPONSES: (b": keep-alive\n\n", b": ping\n\n"),
    # Gemini sends none, and google-genai reads any line but `data: ` as raw JSON.
    Provider.GEMINI: (),
}
_LINE = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ShapeChoices:
    """What one shape does, drawn once from its seed; shown by `streamrig show --shape`."""

    chunking: Chunking | int
    line_ending: bytes
    keepalive_rate: float  # chance of a keep-alive between two events
    merge_rate: float  # chance that two writes become one
    max_cuts: int  # up to this many extra cuts inside each write
    cut_utf8: bool  # cut inside a multi-byte character where there is one
    cut_crlf: bool  # cut between CR and LF where there is one
    # The `sse` level only:
    bom: bool = False
    no_space: bool = False  # `data:{...}` instead of `data: {...}`
    data_lines: float = 0.0  # chance an event's JSON is spread over several `data:` lines
    ids: bool = False  # an `id:` field on every event
    retry: bool = False  # a `retry:` field on the first event
    inner_comments: float = 0.0  # chance of a comment line inside an event
    event_last: bool = False  # the `event:` line after the `data:` lines

    def describe(self) -> str:
        """One line: the choices that differ from the provider's plain bytes."""
        parts = [
            f"chunking={getattr(self.chunking, 'value', self.chunking)}",
            f"endings={self.line_ending!r}",
            f"keepalives={self.keepalive_rate:.2f}",
            f"merge={self.merge_rate:.2f}",
            f"cuts<={self.max_cuts}",
        ]
        parts += [name for name in ("cut_utf8", "cut_crlf") if getattr(self, name)]
        parts += [
            name
            for name in ("bom", "no_space", "ids", "retry", "event_last")
            if getattr(self, name)
        ]
        parts += [
            f"{name}={getattr(self, name):.2f}"
            for name in ("data_lines", "inner_comments")
            if getattr(self, name)
        ]
        return " ".join(parts)


def variant_seed(seed: int, index: int) -> int:
    """The seed of variant `index` of `shapes(..., seed=seed)`: the variant repeats from it alone."""
    return random.Random(f"streamrig-shapes:{seed}:{index}").getrandbits(32)


def shapes(
    scenario: Scenario, n: int = 10, seed: int = 0, level: ShapeLevel | str = "realistic"
) -> list[Scenario]:
    """`n` variants of `scenario` that accumulate to the same result in different bytes.

    Variant k is named `NAME@shape-k` and carries `Shape(variant_seed(seed, k), level, k)`;
    the server plays it like any scenario (faults and attempts included).
    """
    chosen = ShapeLevel(level)
    return [
        dataclasses.replace(
            scenario,
            name=f"{scenario.name}@shape-{k}",
            shape=Shape(variant_seed(seed, k), chosen, k),
        )
        for k in range(n)
    ]


def choices_of(shape: Shape) -> ShapeChoices:
    """Everything a shape varies, drawn from its seed and level alone."""
    rng = random.Random(f"streamrig-shape:{shape.seed}")
    sse = shape.level is ShapeLevel.SSE
    endings = [b"\n", b"\r\n", b"\r"] if sse else [b"\n", b"\r\n"]
    base = ShapeChoices(
        chunking=rng.choice(_GRANULARITIES),
        line_ending=rng.choice(endings),
        keepalive_rate=rng.choice((0.0, 0.1, 0.3, 0.6)),
        merge_rate=rng.choice((0.0, 0.2, 0.5, 0.9)),
        max_cuts=rng.choice((0, 1, 2, 4)),
        cut_utf8=rng.random() < 0.6,
        cut_crlf=rng.random() < 0.6,
    )
    if not sse:
        return base
    return dataclasses.replace(
        base,
        bom=rng.random() < 0.4,
        no_space=rng.random() < 0.5,
        data_lines=rng.choice((0.0, 0.3, 1.0)),
        ids=rng.random() < 0.5,
        retry=rng.random() < 0.4,
        inner_comments=rng.choice((0.0, 0.2, 0.5)),
        event_last=rng.random() < 0.3,
    )


def shape_scenario(scenario: Scenario) -> Scenario:
    """Before encoding: the shape's delta granularity (a provider-neutral reply only)."""
    if scenario.shape is None or scenario.reply is None:
        return scenario
    chunking = choices_of(scenario.shape).chunking
    return dataclasses.replace(
        scenario, reply=dataclasses.replace(scenario.reply, chunking=chunking)
    )


def shape_plan(plan: Plan, shape: Shape | None, provider: Provider) -> Plan:
    """After the faults: every event re-written and every write re-cut as the shape says."""
    if shape is None:
        return plan
    choices = choices_of(shape)
    rng = random.Random(f"streamrig-shape-bytes:{shape.seed}:{provider.value}")
    steps = _rewritten(list(plan.steps), choices, rng, provider)
    return dataclasses.replace(plan, steps=_recut(steps, choices, rng))


def _rewritten(
    steps: list[Step], choices: ShapeChoices, rng: random.Random, provider: Provider
) -> list[Step]:
    """Each whole event in the shape's syntax, keep-alives between events, a BOM first."""
    out: list[Step] = []
    events = 0
    first = next((i for i, s in enumerate(steps) if isinstance(s, Frame)), None)
    last = max((i for i, s in enumerate(steps) if isinstance(s, Frame)), default=None)
    for index, step in enumerate(steps):
        if not isinstance(step, Frame):
            out.append(step)
            continue
        data = _event_bytes(step.data, choices, rng, events)
        whole = data is not None
        if data is None:
            data = step.data  # not one whole event (a fault's raw bytes): kept as it is
        else:
            events += 1
        if index == first and choices.bom:
            data = BOM + data
        out.append(dataclasses.replace(step, data=data))
        # Only between whole events, and never before the first (Anthropic's SDK refuses
        # a ping before message_start) nor after the last.
        keepalive = _KEEPALIVE[provider] and rng.random() < choices.keepalive_rate
        if whole and index != last and keepalive:
            out.append(Frame(step.at_s, _keepalive(provider, choices, rng), step.event))
    return out


def _keepalive(provider: Provider, choices: ShapeChoices, rng: random.Random) -> bytes:
    options = _KEEPALIVE[provider]
    data = options[0] if rng.random() < 0.7 else options[1]
    return _LINE.sub(choices.line_ending, data)


def _event_bytes(
    data: bytes, choices: ShapeChoices, rng: random.Random, number: int
) -> bytes | None:
    """One event re-written in the shape's syntax; None if `data` is not exactly one event."""
    fields = _parse_event(data)
    if fields is None:
        return None
    lines: list[tuple[str, str]] = []
    for name, value in fields:
        if name == "data" and rng.random() < choices.data_lines:
            lines += [("data", piece) for piece in _json_lines(value, rng)]
        else:
            lines.append((name, value))
    if choices.event_last:
        lines = [f for f in lines if f[0] != "event"] + [f for f in lines if f[0] == "event"]
    if choices.retry and number == 0:
        lines.insert(rng.randrange(len(lines) + 1), ("retry", "3000"))
    if choices.ids:
        lines.insert(rng.randrange(len(lines) + 1), ("id", str(number + 1)))
    if rng.random() < choices.inner_comments:
        lines.insert(rng.randrange(len(lines) + 1), ("", " streamrig"))
    sep = ":" if choices.no_space else ": "
    text = "".join(
        (f":{value}" if name == "" else f"{name}{sep}{value}") + "\n" for name, value in lines
    )
    return (text + "\n").encode("utf-8").replace(b"\n", choices.line_ending)


def _parse_event(data: bytes) -> list[tuple[str, str]] | None:
    """The fields of exactly one event ending in a blank line; comments kept as ("", text)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = re.split(r"\r\n|\r|\n", text)
    if len(lines) < 3 or lines[-2:] != ["", ""] or "" in lines[:-2]:
        return None
    fields: list[tuple[str, str]] = []
    for line in lines[:-2]:
        name, colon, value = line.partition(":")
        if not colon or name not in ("", "event", "data", "id", "retry"):
            return None
        if name and value.startswith(" "):
            value = value[1:]
        elif name and value[:1].isspace():
            return None  # a value that starts with whitespace would change meaning
        fields.append((name, value))
    if not any(name == "data" for name, _ in fields):
        return None
    return fields


def _json_lines(value: str, rng: random.Random) -> list[str]:
    """JSON spread over lines at token boundaries (the newline joining them is JSON whitespace)."""
    try:
        json.loads(value)
    except ValueError:
        return [value]
    spots = _token_ends(value)
    if not spots:
        return [value]
    cuts = sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))))
    return [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)])]


def _token_ends(text: str) -> list[int]:
    """Offsets just after a `{`, `[`, `,` or `:` outside strings."""
    spots: list[int] = []
    in_string = escaped = False
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[,:" and i + 1 < len(text):
            spots.append(i + 1)
    return spots


def _recut(steps: list[Step], choices: ShapeChoices, rng: random.Random) -> list[Step]:
    """Each run of writes between holds cut again; a piece goes out when its last byte was due."""
    out: list[Step] = []
    run: list[Frame] = []
    for step in steps:
        if isinstance(step, Frame):
            run.append(step)
            continue
        out += _recut_run(run, choices, rng)
        run = []
        out.append(step)
    out += _recut_run(run, choices, rng)
    return out


def _recut_run(run: list[Frame], choices: ShapeChoices, rng: random.Random) -> list[Step]:
    if not run:
        return []
    body = b"".join(frame.data for frame in run)
    owner: list[int] = []  # the frame each byte came from
    cuts: set[int] = set()
    offset = 0
    for number, frame in enumerate(run):
        size = len(frame.data)
        owner += [number] * size
        if size > 1:
            cuts.update(
                offset + rng.randrange(1, size) for _ in range(rng.randint(0, choices.max_cuts))
            )
        offset += size
        if offset < len(body) and rng.random() >= choices.merge_rate:
            cuts.add(offset)
    cuts |= _awkward_cuts(body, choices, rng)
    edges = [0, *sorted(c for c in cuts if 0 < c < len(body)), len(body)]
    pieces: list[Step] = []
    at_s = -WRITE_GAP_S
    for start, end in itertools.pairwise(edges):
        last = run[owner[end - 1]]
        # Apart in time too, or the client's read would join them again.
        at_s = max(last.at_s, at_s + WRITE_GAP_S)
        pieces.append(Frame(at_s, body[start:end], last.event))
    return pieces


def _awkward_cuts(body: bytes, choices: ShapeChoices, rng: random.Random) -> set[int]:
    """A cut inside one multi-byte UTF-8 character and one between a CR and its LF, if asked."""
    cuts: set[int] = set()
    if choices.cut_utf8:
        inside = [i for i, byte in enumerate(body) if 0x80 <= byte < 0xC0]
        cuts.update(rng.sample(inside, min(len(inside), 3)))
    if choices.cut_crlf:
        between = [m.start() + 1 for m in re.finditer(rb"\r\n", body)]
        cuts.update(rng.sample(between, min(len(between), 3)))
    return cuts
