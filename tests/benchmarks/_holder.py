"""Hold many slow SSE streams open at once, run as its own process.

    python -m tests.benchmarks._holder PORT PATH STREAMS BATCH BODY_JSON

Opens STREAMS connections, BATCH at a time, POSTs BODY_JSON on each and reads to
the end. Prints `ready` once every stream has its first event, then JSON:
streams completed and events read.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def hold(port: int, path: str, body: bytes, first: asyncio.Event) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    events = 0
    while chunk := await reader.read(65536):
        events += chunk.count(b"\n\n")
        if events and not first.is_set():
            first.set()
    writer.close()
    return events


async def main() -> None:
    port, path, streams, batch, body = sys.argv[1:]
    tasks: list[asyncio.Task[int]] = []
    firsts: list[asyncio.Event] = []
    for start in range(0, int(streams), int(batch)):
        for _ in range(min(int(batch), int(streams) - start)):
            first = asyncio.Event()
            firsts.append(first)
            tasks.append(asyncio.create_task(hold(int(port), path, body.encode(), first)))
        await asyncio.gather(*(f.wait() for f in firsts[start:]))
    print("ready", flush=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    done = [r for r in results if isinstance(r, int)]
    print(
        json.dumps(
            {"completed": len(done), "failed": len(results) - len(done), "events": sum(done)}
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
