"""`--streamrig-record` none/once/new/all with `--streamrig-upstream`, as a user's project runs it."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from streamrig import MockServer

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
TEST = """
import pytest

@pytest.mark.streamrig(cassette=True)
def test_story(anthropic_client, streamrig):
    with anthropic_client.messages.stream(model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Tell me a story"}]) as s:
        message = s.get_final_message()
    streamrig.check.accumulated(message)
    print("TEXT:", message.content[0].text)
"""
CASSETTE = "tests/cassettes/test_story/test_story.yaml"


def upstream(text: str) -> MockServer:
    return MockServer({"name": "up", "reply": [{"text": text}], "timing": {"gap_ms": 2}}, seed=1)


@pytest.fixture
def project(pytester):
    pytester.makeini(INI)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_story.py").write_text(textwrap.dedent(TEST))
    return pytester


def test_none_without_a_cassette_fails_naming_it(project):
    result = project.runpytest("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*streamrig: no cassette at *{CASSETTE}: record it with --streamrig-record=once --streamrig-upstream URL*"
        ]
    )


def test_once_records_a_missing_cassette_then_replays_it(project):
    with upstream("First recording.") as live:
        project.runpytest(
            "-q", "-s", "--streamrig-record=once", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=1)
        assert len(live.journal) == 1
    cassette = project.path / CASSETTE
    data = yaml.safe_load(cassette.read_text())
    assert len(data["interactions"]) == 1 and data["interactions"][0]["streamrig"]["events"]
    # The upstream is gone: the same test now passes from the cassette alone, in both modes.
    for mode in ("once", "none"):
        result = project.runpytest("-q", "-s", f"--streamrig-record={mode}")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["TEXT: First recording."])


def test_new_records_requests_the_cassette_lacks(project):
    with upstream("Recorded once.") as live:
        project.runpytest(
            "-q", "--streamrig-record=once", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=1)
        (project.path / "tests" / "test_story.py").write_text(
            textwrap.dedent(TEST)
            + textwrap.dedent("""
            @pytest.mark.streamrig(cassette="cassettes/test_story/test_story.yaml")
            def test_another(anthropic_client):
                anthropic_client.messages.create(model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Something new"}])
            """)
        )
        project.runpytest(
            "-q", "--streamrig-record=new", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=2)
        assert len(live.journal) == 2  # only the new request went upstream
    data = yaml.safe_load((project.path / CASSETTE).read_text())
    assert len(data["interactions"]) == 2


def test_all_records_afresh(project):
    with upstream("Quokka.") as live:
        project.runpytest(
            "-q", "--streamrig-record=once", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=1)
    with upstream("Zebra.") as live:
        project.runpytest(
            "-q", "--streamrig-record=all", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=1)
    text = (project.path / CASSETTE).read_text()
    assert "Zebra." in text and "Quokka." not in text


def test_record_mode_and_upstream_from_the_ini_file(project):
    with upstream("Ini.") as live:
        project.makeini(INI + f"streamrig_record = once\nstreamrig_upstream = {live.url}\n")
        project.runpytest("-q").assert_outcomes(passed=1)
    assert "Ini." in (project.path / CASSETTE).read_text()


def test_recording_without_an_upstream_says_what_to_add(project):
    result = project.runpytest("-q", "--streamrig-record=once")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*needs an upstream: --streamrig-upstream URL (or ini streamrig_upstream)*"]
    )


def test_the_marker_lays_faults_over_the_replay(project):
    with upstream("A recording that will be cut short on replay, word by word.") as live:
        project.runpytest(
            "-q", "--streamrig-record=once", f"--streamrig-upstream={live.url}"
        ).assert_outcomes(passed=1)
    (project.path / "tests" / "test_story.py").write_text(
        textwrap.dedent("""
        import httpx2 as httpx, pytest

        @pytest.mark.streamrig(cassette="cassettes/test_story/test_story.yaml", faults=[{"after_events": 5, "drop": "reset"}])
        def test_cut(anthropic_client, streamrig):
            seen = []
            with pytest.raises(httpx.RemoteProtocolError) as caught:
                with anthropic_client.messages.create(model="claude-test", max_tokens=64, stream=True, messages=[{"role": "user", "content": "Tell me a story"}]) as stream:
                    for event in stream:
                        seen.append(event.type)
            assert seen == ["message_start", "content_block_start", "content_block_delta", "content_block_delta"]  # + a ping
            assert streamrig.journal[-1].outcome.value == "reset"
            streamrig.check.recovered(error=caught.value)
    """)
    )
    project.runpytest("-q").assert_outcomes(passed=1)
