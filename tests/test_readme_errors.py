"""What the README says the Python SDKs raise is what the installed SDKs raise.

Each case runs a fault against one SDK call and checks the exact exception class; the
README's row for that fault must name it (`module.Name`, as a user would catch it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from streamrig import MockServer

README = Path(__file__).resolve().parents[1] / "README.md"
MESSAGES = [{"role": "user", "content": "x"}]
STALL_TIMEOUT_S = 0.5  # the client's read timeout, for the stall (10 s for the rest)


def anthropic_stream(a: Any, o: Any) -> Any:
    with a.messages.stream(model="m", max_tokens=9, messages=MESSAGES) as stream:
        return stream.get_final_message()


def anthropic_create(a: Any, o: Any) -> Any:
    return list(a.messages.create(model="m", max_tokens=9, stream=True, messages=MESSAGES))


def chat_create(a: Any, o: Any) -> Any:
    return list(o.chat.completions.create(model="m", stream=True, messages=MESSAGES))


def chat_stream(a: Any, o: Any) -> Any:
    with o.chat.completions.stream(model="m", messages=MESSAGES) as stream:
        return stream.get_final_completion()


def responses_create(a: Any, o: Any) -> Any:
    return list(o.responses.create(model="m", input="x", stream=True))


def responses_stream(a: Any, o: Any) -> Any:
    with o.responses.stream(model="m", input="x") as stream:
        return stream.get_final_response()


RESET = {"after_events": 3, "drop": "reset"}
TRUNCATE = {"after_events": 3, "drop": "truncate"}
STALL = {"after_events": 3, "drop": "stall"}
MALFORMED = {"after_events": 3, "malformed": True}
ERROR = {"after_events": 3, "error": "overloaded_error"}

Call = Callable[[Any, Any], Any]
# (README row, fault, SDK call, the class raised; None: nothing raised)
CASES: list[tuple[str, dict[str, Any], Call, str | None]] = [
    ("drop: reset", RESET, anthropic_stream, "httpx2.RemoteProtocolError"),
    ("drop: reset", RESET, anthropic_create, "httpx2.RemoteProtocolError"),
    ("drop: reset", RESET, chat_create, "openai.APIConnectionError"),
    ("drop: reset", RESET, responses_stream, "openai.APIConnectionError"),
    ("drop: truncate", TRUNCATE, anthropic_stream, None),
    ("drop: truncate", TRUNCATE, anthropic_create, None),
    ("drop: truncate", TRUNCATE, chat_create, None),
    ("drop: truncate", TRUNCATE, responses_create, None),
    ("drop: truncate", TRUNCATE, responses_stream, "RuntimeError"),
    ("drop: stall", STALL, anthropic_stream, "httpx2.ReadTimeout"),
    ("drop: stall", STALL, chat_stream, "openai.APITimeoutError"),
    ("drop: stall", STALL, responses_create, "openai.APITimeoutError"),
    ("malformed: true", MALFORMED, anthropic_stream, "json.JSONDecodeError"),
    ("malformed: true", MALFORMED, chat_create, "json.JSONDecodeError"),
    ("malformed: true", MALFORMED, responses_stream, "json.JSONDecodeError"),
    ("error: TYPE", ERROR, anthropic_stream, "anthropic.APIStatusError"),
    ("error: TYPE", ERROR, chat_create, "openai.APIError"),
    ("error: TYPE", ERROR, chat_stream, "openai.APIError"),
    ("error: TYPE", ERROR, responses_stream, "RuntimeError"),
    ("error: TYPE", ERROR, responses_create, None),
]


@pytest.fixture(scope="module")
def clients():
    with MockServer(speed=0) as server:
        with (
            anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0, timeout=10) as a,
            openai.OpenAI(
                base_url=server.openai_base_url, api_key="k", max_retries=0, timeout=10
            ) as o,
        ):
            yield server, a, o


def exception_class(name: str) -> type[BaseException]:
    module, _, attribute = name.rpartition(".")
    found: type[BaseException] = getattr(importlib.import_module(module or "builtins"), attribute)
    return found


def fault_row(key: str) -> str:
    # The first table with the row: the Faults section's (the Gemini section has its own)
    rows = [line for line in README.read_text().splitlines() if line.startswith(f"| `{key}`")]
    return rows[0]


@pytest.mark.parametrize(
    ("row", "fault", "call", "raised"),
    CASES,
    ids=[f"{c[0].split(':')[0]}-{c[2].__name__}" for c in CASES],
)
def test_the_fault_table_says_what_the_sdk_raises(clients, row, fault, call, raised):
    server, a, o = clients
    if fault is STALL:
        a, o = a.with_options(timeout=STALL_TIMEOUT_S), o.with_options(timeout=STALL_TIMEOUT_S)
    server.play("long_text", faults=[fault])
    if raised is None:
        call(a, o)
        assert "nothing raised" in fault_row(row) or "raises nothing" in fault_row(row)
        return
    with pytest.raises(Exception) as caught:
        call(a, o)
    assert type(caught.value) is exception_class(raised), caught.value
    assert f"`{raised}`" in fault_row(row)


def test_the_anthropic_error_event_error_carries_status_200_and_the_type(clients):
    server, a, o = clients
    server.play("long_text", faults=[ERROR])
    with pytest.raises(anthropic.APIStatusError) as caught:
        anthropic_stream(a, o)
    assert caught.value.status_code == 200 and caught.value.type == "overloaded_error"
    assert '(status 200, `.type == "overloaded_error"`)' in fault_row("error: TYPE")


def test_the_fault_table_names_no_class_the_sdks_no_longer_raise():
    table = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    assert not [line for line in table if "`httpx." in line]


def test_an_unknown_scenario_is_what_each_api_answers_for_an_unknown_model(clients):
    server, a, o = clients
    server.state.registry.play(None)
    headers = {"x-streamrig-scenario": "short_txt"}
    with pytest.raises(anthropic.NotFoundError) as on_anthropic:
        a.messages.create(model="m", max_tokens=9, messages=MESSAGES, extra_headers=headers)
    assert on_anthropic.value.body["error"]["type"] == "not_found_error"
    assert "Did you mean short_text?" in on_anthropic.value.body["error"]["message"]
    for create in (
        lambda: o.chat.completions.create(model="m", messages=MESSAGES, extra_headers=headers),
        lambda: o.responses.create(model="m", input="x", extra_headers=headers),
    ):
        with pytest.raises(openai.NotFoundError) as on_openai:
            create()
        error = on_openai.value
        assert (error.type, error.code) == ("invalid_request_error", "model_not_found")
        assert "Did you mean short_text?" in error.message
    (row,) = [line for line in README.read_text().splitlines() if "| unknown scenario name" in line]
    assert (
        "Anthropic `not_found_error`, OpenAI `invalid_request_error` with code `model_not_found`"
        in row
    )
