"""Reading a large journal never holds up the streams playing meanwhile."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx2 as httpx

from streamrig import MockServer

from .wire import body_for

TICKS = {
    "name": "ticks",
    "reply": [{"text": " ".join(f"t{i}" for i in range(60))}],
    "timing": {"ttft_ms": 0, "tokens_per_s": 50},  # a frame every 20 ms, ~1.2 s
}
# Each answer is 20,000 frames at once: the journal's JSON takes about a second to build.
FILL = {"name": "fill", "reply": [{"text": " ".join(["w"] * 20_000)}], "timing": {"gap_ms": 0}}
LATE_S = 0.25  # how late a frame may go out (the journal built in the loop: a second)


def test_a_journal_read_leaves_other_streams_on_time():
    with MockServer([TICKS, FILL]) as server:
        for _ in range(8):
            httpx.post(
                server.url + "/s/fill/v1/messages", json=body_for("/v1/messages"), timeout=60
            )
        read: list[float] = []

        def read_journal() -> None:
            started = time.monotonic()  # another process reads: this one's GIL is the server's
            subprocess.run(
                ["curl", "-sf", "-o", "/dev/null", server.url + "/_streamrig/journal"],
                check=True,
                timeout=60,
            )
            read.extend([started, time.monotonic()])

        body = body_for("/v1/messages")
        url = server.url + "/s/ticks/v1/messages"
        with httpx.stream("POST", url, json=body, timeout=60) as stream:
            reader = threading.Thread(target=read_journal)
            for index, _ in enumerate(stream.iter_raw()):
                if index == 0:
                    reader.start()
            streamed = time.monotonic()
        reader.join(60)
        entry = server.journal.last()
    assert read[0] < streamed, "the journal was read while the stream played"
    lateness = max(frame.sent_s - frame.scheduled_s for frame in entry.frames)
    assert lateness < LATE_S, f"a frame went out {lateness:.3f} s late while the journal was read"
