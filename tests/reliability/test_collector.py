"""Held streams stay out of the cyclic collector's full collections (server/_collector.py).

The policy freezes a whole process's objects, so its own cases run in a fresh Python
process each (`_run_fresh`): freezing pytest's objects would change every later test.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx

from tests.test_cli import start_serve, stop

HELD = 600  # over the policy's floor (500 requests answered at once)
SLOW = 'name: slow\nreply: [{text: "one two three"}]\ntiming: {ttft_ms: 0, gap_ms: 700}\n'
BODY = json.dumps(
    {
        "model": "slow",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
).encode()


def _run_fresh(code: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def held_streams(port: int, count: int) -> Iterator[threading.Event]:
    """Hold `count` streams of the `slow` scenario; the event is set once each has a first
    event. Leaving waits for every stream to end."""
    going = threading.Event()

    async def one(firsts: list[asyncio.Event], index: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"x-streamrig-scenario: slow\r\nConnection: close\r\n"
            + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
            + BODY
        )
        received = b""
        while chunk := await reader.read(65536):
            received += chunk
            if b"\n\n" in received:
                firsts[index].set()
        writer.close()
        return received

    async def hold() -> list[bytes]:
        firsts = [asyncio.Event() for _ in range(count)]
        tasks = [asyncio.create_task(one(firsts, i)) for i in range(count)]
        await asyncio.gather(*(first.wait() for first in firsts))
        going.set()
        return await asyncio.gather(*tasks)

    answers: list[bytes] = []
    thread = threading.Thread(target=lambda: answers.extend(asyncio.run(hold())))
    thread.start()
    try:
        yield going
    finally:
        thread.join(60)
    assert len(answers) == count and all(b"message_stop" in a for a in answers)


def _health(url: str) -> dict[str, object]:
    answer: dict[str, object] = httpx.get(url + "/_streamrig/health").json()
    return answer


def _until(predicate, seconds: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


def _frozen_again(url: str) -> None:
    frozen = _health(url)["collector"]["freezes"]  # type: ignore[index]
    assert _until(lambda: _health(url)["collector"]["freezes"] > frozen)  # type: ignore[index]


_SERVED = """
    import gc, json, sys, weakref
    from streamrig.server import MockServer
    from streamrig.server._collector import hold_streams_out_of_collections

    server = MockServer([sys.argv[1]]).start()
    gc.collect()
    gc.freeze()  # as serve does after start-up
    hold_streams_out_of_collections(server.state)
    print(server.port, flush=True)

    class Node:
        pass

    sys.stdin.readline()  # the streams are held, and frozen since
    tracked_while_holding = len(gc.get_objects())
    cycle = Node()
    cycle.self = cycle  # garbage only a full collection frees, once it is frozen
    dead_cycle = weakref.ref(cycle)
    print("made", flush=True)
    sys.stdin.readline()  # frozen since
    del cycle
    print("dropped", flush=True)
    sys.stdin.readline()  # every stream has ended, and the server went quiet
    print(json.dumps({
        "tracked_while_holding": tracked_while_holding,
        "cycle_freed": dead_cycle() is None,
        "collector": server.state.collector.to_dict(),
    }))
"""


def test_held_streams_leave_the_collections_and_what_died_meanwhile_is_freed(tmp_path):
    (tmp_path / "slow.yaml").write_text(SLOW)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SERVED), str(tmp_path / "slow.yaml")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        port = int(process.stdout.readline())
        url = f"http://127.0.0.1:{port}"

        def say(line: str) -> None:
            process.stdin.write(line + "\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]

        with held_streams(port, HELD) as going:
            assert going.wait(30)
            _frozen_again(url)  # every held stream is open: all of them frozen
            say("held")
            assert process.stdout.readline() == "made\n"
            _frozen_again(url)
            say("drop")
            assert process.stdout.readline() == "dropped\n"
        assert _until(lambda: _health(url)["collector"]["reclaims"] >= 1)  # type: ignore[index]
        say("quiet")
        report = json.loads(process.stdout.readline())
    finally:
        process.kill()
        process.communicate()
    # Each held stream keeps about 80 tracked objects; frozen, a collection walks none.
    assert report["tracked_while_holding"] < 10 * HELD, report
    assert report["cycle_freed"], "a cycle that died while streams were held was never freed"


def test_the_policy_freezes_from_its_floor_and_frees_cycles_on_a_server_never_quiet():
    report = _run_fresh(
        """
        import gc, json, weakref
        from streamrig.server._collector import CollectorPolicy

        load = {"answering": 100, "finished": 0}
        policy = CollectorPolicy(
            answering=lambda: load["answering"], finished=lambda: load["finished"]
        )
        policy.tick()
        under_floor = policy.freezes

        load["answering"] = 600
        policy.tick()
        class Node:
            pass
        cycle = Node(); cycle.self = cycle
        dead_cycle = weakref.ref(cycle)
        policy.tick()  # the cycle is frozen with everything else
        del cycle
        gc.collect()
        frozen_survives = dead_cycle() is not None
        load["finished"] = 4 * 600  # as many streams as the ratio allows ended meanwhile
        policy.tick()
        reclaims_at_ratio = policy.reclaims
        load["finished"] = 4 * 600 + 1
        policy.tick()
        print(json.dumps({
            "under_floor": under_floor, "freezes": policy.freezes,
            "frozen_survives": frozen_survives, "reclaims_at_ratio": reclaims_at_ratio,
            "reclaims": policy.reclaims, "cycle_freed": dead_cycle() is None,
        }))
        """
    )
    assert report["under_floor"] == 0
    assert report["freezes"] >= 2
    assert report["frozen_survives"], "frozen objects are out of collections"
    assert report["reclaims_at_ratio"] == 0
    assert report["reclaims"] == 1 and report["cycle_freed"]


def test_serve_reports_what_it_answers_and_its_collector_in_health(tmp_path):
    (tmp_path / "slow.yaml").write_text(SLOW)
    process, url = start_serve(str(tmp_path / "slow.yaml"), "--port", "0")
    try:
        before = _health(url)
        assert before["answering"] == 0
        collector = before["collector"]
        assert isinstance(collector, dict)
        assert set(collector) == {
            "freezes",
            "reclaims",
            "full_collections",
            "longest_full_collection_ms",
        }
        assert collector["freezes"] == collector["reclaims"] == 0  # idle: nothing to hold
        port = int(url.rsplit(":", 1)[1])
        with held_streams(port, HELD) as going:
            assert going.wait(30)
            held = _health(url)
            assert held["answering"] == HELD
            assert _until(lambda: _health(url)["collector"]["freezes"] >= 1)  # type: ignore[index]
        assert _until(lambda: _health(url)["collector"]["reclaims"] == 1)  # type: ignore[index]
        assert _health(url)["answering"] == 0
    finally:
        _, out = stop(process)
    assert "Traceback" not in out


def test_the_plugins_server_process_runs_the_policy_and_an_in_thread_server_does_not():
    from streamrig import MockServer
    from streamrig.server import ProcessServer

    with ProcessServer() as running:
        assert "collector" in _health(running.url)
    with MockServer() as in_thread:  # the test's own process: its collections are not ours
        assert "collector" not in _health(in_thread.url)
