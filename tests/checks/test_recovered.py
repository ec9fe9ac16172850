"""check.recovered lists the tries with times from the first try."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest

from streamrig import CheckFailed, MockServer, checks

OVERLOADED = {
    "name": "overloaded",
    "reply": [{"text": "Fine now."}],
    "attempts": [{"status": 529, "headers": {"retry-after-ms": "2000"}}, {}],
}
BODY = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}


def test_tries_are_timed_from_the_first_try():
    """They were printed as epoch seconds mod 1000 (`#1 at 516.999s`)."""
    with MockServer(OVERLOADED, speed=0) as server:
        for _ in range(2):  # a broken client: retries at once, ignoring retry-after-ms
            response = httpx.post(server.url + "/v1/messages", json=BODY)
        with pytest.raises(CheckFailed) as failed:
            checks.recovered(server, result=response.json())
        first, second = server.journal.entries()
    message = str(failed.value)
    assert "#1 at +0.000s: HTTP 529 -> http_error; scenario 'overloaded'" in message
    gap = re.search(r"#2 at \+(\d+\.\d{3})s: HTTP 200 -> completed; scenario 'overloaded'", message)
    assert gap is not None
    assert float(gap.group(1)) == pytest.approx(second.time - first.time, abs=0.0015)
    assert "retry-after-ms: 2000 asked for 2000 ms" in message
