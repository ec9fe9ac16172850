"""check.accumulated with an adapter: it compares something, or says why it cannot."""

from __future__ import annotations

import anthropic
import pytest

from streamrig import CheckFailed, MockServer, UsageError, checks
from tests.conftest import KEY

REQUEST = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "x"}]}


class Reply:
    """A client's own result type."""

    def __init__(self, message):
        self.words = "".join(block.text for block in message.content if block.type == "text")


@pytest.fixture(scope="module")
def reply():
    with (
        MockServer(speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client,
        client.messages.stream(**REQUEST, extra_headers={"x-streamrig-scenario": "unicode"}) as s,
    ):
        yield server, Reply(s.get_final_message())


def test_an_adapter_with_known_fields_compares_them(reply):
    server, result = reply
    checks.accumulated(server, result, adapter=lambda r: {"text": r.words})
    with pytest.raises(CheckFailed, match="text: they part at character 0"):
        checks.accumulated(server, result, adapter=lambda r: {"text": "not " + r.words})


def test_an_adapter_returning_only_unknown_keys_is_a_usage_error(reply):
    """It passed: nothing was compared."""
    server, result = reply
    with pytest.raises(
        UsageError,
        match=r"the adapter returned 'words', which this check does not compare \(a typo\?\); "
        r"return a dict with some of text, tool_calls, thinking, refusal, stop_reason",
    ):
        checks.accumulated(server, result, adapter=lambda r: {"words": "anything at all"})


def test_an_unknown_key_beside_known_ones_is_a_usage_error_too(reply):
    server, result = reply
    with pytest.raises(UsageError, match="the adapter returned 'tool_call', which"):
        checks.accumulated(server, result, adapter=lambda r: {"text": r.words, "tool_call": []})


def test_an_adapter_returning_nothing_or_no_dict_is_a_usage_error(reply):
    server, result = reply
    with pytest.raises(UsageError, match="returned no field, so nothing would be compared"):
        checks.accumulated(server, result, adapter=lambda r: {})
    with pytest.raises(UsageError, match="the adapter returned a str; return a dict"):
        checks.accumulated(server, result, adapter=lambda r: r.words)
