"""A request's generation settings: what a Responses object echoes back. Typed, validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["RequestSettings", "SettingsTypeError"]


class SettingsTypeError(ValueError):
    """A setting of the wrong JSON type; the message is the one OpenAI sends."""


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The request's settings by their Responses API names; None: the request left it out."""

    instructions: str | tuple[Any, ...] | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_logprobs: int | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    tools: tuple[Mapping[str, Any], ...] = ()
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    reasoning: Mapping[str, Any] | None = None
    text: Mapping[str, Any] | None = None
    store: bool | None = None
    background: bool | None = None
    metadata: Mapping[str, Any] | None = None
    user: str | None = None
    truncation: str | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> RequestSettings:
        """The settings a request body gives; raises SettingsTypeError naming a mistyped one."""
        given: dict[str, Any] = {}
        for item in fields(cls):
            value = body.get(item.name)
            if value is None:
                continue
            kind = _KINDS[item.name]
            if not _is(value, kind):
                raise SettingsTypeError(
                    f"Invalid type for '{item.name}': expected {_NAMES[kind]}, "
                    f"but got {_json_type(value)} instead."
                )
            if kind is list:
                bad = next((i for i, tool in enumerate(value) if not isinstance(tool, dict)), None)
                if bad is not None:
                    raise SettingsTypeError(
                        f"Invalid type for '{item.name}[{bad}]': expected an object, "
                        f"but got {_json_type(value[bad])} instead."
                    )
                value = tuple(value)
            given[item.name] = value
        return cls(**given)


_KINDS: dict[str, Any] = {
    "instructions": (str, list),
    "max_output_tokens": int,
    "max_tool_calls": int,
    "temperature": float,
    "top_p": float,
    "top_logprobs": int,
    "tool_choice": (str, dict),
    "tools": list,
    "parallel_tool_calls": bool,
    "previous_response_id": str,
    "reasoning": dict,
    "text": dict,
    "store": bool,
    "background": bool,
    "metadata": dict,
    "user": str,
    "truncation": str,
    "service_tier": str,
    "prompt_cache_key": str,
    "safety_identifier": str,
}
_NAMES: dict[Any, str] = {
    (str, list): "a string or an array",
    int: "an integer",
    float: "a decimal",
    (str, dict): "a string or an object",
    list: "an array",
    bool: "a boolean",
    dict: "an object",
    str: "a string",
}


def _is(value: Any, kind: Any) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
