"""Real runs for the timeline tests: an official SDK client against MockServer, probed."""

from __future__ import annotations

from typing import Any

import anthropic
import openai

from streamrig import MockServer, probe
from tests.conftest import KEY

TEXT = "one two three four five six seven eight nine ten eleven twelve"
MESSAGES = [{"role": "user", "content": "x"}]


def scenario(name: str, **keys: Any) -> dict[str, Any]:
    return {
        "name": name,
        "reply": [{"text": TEXT}],
        "timing": {"ttft_ms": 30, "gap_ms": 10},
        **keys,
    }


RESET = scenario("reset", faults=[{"after_events": 5, "drop": "reset"}])
CLEAN = scenario("clean")


def anthropic_run(server: MockServer, name: str) -> Any:
    """Stream `name` with the anthropic SDK's helper, probing every event; the probe."""
    seen = probe()
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10) as client:
        try:
            with client.messages.stream(
                model="m",
                max_tokens=50,
                messages=MESSAGES,
                extra_headers={"x-streamrig-scenario": name},
            ) as stream:
                for event in stream:
                    seen.note(event)
        except Exception:  # the SDK's transport error when the fault drops the stream
            pass  # the tests read the journal's outcome
    return seen


def chat_run(server: MockServer, name: str) -> Any:
    """Stream `name` with the openai SDK's Chat Completions, probing each chunk; the probe."""
    with openai.OpenAI(
        base_url=server.openai_base_url, api_key=KEY, max_retries=0, timeout=10
    ) as client:
        seen = probe(
            client.chat.completions.create(
                model="m",
                messages=MESSAGES,
                stream=True,
                extra_headers={"x-streamrig-scenario": name},
            )
        )
        list(seen)
    return seen
