"""tests/benchmarks/_reader.py on one clock: when each stream was asked for, and when
each of its events arrived.

    python -m tests.benchmarks._clock_reader HOST PORT PATH STREAMS BODY_JSON [HEADER:VALUE ...]

Prints JSON: for every stream `[sent, [arrival, ...]]`, seconds on one clock.
"""

from __future__ import annotations

import asyncio

from tests.benchmarks._reader import main

if __name__ == "__main__":
    asyncio.run(main(clock=True))
