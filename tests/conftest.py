from __future__ import annotations

import os
from pathlib import Path

import anthropic

# pytester's in-process runs drop modules first imported inside them; an SDK module
# imported afresh there would raise exception classes the outer httpx2 cannot map.
# Import the transport internals now, once, for every inner run.
import httpcore2._async.http11
import httpcore2._backends.anyio
import httpcore2._backends.sync
import httpcore2._sync.http11  # noqa: F401
import openai
import pytest

from streamrig import MockServer

VECTORS = Path(
    os.environ.get("STREAMRIG_VECTORS", Path(__file__).resolve().parents[2] / "shared" / "vectors")
)
KEY = "sk-test-streamrig-0123456789"

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def server():
    """The bundled library on a seeded server with no waits, shared by the session."""
    with MockServer(seed=7, speed=0) as running:
        yield running


@pytest.fixture
def fresh(server):
    server.reset()
    return server


@pytest.fixture
def anthropic_sync(server):
    with anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10) as client:
        yield client


@pytest.fixture
def openai_sync(server):
    with openai.OpenAI(
        base_url=server.openai_base_url, api_key=KEY, max_retries=0, timeout=10
    ) as client:
        yield client


@pytest.fixture
async def anthropic_async(server):
    client = anthropic.AsyncAnthropic(base_url=server.url, api_key=KEY, max_retries=0, timeout=10)
    yield client
    await client.close()


@pytest.fixture
async def openai_async(server):
    client = openai.AsyncOpenAI(
        base_url=server.openai_base_url, api_key=KEY, max_retries=0, timeout=10
    )
    yield client
    await client.close()
