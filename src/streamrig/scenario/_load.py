"""Scenario files in: YAML (provider-neutral or low-level) and raw `.sse` captures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import ScenarioError
from ._decode import decode_text
from ._model import (
    STOP_ALIASES,
    Attempt,
    Chunking,
    Citation,
    ErrorEventStep,
    EventStep,
    Fault,
    FaultKind,
    Match,
    Part,
    Provider,
    RawStep,
    RefusalPart,
    Reply,
    Scenario,
    Step,
    StopReason,
    TextPart,
    ThinkingPart,
    Timing,
    ToolCallPart,
    ToolResultRule,
    Usage,
    WaitStep,
)
from ._parsed import parsed_before
from ._validate import LineMap, duplicate_keys, problems

if TYPE_CHECKING:  # loaded with the first text to parse (the bundled library needs none)
    import yaml

__all__ = [
    "SCENARIO_SUFFIXES",
    "LoadReport",
    "fault_from_mapping",
    "infer_provider",
    "load_scenarios",
    "scenario_from_mapping",
    "scenario_from_sse",
    "scenario_from_text",
    "scenarios_from_text",
]

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json", ".sse")

T = TypeVar("T")


@dataclass
class LoadReport:
    """What loading a set of paths gave: the scenarios, and every problem met."""

    scenarios: list[Scenario] = field(default_factory=list)
    errors: list[ScenarioError] = field(default_factory=list)


def load_scenarios(paths: Iterable[str | Path]) -> LoadReport:
    """Load scenario files and folders (recursively); a bad file is reported, not fatal."""
    report = LoadReport()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file()
            )
            for file in files:
                _load_into(
                    report, file, default_name=file.relative_to(path).with_suffix("").as_posix()
                )
        elif path.is_file():
            _load_into(report, path, default_name=path.stem)
        else:
            report.errors.append(ScenarioError("no such file or folder", path=path))
    return report


def _load_into(report: LoadReport, path: Path, default_name: str) -> None:
    try:
        if path.suffix == ".sse":
            report.scenarios.append(scenario_from_sse(path.read_bytes(), default_name, source=path))
        else:
            text = decode_text(path.read_bytes(), path)
            report.scenarios.extend(scenarios_from_text(text, default_name, source=path))
    except ScenarioError as error:
        report.errors.extend(error.problems)
    except (OSError, UnicodeDecodeError) as error:
        report.errors.append(ScenarioError(f"cannot read: {error}", path=path))


def scenarios_from_text(
    text: str, default_name: str, source: Path | str | None = None
) -> list[Scenario]:
    """The scenarios of a YAML text: one, or one per interaction of a cassette."""
    data, lines, duplicates = _parse_yaml(text, source)
    if is_cassette(data):
        from ._cassette import scenarios_from_cassette  # loaded with the first cassette

        return _reporting(
            duplicates, lambda: scenarios_from_cassette(data, default_name, source, lines)
        )
    return _reporting(
        duplicates, lambda: [scenario_from_mapping(data, default_name, source=source, lines=lines)]
    )


def is_cassette(data: Any) -> bool:
    """Whether parsed YAML is a vcrpy-shaped cassette."""
    return isinstance(data, Mapping) and "interactions" in data


def scenario_from_text(text: str, default_name: str, source: Path | str | None = None) -> Scenario:
    """A scenario from YAML (or JSON) text; errors carry file:line: key."""
    data, lines, duplicates = _parse_yaml(text, source)
    (scenario,) = _reporting(
        duplicates, lambda: [scenario_from_mapping(data, default_name, source=source, lines=lines)]
    )
    return scenario


def _reporting(duplicates: list[ScenarioError], build: Callable[[], list[T]]) -> list[T]:
    """What `build` makes, unless it or the text's duplicate keys have problems: all are raised."""
    try:
        built = build()
    except ScenarioError as error:
        if not duplicates:
            raise
        found = sorted([*duplicates, *error.problems], key=lambda p: p.line or 0)
        raise ScenarioError.combine(found) from None
    if duplicates:
        raise ScenarioError.combine(duplicates)
    return built


def scenario_from_mapping(
    data: Any,
    default_name: str = "scenario",
    *,
    source: Path | str | None = None,
    lines: LineMap | None = None,
) -> Scenario:
    """A scenario from an already-parsed mapping (a dict in Python, a JSON body)."""
    found = problems(data, lines or {}, source)
    if found:
        raise ScenarioError.combine(found)
    return _build(data, default_name, Path(source) if source is not None else None)


def _parse_yaml(
    text: str, source: Path | str | None
) -> tuple[Any, dict[tuple[str | int, ...], int], list[ScenarioError]]:
    known = parsed_before(text)  # a text of the bundled library: parsed when it was written
    if known is not None:
        data, lines = known
        return data, lines, []
    return parse_yaml_text(text, source)


def parse_yaml_text(
    text: str, source: Path | str | None
) -> tuple[Any, dict[tuple[str | int, ...], int], list[ScenarioError]]:
    """A text's data, the line of each key, and its duplicate keys: parsed as YAML."""
    from ._limits import compose_bounded, construct_bounded

    node = compose_bounded(text, source)  # bounded cost: depth, aliases, size
    data = construct_bounded(node, source)
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _map_lines(node, (), lines)
    return data, lines, duplicate_keys(node, source)


def _map_lines(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _map_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, (*path, index), lines)


def _build(data: Mapping[str, Any], default_name: str, source: Path | None) -> Scenario:
    match = data.get("match")
    provider = data.get("provider")
    steps = tuple(_step(item) for item in data["events"]) if "events" in data else None
    return Scenario(
        name=data.get("name", default_name),
        reply=_reply(data) if "reply" in data else None,
        steps=steps,
        provider=Provider(provider) if provider else None,
        model=data.get("model"),
        match=_match(match) if match else None,
        description=data.get("description", ""),
        source=source,
        timing=_timing(data.get("timing")) or Timing(),
        faults=_faults(data.get("faults")),
        attempts=_attempts(data.get("attempts")),
        speed=float(data.get("speed", 1.0)),
        line_endings=_LINE_ENDINGS[data.get("line_endings", "lf")],
        turns=tuple(_turn(item, data, default_name, source) for item in data.get("turns", ())),
    )


def _turn(
    item: Mapping[str, Any], parent: Mapping[str, Any], name: str, source: Path | None
) -> Scenario:
    """One turn's body; the scenario's own keys fill in what it leaves out (see `for_turn`)."""
    inherited = {k: parent[k] for k in ("chunking", "provider") if k in parent and k not in item}
    return _build({**inherited, **item}, parent.get("name", name), source)


def _match(data: Mapping[str, Any]) -> Match:
    rule = data.get("tool_result")
    if isinstance(rule, str):
        rule = {"name": rule}
    return Match(
        **{k: v for k, v in data.items() if k != "tool_result"},
        tool_result=ToolResultRule(**rule) if rule else None,
    )


_LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def _timing(data: Mapping[str, Any] | None) -> Timing | None:
    return None if data is None else Timing(**data)


def _faults(items: Iterable[Mapping[str, Any]] | None) -> tuple[Fault, ...]:
    return tuple(fault_from_mapping(item) for item in items or ())


def fault_from_mapping(item: Mapping[str, Any]) -> Fault:
    """A fault from its YAML form, e.g. `{after_events: 5, drop: reset}`."""
    where = {
        k: item[k]
        for k in ("after_events", "at_byte", "after_ms", "probability", "seed")
        if k in item
    }
    if "drop" in item:
        return Fault(FaultKind(item["drop"]), stall_ms=item.get("stall_ms"), **where)
    if "malformed" in item:
        raw = item["malformed"]
        return Fault(
            FaultKind.MALFORMED, raw=raw.encode("utf-8") if isinstance(raw, str) else None, **where
        )
    if "error" in item:
        return Fault(
            FaultKind.ERROR, error_type=item["error"], message=item.get("message"), **where
        )
    if "split" in item:
        split = item["split"]
        return Fault(
            FaultKind.SPLIT,
            split_every=split.get("every"),
            split_at=tuple(split.get("at", ())),
            gap_ms=float(split.get("gap_ms", 0)),
            **where,
        )
    if "drip" in item:
        return Fault(FaultKind.DRIP, bytes_per_s=float(item["drip"]), **where)
    ping = item["ping"]
    if isinstance(ping, Mapping):
        return Fault(FaultKind.PING, every_ms=float(ping["every_ms"]), **where)
    return Fault(FaultKind.PING, count=int(ping), **where)


def _attempts(data: Any) -> tuple[Attempt, ...]:
    if data is None:
        return ()
    if isinstance(data, Mapping):  # shorthand: fail the first N, then play
        failing = _attempt(
            {k: v for k, v in data.items() if k != "fail"} | {"status": data.get("status", 529)}
        )
        return (*([failing] * int(data["fail"])), Attempt())
    return tuple(_attempt(item) for item in data)


def _attempt(item: Mapping[str, Any]) -> Attempt:
    faults = item.get("faults")
    return Attempt(
        status=int(item.get("status", 200)),
        headers={str(k): str(v) for k, v in (item.get("headers") or {}).items()},
        error_type=item.get("error"),
        message=item.get("message"),
        faults=_faults(faults) if faults is not None else None,
        timing=_timing(item.get("timing")),
    )


def _reply(data: Mapping[str, Any]) -> Reply:
    stop = data.get("stop")
    chunking = data.get("chunking")
    return Reply(
        parts=tuple(_part(item) for item in data["reply"]),
        stop=(STOP_ALIASES.get(stop) or StopReason(stop)) if stop else None,
        stop_sequence=data.get("stop_sequence"),
        usage=Usage(**data.get("usage", {})),
        chunking=chunking if chunking is None or isinstance(chunking, int) else Chunking(chunking),
    )


def _part(item: Mapping[str, Any]) -> Part:
    if "text" in item:
        return TextPart(item["text"], tuple(Citation(**c) for c in item.get("citations", ())))
    if "thinking" in item:
        return ThinkingPart(item["thinking"], item.get("signature"))
    if "tool_call" in item:
        call = item["tool_call"]
        return ToolCallPart(call["name"], call.get("input", {}), call.get("id"))
    return RefusalPart(item["refusal"], item.get("category"))


def _step(item: Mapping[str, Any]) -> Step:
    if "data" in item:
        return EventStep(item["data"], item.get("event"))
    if "wait_ms" in item:
        return WaitStep(float(item["wait_ms"]))
    if "raw" in item:
        return RawStep(item["raw"].encode("utf-8"))
    return ErrorEventStep(item["error"], item.get("message"))


def scenario_from_sse(body: bytes, name: str, source: Path | str | None = None) -> Scenario:
    """A raw SSE capture as a scenario that replays byte for byte."""
    provider = infer_provider(body)
    if provider is None:
        raise ScenarioError(
            "cannot tell which provider this SSE body is from: expected an Anthropic "
            "`message_start`, a Responses `response.created`, a `chat.completion.chunk` or Gemini "
            "`candidates`",
            path=source,
            line=1,
        )
    return Scenario(
        name=name, body=body, provider=provider, source=Path(source) if source else None
    )


def infer_provider(body: bytes) -> Provider | None:
    """Which wire format a captured SSE body is in, from its first events."""
    head = body[:4096]
    if b"event: message_start" in head or b'"type":"message_start"' in head:
        return Provider.ANTHROPIC
    if b"response.created" in head or b'"type":"response.' in head:
        return Provider.OPENAI_RESPONSES
    if b"chat.completion.chunk" in head:
        return Provider.OPENAI_CHAT
    if b'"candidates"' in head:
        return Provider.GEMINI
    return None
