"""The bundled library, parsed once (`scenario/_bundled_parsed.json`): `serve` with no
paths reads no YAML, and what it loads is exactly what parsing the files gives."""

from __future__ import annotations

import shutil

import pytest

from streamrig.scenario import _load, _parsed, bundled_path, load_scenarios

REWRITE = 'python -c "from streamrig.scenario._parsed import main; main()"'


def test_the_snapshot_is_the_bundled_library_parsed_afresh():
    written = _parsed.PARSED.read_text("utf-8")
    assert written == _parsed.snapshot(bundled_path()), (
        f"a bundled scenario changed since {_parsed.PARSED.name} was written: {REWRITE}"
    )


def test_every_bundled_text_is_in_the_snapshot(monkeypatch):
    parsed = _count_yaml_parses(monkeypatch)
    report = load_scenarios([bundled_path()])
    assert report.scenarios and not report.errors
    assert parsed == []  # not one file of the library needs YAML


def test_the_snapshot_gives_the_scenarios_parsing_gives(monkeypatch):
    from_snapshot = load_scenarios([bundled_path()])
    monkeypatch.setattr(_parsed, "_entries", dict)  # no snapshot: every text is parsed
    parsed = _count_yaml_parses(monkeypatch)
    from_yaml = load_scenarios([bundled_path()])
    assert len(parsed) == len(from_yaml.scenarios) > 20
    assert from_snapshot.scenarios == from_yaml.scenarios
    assert [s.source for s in from_snapshot.scenarios] == [s.source for s in from_yaml.scenarios]


def test_a_bundled_file_edited_since_is_parsed_again(tmp_path, monkeypatch):
    library = tmp_path / "library"
    shutil.copytree(bundled_path(), library)
    edited = library / "short_text.yaml"
    text = edited.read_text("utf-8")
    assert "One short sentence" in text
    edited.write_text(text.replace("One short sentence", "Edited since"), "utf-8")
    parsed = _count_yaml_parses(monkeypatch)
    report = load_scenarios([library])
    assert parsed == [edited]  # the others are the library's texts, byte for byte
    (scenario,) = [s for s in report.scenarios if s.source == edited]
    assert scenario.description == "Edited since"


def test_a_duplicate_key_is_still_found_in_a_text_like_the_library(tmp_path, monkeypatch):
    # The snapshot holds no text with a duplicate key: such a text is parsed, and refused.
    text = (bundled_path() / "short_text.yaml").read_text("utf-8")
    bad = tmp_path / "twice.yaml"
    bad.write_text(text + "model: one\nmodel: two\n", "utf-8")
    assert _parsed.snapshot(tmp_path) == _parsed.snapshot(tmp_path / "nothing")
    report = load_scenarios([bad])
    assert not report.scenarios
    assert any("duplicate key (first on line" in str(e) for e in report.errors), report.errors


@pytest.mark.parametrize(
    "text",
    [
        "reply: hi\nmetadata: {1: one}\n",  # an integer key: JSON would make it "1"
        "reply: hi\nmetadata: {true: yes}\n",  # a boolean key: "true"
        "reply: hi\nmetadata: !!binary aGk=\n",  # bytes: no JSON value
        "reply: [hi\n",  # does not parse: the loader says why, at its line
    ],
)
def test_a_text_json_cannot_hold_exactly_is_left_out(tmp_path, text):
    (tmp_path / "odd.yaml").write_text(text, "utf-8")
    with_odd = _parsed.snapshot(tmp_path)
    assert '"texts": {}' in with_odd


def test_a_missing_snapshot_means_every_text_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(_parsed, "PARSED", tmp_path / "gone.json")
    _parsed._entries.cache_clear()
    try:
        parsed = _count_yaml_parses(monkeypatch)
        report = load_scenarios([bundled_path()])
        assert len(parsed) == len(report.scenarios) and not report.errors
    finally:
        _parsed._entries.cache_clear()


def _count_yaml_parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    real = _load.parse_yaml_text

    def parse(text: str, source: object) -> object:
        seen.append(source)
        return real(text, source)  # type: ignore[arg-type]

    monkeypatch.setattr(_load, "parse_yaml_text", parse)
    return seen


def test_a_long_text_is_neither_kept_nor_looked_up(tmp_path, monkeypatch):
    # Hashing costs what the text is long: a large cassette goes straight to the loader.
    text = "reply: hi\n" + "# " + "x" * _parsed.MAX_CHARS + "\n"
    (tmp_path / "long.yaml").write_text(text, "utf-8")
    assert '"texts": {}' in _parsed.snapshot(tmp_path)
    digests: list[str] = []
    monkeypatch.setattr(_parsed, "_digest", lambda t: digests.append(t) or "")
    assert _parsed.parsed_before(text) is None and digests == []
