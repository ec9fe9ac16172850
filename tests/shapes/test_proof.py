"""The point of shapes: careless parsers pass the plain stream and fail some shapes; the SDKs pass all."""

from __future__ import annotations

import anthropic
import openai
import pytest

from streamrig import MockServer, load_scenarios, shapes
from streamrig.scenario import Provider, bundled_path
from streamrig.server import choices_of
from tests.sdk import stream_final

from .naive import PARSERS, stream_text

BUNDLED = {s.name: s for s in load_scenarios([bundled_path()]).scenarios}
UNICODE = BUNDLED["unicode"]
TEXT = UNICODE.reply.parts[0].text
SEED = 11


@pytest.fixture(scope="module")
def shaped():
    """The unicode and tool scenarios as written and in 8 realistic shapes each, no waits."""
    variants = [
        *shapes(UNICODE, 8, seed=SEED),
        *shapes(BUNDLED["tool_after_text"], 8, seed=SEED),
    ]
    with MockServer([UNICODE, BUNDLED["tool_after_text"], *variants], seed=3, speed=0) as server:
        yield server, variants


def outcome(parser, url: str) -> str:
    try:
        return "ok" if stream_text(url, parser) == TEXT else "wrong text"
    except (ValueError, UnicodeDecodeError) as error:
        return type(error).__name__


def written(server) -> list[bytes]:
    """The writes of the server's last stream, as its journal recorded them."""
    entry = server.journal.last()
    body, writes, at = bytes(entry.sent), [], 0
    for frame in entry.frames:
        writes.append(body[at : at + frame.size])
        at += frame.size
    return writes


def what_the_shape_did(writes: list[bytes]) -> set[str]:
    """Which traps a stream's writes hold for a careless parser (a client that failed
    may have left before the rest was written: a trap is seen from the write that ends in it)."""
    traps = set()
    for write in writes:
        if not write.endswith((b"\n\n", b"\r\n\r\n")):
            traps.add("a write ends inside an event")
        try:
            write.decode("utf-8")
        except UnicodeDecodeError:
            traps.add("a character is cut across writes")
    if b"\r\n" in b"".join(writes):
        traps.add("CRLF")
    return traps


# The trap that each careless parser falls into.
TRAPS = {
    "whole_events_per_read": "a write ends inside an event",
    "utf8_per_read": "a character is cut across writes",
    "lf_only": "CRLF",
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_a_careless_parser_passes_the_plain_stream_and_fails_some_shapes(shaped, name):
    server, variants = shaped
    parser = PARSERS[name]
    assert outcome(parser, f"{server.url}/s/unicode") == "ok"
    verdicts, traps = {}, {}
    for variant in (v for v in variants if v.name.startswith("unicode@")):
        verdicts[variant.name] = outcome(parser, f"{server.url}/s/{variant.name}")
        traps[variant.name] = what_the_shape_did(written(server))
    failed = {shape: verdict for shape, verdict in verdicts.items() if verdict != "ok"}
    assert failed, f"{name} survived every shape: {verdicts}"
    # Each failure is the parser's own trap, in that shape's bytes.
    assert all(TRAPS[name] in traps[shape] for shape in failed), (failed, traps)
    if name == "lf_only":  # it buffers correctly, so CRLF is the whole story
        assert set(failed) == {shape for shape in traps if "CRLF" in traps[shape]}
    print(f"{name} fails {failed}")  # the failing shapes, named (pytest -s shows them)


@pytest.mark.parametrize("provider", list(Provider), ids=[p.value for p in Provider])
def test_the_official_sdks_pass_every_realistic_shape(shaped, provider):
    server, variants = shaped
    with (
        anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0, timeout=10) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0, timeout=10) as o,
    ):
        for name in ("unicode", "tool_after_text"):
            plain = stream_final(provider, a, o, name).model_dump()
            for variant in (v for v in variants if v.name.startswith(name + "@")):
                got = stream_final(provider, a, o, variant.name).model_dump()
                assert got == plain, f"{variant.name} on {provider.value}"


def test_sse_level_finds_where_the_python_sdks_leave_the_specification():
    # Both SDKs keep a leading BOM (the first field is lost) and, once an event had an
    # `id:`, dispatch an empty event after a keep-alive comment (openai-python #2722).
    variants = shapes(BUNDLED["short_text"], 12, seed=SEED, level="sse")
    failures: dict[tuple[str, str], str] = {}
    with (
        MockServer([BUNDLED["short_text"], *variants], seed=3, speed=0) as server,
        anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0, timeout=10) as a,
        openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0, timeout=10) as o,
    ):
        for provider in Provider:
            plain = stream_final(provider, a, o, "short_text").model_dump()
            for variant in variants:
                try:
                    same = stream_final(provider, a, o, variant.name).model_dump() == plain
                    error = "" if same else "wrong result"
                except Exception as exc:
                    error = type(exc).__name__
                if error:
                    failures[(provider.value, variant.name)] = error
    choices = {v.name: choices_of(v.shape) for v in variants}
    bom = {name for name, c in choices.items() if c.bom}
    empty_event = {name for name, c in choices.items() if c.ids and c.keepalive_rate}
    assert {name for _, name in failures} <= bom | empty_event, failures
    assert any(name in bom for _, name in failures), failures
    assert any(
        provider.startswith("openai") and name in empty_event - bom and error == "JSONDecodeError"
        for (provider, name), error in failures.items()
    ), failures
    passed = [v.name for v in variants if v.name not in bom | empty_event]
    assert passed, "some sse shapes have neither, and every SDK passes them"
