"""A raw-socket SSE reader, run as its own process: when each stream was asked for, and
when each of its events arrived (its closing blank line).

    python -m tests.benchmarks._clock_reader HOST PORT PATH STREAMS BODY_JSON [HEADER:VALUE ...]

Prints JSON: for every stream `[sent, [arrival, ...]]`, seconds on one clock.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def one_stream(
    host: str, port: int, path: str, body: bytes, headers: list[str]
) -> tuple[float, list[float]]:
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
        tail = b"\n" if data.endswith(b"\n") and not data.endswith(b"\n\n") else b""
    writer.close()
    return sent, arrivals


async def main() -> None:
    host, port, path, streams, body, *headers = sys.argv[1:]
    tasks = [one_stream(host, int(port), path, body.encode(), headers) for _ in range(int(streams))]
    print(json.dumps(await asyncio.gather(*tasks)))


if __name__ == "__main__":
    asyncio.run(main())
