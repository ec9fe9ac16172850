"""Real recorded API streams (../shared/vectors) replay byte for byte and accumulate the same."""

from __future__ import annotations

import anthropic
import httpx2 as httpx
import openai
import pytest

from streamrig import MockServer
from streamrig.scenario import Provider, infer_provider
from tests import sdk
from tests.conftest import KEY, VECTORS
from tests.plain_server import serve_bytes

FILES = sorted(VECTORS.glob("*/*.sse")) if VECTORS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"no wire vectors at {VECTORS}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_bytes_reach_the_client_unchanged(path):
    body = path.read_bytes()
    provider = infer_provider(body)
    route, request = sdk.request_body(provider, stream=True)
    with MockServer(path) as server:
        with httpx.stream("POST", server.url + route, json=request) as response:
            chunks = list(response.iter_raw())
        assert response.headers["x-streamrig-scenario"] == path.stem
    assert b"".join(chunks) == body


def sdk_outcome(provider, base_url, scenario):
    """The SDK's accumulated final message, or the error it raised, in a comparable form."""
    with (
        anthropic.Anthropic(base_url=base_url, api_key=KEY, max_retries=0) as a,
        openai.OpenAI(base_url=base_url + "/v1", api_key=KEY, max_retries=0) as o,
    ):
        try:
            return sdk.normalise(sdk.stream_final(provider, a, o, scenario))
        except Exception as error:  # the same error from both servers is the same outcome
            return (type(error).__name__, str(error))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sdk_accumulates_the_same_from_streamrig_as_from_plain_aiohttp(path):
    body = path.read_bytes()
    provider = infer_provider(body)
    with MockServer(path) as server, serve_bytes(body) as plain:
        ours = sdk_outcome(provider, server.url, path.stem)
        baseline = sdk_outcome(provider, plain.url, path.stem)
    assert ours == baseline
    assert isinstance(ours, dict), ours


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_as_stream_false_gives_the_accumulated_message(path):
    body = path.read_bytes()
    provider = infer_provider(body)
    route, request = sdk.request_body(provider, stream=False)
    with MockServer(path) as server:
        response = httpx.post(server.url + route, json=request)
    assert response.status_code == 200, response.text
    whole = response.json()
    if provider is Provider.ANTHROPIC:
        assert whole["type"] == "message" and whole["id"].startswith("msg_")
    else:
        assert whole["object"] == "chat.completion" and whole["choices"]
