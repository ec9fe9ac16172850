"""Rules on a loaded scenario tree; each problem becomes a ScenarioError with file:line: key."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import ScenarioError
from ._bundled import bundled_path
from ._servable import servable_problems

if TYPE_CHECKING:  # imported when a schema check runs: it costs start-up time
    import jsonschema
    import yaml

__all__ = ["LineMap", "duplicate_keys", "problems", "schema"]

# Where each key or list item starts: a path of keys and indexes -> 1-based line.
LineMap = Mapping[tuple[str | int, ...], int]

_PART_KINDS = ("text", "thinking", "tool_call", "refusal")
_EVENT_KINDS = ("data", "wait_ms", "raw", "error")
_FAULT_KINDS = ("drop", "malformed", "error", "split", "drip", "ping")
_WHERE = ("after_events", "at_byte", "after_ms", "probability")
_ENDING_OR_POINT = ("drop", "malformed", "error")
_FAULT_KEYS = {*_FAULT_KINDS, *_WHERE, "seed", "stall_ms", "message"}


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (also shipped for editors as `schema.json`)."""
    from importlib import resources  # here: loading a scenario needs no schema file

    text = resources.files("streamrig.scenario").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # lazily: most loads are of bundled files, which skip the schema pass

    # An integer is written as one: `chunking: 1.0e+9` is a float, not a count.
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    extend: Callable[..., type[jsonschema.Draft202012Validator]] = jsonschema.validators.extend
    return extend(jsonschema.Draft202012Validator, type_checker=checker)(schema())


def _bundled(source: Path | str | None) -> bool:
    """Whether `source` is a file of the bundled library, which the test suite holds to the
    schema (tests/scenario/test_load.py), so loading it skips the schema pass."""
    if not isinstance(source, Path):
        return False
    return source.resolve().is_relative_to(_bundled_root())


@cache
def _bundled_root() -> Path:
    return bundled_path().resolve()


def problems(data: Any, lines: LineMap, source: Path | str | None) -> list[ScenarioError]:
    """Every problem in one scenario tree, in file order."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__ if data is not None else "an empty document"
        return [ScenarioError(f"a scenario is a mapping of keys, got {kind}", path=source, line=1)]
    kinds = list(_kind_problems(data, lines, source))
    semantic = [*kinds, *_semantic_problems(data, lines, source)]
    # An item with two kinds (text and thinking) trips both kinds' schemas; say it once.
    covered = {error.key for error in kinds if error.key}
    schema_problems = [] if _bundled(source) else _schema_problems(data, lines, source)
    found = [
        error
        for error in schema_problems
        if not any(error.key == key or (error.key or "").startswith(key + ".") for key in covered)
    ]
    found.extend(semantic)
    found.extend(_at(source, lines, path, problem) for path, problem in servable_problems(data))
    found.sort(key=lambda error: error.line or 0)
    return found


def duplicate_keys(node: yaml.Node | None, source: Path | str | None) -> list[ScenarioError]:
    """A key given twice in one mapping (YAML keeps only the last, silently), each a problem."""
    import yaml  # loaded already: `node` is what it parsed

    found: list[ScenarioError] = []

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                key, line = str(key_node.value), key_node.start_mark.line + 1
                if key in first and key != "<<":
                    found.append(
                        ScenarioError(
                            f"duplicate key (first on line {first[key]}); give each key once",
                            path=source,
                            line=line,
                            key=_key_text((*path, key)),
                        )
                    )
                first.setdefault(key, line)
                walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if node is not None:
        walk(node, ())
    return found


def _schema_problems(
    data: Any, lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    import difflib  # for the hints: a file with a problem is read once, a start-up always

    for error in _validator().iter_errors(data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                yield _at(
                    source,
                    lines,
                    (*path, key),
                    f"unknown key; {hint}allowed here: {', '.join(allowed)}",
                )
        elif path and path[-1] == "status" and error.validator in _STATUS_RULES:
            yield _at(source, lines, path, _status_problem(error.instance, path))
        elif error.validator == "oneOf" and path and path[-1] != "chunking" and error.context:
            # Report the branch that fits the value best, at its own depth.
            branch = _fitting_branch(error.context)
            where = (*path, *branch.relative_path)
            if where[-1] == "status" and branch.validator in _STATUS_RULES:
                yield _at(source, lines, where, _status_problem(branch.instance, where))
            else:
                yield _at(source, lines, where, _describe(branch))
        elif error.validator == "oneOf" and path and path[-1] == "chunking":
            yield _at(
                source,
                lines,
                path,
                f"expected words, chars, whole or a positive integer, got {error.instance!r}",
            )
        else:
            yield _at(source, lines, path, _describe(error))


_STATUS_RULES = ("anyOf", "minimum", "maximum")


def _status_problem(status: Any, path: tuple[Any, ...]) -> str:
    if path[0] == "attempts" and len(path) == 2:  # the shorthand {fail: N, status: S}
        return f"the failing tries need an error status from 300 to 599, got {status!r}"
    return f"an attempt answers 200 (the stream) or an error status from 300 to 599, got {status!r}"


def _fitting_branch(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """Of a oneOf's branch errors, the one from the branch whose type fits the value, deepest first."""
    fitting = [e for e in errors if not (e.validator == "type" and not e.relative_path)]
    if fitting:
        return max(fitting, key=lambda e: len(e.relative_path))
    wanted = " or ".join(
        _YAML_TYPES.get(str(e.validator_value), str(e.validator_value)) for e in errors
    )
    import jsonschema

    first = errors[0]
    return jsonschema.ValidationError(
        f"expected {wanted}, got {_type_name(first.instance)} {first.instance!r}", validator="oneOf"
    )


_YAML_TYPES = {
    "object": "mapping",
    "array": "list",
    "integer": "integer",
    "number": "number",
    "string": "string",
}


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "type":
        wanted: Any = error.validator_value
        names = [
            _YAML_TYPES.get(str(w), str(w))
            for w in (wanted if isinstance(wanted, list) else [wanted])
        ]
        wanted_text = " or ".join(names)
        return f"expected {wanted_text}, got {_type_name(error.instance)} {error.instance!r}"
    if error.validator == "enum":
        allowed: list[Any] = list(error.validator_value)  # type: ignore[arg-type]
        return f"{error.instance!r} is not one of: {', '.join(map(str, allowed))}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "pattern":
        return f"{error.instance!r} may use only letters, digits and _ . - /"
    return error.message


def _type_name(value: Any) -> str:
    names = {dict: "mapping", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _semantic_problems(
    data: Mapping[str, Any], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    turns = data.get("turns")
    if "turns" in data:
        yield from _turns_problems(data, lines, source)
    else:
        yield from _body_problems(data, (), lines, source)
    low_level = "events" in data or (
        isinstance(turns, list) and any(_has(t, "events") for t in turns)
    )
    if low_level and "provider" not in data:
        where = ("events",) if "events" in data else ("turns",)
        yield _at(
            source,
            lines,
            where,
            "low-level `events` need `provider`: anthropic, openai-chat or openai-responses",
        )
    regex = data.get("match", {}).get("regex") if isinstance(data.get("match"), Mapping) else None
    if isinstance(regex, str):
        try:
            re.compile(regex)
        except re.error as exc:
            yield _at(source, lines, ("match", "regex"), f"not a valid regular expression: {exc}")


def _has(item: Any, key: str) -> bool:
    return isinstance(item, Mapping) and key in item


def _turns_problems(
    data: Mapping[str, Any], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    """`turns:` replaces the scenario's own reply; each entry is a scenario body of its own."""
    for key in ("reply", "events", "stop", "stop_sequence", "usage"):
        if key in data:
            yield _at(
                source,
                lines,
                (key,),
                f"with `turns`, `{key}` goes in each turn (a scenario answers with its turns)",
            )
    turns = data.get("turns")
    if isinstance(turns, list) and not turns:
        yield _at(source, lines, ("turns",), "`turns` needs at least one turn")
    yield from _fault_problems(data.get("faults"), ("faults",), lines, source)
    yield from _attempt_problems(data.get("attempts"), (), lines, source)
    for index, turn in enumerate(turns if isinstance(turns, list) else ()):
        if isinstance(turn, Mapping):
            yield from _body_problems(turn, ("turns", index), lines, source)


def _body_problems(
    data: Mapping[str, Any], at: tuple[Any, ...], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    has_reply, has_events = "reply" in data, "events" in data
    if has_reply == has_events:
        what = "both" if has_reply else "neither"
        wanted = "`reply` or `events`" + ("" if at else " (or `turns`)")
        yield _at(source, lines, at, f"a scenario needs exactly one of {wanted}, this has {what}")
    yield from _fault_problems(data.get("faults"), (*at, "faults"), lines, source)
    yield from _attempt_problems(data.get("attempts"), at, lines, source)


def _attempt_problems(
    attempts: Any, at: tuple[Any, ...], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    if isinstance(attempts, list):
        for index, attempt in enumerate(attempts):
            if isinstance(attempt, Mapping):
                faults = attempt.get("faults")
                yield from _fault_problems(
                    faults, (*at, "attempts", index, "faults"), lines, source
                )


def _kind_problems(
    data: Mapping[str, Any], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    """Items of a list that must each be exactly one kind: reply parts, events, faults
    (in the scenario and in each of its turns)."""
    turns = data.get("turns")
    bodies: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    bodies += [(("turns", i), t) for i, t in enumerate(turns if isinstance(turns, list) else ())]
    for at, body in bodies:
        if not isinstance(body, Mapping):
            continue
        yield from _one_kind_each_at(body.get("reply"), (*at, "reply"), _PART_KINDS, lines, source)
        yield from _one_kind_each_at(
            body.get("events"), (*at, "events"), _EVENT_KINDS, lines, source
        )
        yield from _one_kind_each_at(
            body.get("faults"), (*at, "faults"), _FAULT_KINDS, lines, source
        )
        attempts = body.get("attempts")
        for index, attempt in enumerate(attempts if isinstance(attempts, list) else ()):
            if isinstance(attempt, Mapping):
                where = (*at, "attempts", index, "faults")
                yield from _one_kind_each_at(
                    attempt.get("faults"), where, _FAULT_KINDS, lines, source
                )


def _fault_problems(
    faults: Any, path: tuple[Any, ...], lines: LineMap, source: Path | str | None
) -> Iterator[ScenarioError]:
    if not isinstance(faults, list):
        return
    for index, fault in enumerate(faults):
        if not isinstance(fault, Mapping):
            continue
        places = [name for name in _WHERE if name in fault]
        if len(places) > 1:
            yield _at(
                source,
                lines,
                (*path, index),
                f"a fault strikes at one place; got {', '.join(places)}",
            )
        # A misspelt place (after_event) is reported as an unknown key, with a suggestion.
        typo = any(key not in _FAULT_KEYS for key in fault)
        if not places and not typo and any(kind in fault for kind in _ENDING_OR_POINT):
            yield _at(
                source, lines, (*path, index), f"say where it strikes: one of {', '.join(_WHERE)}"
            )
        if "stall_ms" in fault and fault.get("drop") != "stall":
            yield _at(source, lines, (*path, index, "stall_ms"), "stall_ms goes with `drop: stall`")
        split = fault.get("split")
        if isinstance(split, Mapping) and ("every" in split) == ("at" in split):
            yield _at(source, lines, (*path, index, "split"), "give exactly one of `every` or `at`")


def _one_kind_each_at(
    items: Any,
    path: tuple[Any, ...],
    kinds: Sequence[str],
    lines: LineMap,
    source: Path | str | None,
) -> Iterator[ScenarioError]:
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            yield _at(
                source, lines, (*path, index), f"expected a mapping with one of {', '.join(kinds)}"
            )
            continue
        present = [kind for kind in kinds if kind in item]
        if len(present) != 1:
            got = ", ".join(present) if present else ", ".join(map(str, item)) or "nothing"
            yield _at(
                source,
                lines,
                (*path, index),
                f"each item needs exactly one of {', '.join(kinds)}; got {got}",
            )


def _at(
    source: Path | str | None, lines: LineMap, path: tuple[Any, ...], message: str
) -> ScenarioError:
    return ScenarioError(message, path=source, line=_line_of(lines, path), key=_key_text(path))


def _line_of(lines: LineMap, path: tuple[Any, ...]) -> int | None:
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def _key_text(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
