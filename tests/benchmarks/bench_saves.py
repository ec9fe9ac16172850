"""How long a cassette save holds the interpreter: the streams a recorder relays wait that long.

    .venv/bin/python -m tests.benchmarks.bench_saves [--events 12000] [--rounds 3] [--heap 500000]

Prints JSON. A thread asks for the GIL every millisecond while `write_cassette` saves one
interaction of EVENTS SSE events (~1.9 MB at 12,000), and reports how late it got it
(the longest wait: the longest stretch another thread, such as the recorder's event
loop, could not run), next to the same for `yaml.safe_dump` of the same cassette data
alone: the plain library's own cost. Both are measured twice: in this small process,
and again once HEAP long-lived objects are alive (a pytest session, a recorder that
has run for hours), where a full garbage collection walks all of them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import yaml

from streamrig.record import Interaction, Redactor, cassette_data, write_cassette


def _interaction(events: int) -> Interaction:
    body = b"".join(
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, '
        + f'"delta": {{"type": "text_delta", "text": "word{i} lorem ipsum "}}}}\n\n'.encode()
        for i in range(events)
    )
    return Interaction(
        "POST",
        "http://127.0.0.1/v1/messages",
        {"content-type": "application/json", "x-api-key": "sk-ant-bench0123456789abcdef"},
        b'{"model": "m"}',
        200,
        "OK",
        {"content-type": "text/event-stream"},
        0.01,
        [(0.1, body)],
    )


def longest_wait_ms(work: Callable[[], object]) -> tuple[float, float]:
    """(the longest wait for the GIL of a thread asking every ms, the work's seconds)."""
    waits: list[float] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            started = time.perf_counter()
            time.sleep(0.001)
            waits.append(time.perf_counter() - started - 0.001)

    asker = threading.Thread(target=ask)
    asker.start()
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    done.set()
    asker.join()
    return max(waits) * 1000, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=12_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--heap", type=int, default=500_000)
    args = parser.parse_args()
    interaction = _interaction(args.events)
    data = cassette_data([interaction], Redactor())
    rows: dict[str, list[tuple[float, float]]] = {}
    heap: list[object] = []
    with tempfile.TemporaryDirectory() as folder:
        for label, more in (("small_heap", 0), ("large_heap", args.heap)):
            heap.extend({"i": [i]} for i in range(more))
            save = rows[f"streamrig_save_{label}"] = []
            dump = rows[f"yaml_safe_dump_{label}"] = []
            for round_ in range(args.rounds):
                path = Path(folder) / f"{label}{round_}.yaml"
                save.append(
                    longest_wait_ms(lambda p=path: write_cassette(p, [interaction], Redactor()))
                )
                dump.append(
                    longest_wait_ms(lambda: yaml.safe_dump(data, allow_unicode=True, width=4096))
                )
    report: dict[str, object] = {
        "benchmark": "saves",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "events": args.events,
        "large_heap_objects": args.heap,
        "unit": "ms, the longest wait for the GIL of a thread asking every ms (median of rounds)",
    }
    for name, results in rows.items():
        report[name] = {
            "longest_wait_ms": round(statistics.median(w for w, _ in results), 1),
            "worst_ms": round(max(w for w, _ in results), 1),
            "rounds_ms": [round(w, 1) for w, _ in results],
            "save_s": round(statistics.median(s for _, s in results), 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
