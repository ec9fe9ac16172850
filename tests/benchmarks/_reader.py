"""A raw-socket SSE reader, run as its own process: timestamps the arrival of every event.

    python -m tests.benchmarks._reader HOST PORT PATH STREAMS BODY_JSON [HEADER:VALUE ...]

Opens STREAMS connections at once, POSTs BODY_JSON to each, and prints JSON: for
every stream, the arrival time of each event (its closing blank line), in seconds
since that stream's first event. `tests.benchmarks._clock_reader` prints the same
reads on one clock instead: `[sent, [arrival, ...]]` per stream.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def one_stream(
    host: str, port: int, path: str, body: bytes, headers: list[str]
) -> tuple[float, list[float]]:
    """When the request was sent, and when each event's closing blank line arrived."""
    reader, writer = await asyncio.open_connection(host, port)
    extra = "".join(f"{h.split(':', 1)[0]}: {h.split(':', 1)[1]}\r\n" for h in headers)
    sent = time.perf_counter()
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    arrivals: list[float] = []
    tail = b""
    while True:
        chunk = await reader.read(262144)
        now = time.perf_counter()
        if not chunk:
            break
        data = tail + chunk
        arrivals.extend([now] * data.count(b"\n\n"))
        # A "\n\n" cut between reads.
        tail = b"\n" if data.endswith(b"\n") and not data.endswith(b"\n\n") else b""
    writer.close()
    # The first "\n\n" ends the HTTP headers ("\r\n\r\n" holds no "\n\n"): none to drop.
    return sent, arrivals


def relative(arrivals: list[float]) -> list[float]:
    return [t - arrivals[0] for t in arrivals] if arrivals else []


async def main(clock: bool = False) -> None:
    host, port, path, streams, body, *headers = sys.argv[1:]
    tasks = [one_stream(host, int(port), path, body.encode(), headers) for _ in range(int(streams))]
    results = await asyncio.gather(*tasks)
    print(json.dumps(results if clock else [relative(arrivals) for _, arrivals in results]))


if __name__ == "__main__":
    asyncio.run(main())
