"""Bounded loading: whatever a scenario file holds, reading it costs little and never crashes.

The YAML is composed here without recursion, so a recursive alias, an alias
bomb or a deeply nested document is a `file:line` problem before anything
expands it. Dates stay strings (a scenario never wants one), an integer too
long to convert or a bad `!!timestamp` is a problem at its line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import yaml

from .._errors import ScenarioError
from ._decode import decode_text

__all__ = [
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_DOCUMENT_CHARS",
    "compose_bounded",
    "construct_bounded",
    "decode_text",
]

MAX_DOCUMENT_CHARS = 64 * 1024 * 1024  # a large recorded cassette stays well below
MAX_DEPTH = 64  # levels of nesting
MAX_ALIAS_EXPANSION = 100_000  # values that aliases add beyond those written


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:  # libyaml's parser when PyYAML has it (several times faster), the pure-Python one else
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """The safe loader, with no implicit dates, and every value's failure at its line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except _AtLine:
            raise
        except (ValueError, OverflowError, yaml.YAMLError) as error:
            problem = getattr(error, "problem", None) or str(error)
            if "integer string conversion" in problem:
                problem = "an integer of more than 4,300 digits"
            raise _AtLine(f"cannot read this value: {problem}", node.start_mark.line + 1) from None


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _AtLine(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _error(message: str, source: Any, line: int | None) -> ScenarioError:
    return ScenarioError(message, path=source, line=line)


def compose_bounded(text: str, source: Any) -> yaml.Node | None:
    """The node graph of one YAML document, built without recursion and within the limits."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _error(
            f"the document is {len(text):,} characters; at most {MAX_DOCUMENT_CHARS:,} are read",
            source,
            None,
        )
    try:
        loader = _Loader(text)
    except UnicodeEncodeError as error:  # libyaml reads UTF-8: a lone surrogate cannot be
        line = text.count("\n", 0, error.start) + 1
        raise _error(
            f"a lone surrogate ({text[error.start]!r}) is not a character", source, line
        ) from None
    except yaml.YAMLError as error:  # the reader: a character YAML does not allow
        raise _error(f"not valid YAML: {error}", source, _reader_line(error, text)) from None
    try:
        return _compose(loader, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise _error(
            f"not valid YAML: {problem}", source, mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as error:  # the reader: a character YAML does not allow
        raise _error(f"not valid YAML: {error}", source, _reader_line(error, text)) from None
    finally:
        loader.dispose()


def construct_bounded(node: yaml.Node | None, source: Any) -> Any:
    """The Python value of a node graph from `compose_bounded`."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except _AtLine as error:
        raise _error(str(error), source, error.line) from None
    except yaml.MarkedYAMLError as error:  # a list or mapping as a key, an unknown tag
        mark = error.problem_mark or error.context_mark
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise _error(
            f"not valid YAML: {problem}", source, mark.line + 1 if mark else None
        ) from None
    finally:
        loader.dispose()


def _reader_line(error: yaml.YAMLError, text: str) -> int | None:
    position = getattr(error, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _mark(mark: Any) -> yaml.Mark | None:
    return cast("yaml.Mark | None", mark)


def _resolve(loader: _Loader, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
    resolve: Callable[[type[yaml.Node], Any, Any], str] = loader.resolve  # untyped in the stubs
    return resolve(kind, value, implicit)


def _compose(loader: _Loader, source: Any) -> yaml.Node | None:
    """PyYAML's composer, as a loop: tracks depth, anchors still open, and expanded size."""
    anchors: dict[str, yaml.Node] = {}
    sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
    open_nodes: list[
        tuple[yaml.SequenceNode | yaml.MappingNode, list[Any]]
    ] = []  # (collection, its children so far)
    expanded = 0
    root: yaml.Node | None = None
    next_event: Callable[[], yaml.Event] = loader.get_event  # untyped in the stubs
    while loader.check_event():
        event = next_event()
        line = event.start_mark.line + 1 if event.start_mark else None
        node: yaml.Node | None = None
        if isinstance(event, yaml.DocumentStartEvent) and root is not None:
            raise _error("expected one document, found more (a second `---`)", source, line)
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise _error(f"alias *{event.anchor} names no anchor before it", source, line)
            node = anchors[event.anchor]
            if any(node is parent for parent, _ in open_nodes):
                raise _error(
                    f"alias *{event.anchor} is recursive: it names a value it is in", source, line
                )
            expanded += sizes[id(node)]
            if expanded > MAX_ALIAS_EXPANSION:
                raise _error(
                    f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} values (an alias bomb?)",
                    source,
                    line,
                )
        elif isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(loader, yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(
                tag, event.value, _mark(event.start_mark), _mark(event.end_mark), style=event.style
            )
            sizes[id(node)] = 1
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(open_nodes) >= MAX_DEPTH:
                raise _error(f"the document nests deeper than {MAX_DEPTH} levels", source, line)
            kind = (
                yaml.SequenceNode
                if isinstance(event, yaml.SequenceStartEvent)
                else yaml.MappingNode
            )
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(loader, kind, None, event.implicit)
            collection: yaml.SequenceNode | yaml.MappingNode = kind(
                tag, [], _mark(event.start_mark), None, flow_style=event.flow_style
            )
            if event.anchor is not None:
                anchors[event.anchor] = collection
            open_nodes.append((collection, []))
            continue
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            collection, children = open_nodes.pop()
            collection.end_mark = _mark(event.end_mark)
            if isinstance(collection, yaml.MappingNode):
                collection.value = list(zip(children[::2], children[1::2]))
            else:
                collection.value = children
            sizes[id(collection)] = 1 + sum(sizes[id(child)] for child in children)
            node = collection
        else:
            continue
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            anchors[event.anchor] = node
        if open_nodes:
            open_nodes[-1][1].append(node)
        elif root is None:
            root = node
        else:
            raise _error("expected one document, found more", source, line)
    return root
