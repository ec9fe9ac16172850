from __future__ import annotations

import pytest

from streamrig.sse import ServerSentEvent, SSEDecoder, encode_event, split_events

BODY = 'event: a\ndata: {"x":"é🎉"}\n\n: comment\ndata: line1\ndata: line2\n\nevent: b\ndata: 2\n\n'
EXPECTED = [
    ServerSentEvent('{"x":"é🎉"}', "a"),
    ServerSentEvent("line1\nline2"),
    ServerSentEvent("2", "b"),
]


def decode_all(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = []
    for chunk in chunks:
        events.extend(decoder.decode(chunk))
    return events + decoder.flush()


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_decoder_line_endings(ending):
    body = BODY.replace("\n", ending).encode()
    assert decode_all([body]) == EXPECTED


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_decoder_any_cut_gives_the_same_events(ending):
    body = BODY.replace("\n", ending).encode()
    for cut in range(1, len(body)):
        assert decode_all([body[:cut], body[cut:]]) == EXPECTED, f"cut at byte {cut}"


def test_decoder_one_byte_at_a_time_keeps_utf8_and_crlf():
    body = BODY.replace("\n", "\r\n").encode()
    assert decode_all([body[i : i + 1] for i in range(len(body))]) == EXPECTED


def test_decoder_ignores_one_leading_bom_and_drops_an_unterminated_last_event():
    body = "\ufeffdata: 1\n\ndata: 2".encode()
    assert decode_all([body]) == [ServerSentEvent("1")]


def test_decoder_reads_id_and_retry():
    assert decode_all([b"id: 7\nretry: 300\ndata: x\n\n"]) == [
        ServerSentEvent("x", id="7", retry=300)
    ]


def test_decoder_dispatches_nothing_without_a_data_line():
    # The last event id persists, yet a comment or an id/retry-only block is no event
    # (openai-python #2722 dispatches one, with empty data, and crashes on its JSON).
    body = b"id: 1\ndata: x\n\n: ping\n\nretry: 5\n\nevent: e\n\ndata: y\n\n"
    assert decode_all([body]) == [ServerSentEvent("x", id="1"), ServerSentEvent("y", id="1")]


def test_encode_event_is_compact_raw_utf8():
    assert (
        encode_event({"a": "é", "b": [1, 2]}, "ev")
        == 'event: ev\ndata: {"a":"é","b":[1,2]}\n\n'.encode()
    )
    assert encode_event("[DONE]") == b"data: [DONE]\n\n"


def test_encode_event_splits_multiline_strings_into_data_lines():
    assert decode_all([encode_event("one\ntwo")]) == [ServerSentEvent("one\ntwo")]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_split_events_cuts_after_each_blank_line(ending):
    body = BODY.replace("\n", ending).encode() + b"data: tail"
    pieces = split_events(body)
    assert b"".join(pieces) == body
    assert len(pieces) == 4
    assert [decode_all([p]) for p in pieces[:3]] == [[e] for e in EXPECTED]
