"""ProcessServer: the server in its own process, and check.timing's refusal to judge a run
in which the server itself was late (a CPU-busy test on the in-thread server)."""

from __future__ import annotations

import contextlib
import sys
import threading

import anthropic
import httpx2 as httpx
import pytest

from streamrig import MockServer, UsageError, checks, probe
from streamrig.server import ProcessServer
from tests.conftest import KEY

BODY = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
PACED = {
    "name": "paced",
    "reply": [{"text": " ".join(["word"] * 40)}],
    "timing": {"ttft_ms": 20, "gap_ms": 10},
}


@pytest.fixture(scope="module")
def remote():
    with ProcessServer(PACED, seed=3) as running:
        yield running


def test_the_process_server_answers_and_its_journal_comes_back_whole(remote):
    remote.reset()
    with httpx.stream("POST", remote.url + "/v1/messages", json={**BODY, "stream": True}) as r:
        body = b"".join(r.iter_raw())
    entry = remote.journal.last()
    assert entry.outcome.value == "completed" and entry.scenario == "paced"
    assert bytes(entry.sent) == body and entry.bytes_sent == sum(f.size for f in entry.frames)
    assert len(remote.journal) == 1
    remote.reset()
    assert len(remote.journal) == 0


def test_the_process_server_plays_scenarios_and_refuses_recording(remote):
    remote.reset()
    remote.play({"name": "other", "reply": [{"text": "from the other one"}]})
    # Played, not loaded (as on the in-thread server): the loaded names are unchanged.
    assert not remote.has("other") and "paced" in remote.names()
    message = httpx.post(remote.url + "/v1/messages", json=BODY).json()
    assert message["content"][0]["text"] == "from the other one"
    with pytest.raises(UsageError, match="in-thread server"):
        remote.set_passthrough(object())  # type: ignore[arg-type]


def busy(action):
    """Run `action` while another thread spins in pure Python, holding the GIL in long slices."""
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(2000))

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.25)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        return action()
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(old)


def stream_probed(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0) as client:
        with client.messages.stream(**BODY) as s:
            probed = probe(s.text_stream)
            for _ in probed:
                pass
    return probed


def test_timing_refuses_to_judge_when_the_in_thread_server_was_late():
    with MockServer(PACED) as server:
        probed = busy(lambda: stream_probed(server))
        with pytest.raises(UsageError) as refused:
            checks.timing(server, probed, max_gap_ms=150)
    message = str(refused.value)
    assert "cannot judge this run: the server itself wrote frame" in message
    assert "largest gap budget (150 ms)" in message and "--streamrig-server=process" in message


def test_timing_judges_the_same_busy_run_against_a_server_in_its_own_process(remote):
    remote.reset()
    probed = busy(lambda: stream_probed(remote))
    late_ms = max(f.sent_s - f.scheduled_s for f in remote.journal.last().frames) * 1000
    assert late_ms < 150
    # judged, not refused (the busy client itself may well miss the budget)
    with contextlib.suppress(checks.CheckFailed):
        checks.timing(remote, probed, max_gap_ms=150)
