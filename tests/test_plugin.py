"""The pytest plugin, run through pytester as a user's project would run it."""

from __future__ import annotations

import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def write_test(project, name: str, source: str) -> None:
    (project.path / "tests" / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def project(pytester):
    """A user's project: an ini file and a scenario folder beside the tests."""
    pytester.makeini(INI)
    pytester.mkdir("tests")
    scenarios = pytester.mkdir("tests/scenarios")
    (scenarios / "greeting.yaml").write_text(
        "reply: [{text: Hi from the project}]\nusage: {input_tokens: 10, output_tokens: 5}\n"
    )
    return pytester


def test_fixtures_and_marker_sync(project):
    # If a test asks for the fixtures and marks a bundled scenario
    write_test(
        project,
        "test_sync",
        """
        import pytest

        def test_handle(streamrig):
            assert streamrig.url.startswith("http://127.0.0.1:")
            assert streamrig.anthropic_base_url == streamrig.url
            assert streamrig.openai_base_url == streamrig.url + "/v1"

        @pytest.mark.streamrig("short_text")
        def test_anthropic(anthropic_client, streamrig):
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert message.content[0].text == "Hello there!"
            assert streamrig.journal[-1].scenario == "short_text"
            assert streamrig.requests[-1]["messages"][0]["content"] == "x"

        @pytest.mark.streamrig("short_text")
        def test_openai(openai_client):
            completion = openai_client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
            assert completion.choices[0].message.content == "Hello there!"
        """,
    )
    # Then they pass
    project.runpytest("-q").assert_outcomes(passed=3)


def test_async_fixtures_with_pytest_asyncio(project):
    write_test(
        project,
        "test_async",
        """
        import pytest

        @pytest.mark.streamrig("tool_call")
        async def test_anthropic(async_anthropic_client, streamrig):
            async with async_anthropic_client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as s:
                message = await s.get_final_message()
            streamrig.check.accumulated(message)

        @pytest.mark.streamrig("short_text")
        async def test_openai(async_openai_client, streamrig):
            stream = await async_openai_client.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "x"}])
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            streamrig.check.accumulated(text=text)
        """,
    )
    result = project.runpytest("-q", "-W", "error::ResourceWarning")
    result.assert_outcomes(passed=2)


def test_async_fixtures_with_anyio(project):
    write_test(
        project,
        "test_anyio",
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        @pytest.mark.streamrig("short_text")
        async def test_anthropic(async_anthropic_client, streamrig):
            message = await async_anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            streamrig.check.accumulated(message)
        """,
    )
    project.runpytest("-q", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_marker_overrides_and_play(project):
    write_test(
        project,
        "test_marker",
        """
        import httpx2 as httpx, pytest

        @pytest.mark.streamrig("short_text", faults=[{"after_events": 4, "drop": "reset"}])
        def test_marker_faults(anthropic_client, streamrig):
            with pytest.raises(httpx.RemoteProtocolError):
                with anthropic_client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as s:
                    s.get_final_message()
            assert streamrig.journal[-1].outcome.value == "reset"

        def test_play_name_dict_and_overrides(anthropic_client, streamrig):
            played = streamrig.play("greeting", stop="max_tokens")
            assert played.expected.text == "Hi from the project" and played.expected.stop_reason == "max_tokens"
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert message.stop_reason == "max_tokens"
            streamrig.play({"name": "inline", "reply": [{"text": "inline!"}]})
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert message.content[0].text == "inline!"

        def test_bad_override_names_the_key(streamrig):
            from streamrig import ScenarioError
            with pytest.raises(ScenarioError, match=r"faults\\[0\\].drop: 'boom' is not one of"):
                streamrig.play("short_text", faults=[{"after_events": 1, "drop": "boom"}])
        """,
    )
    project.runpytest("-q").assert_outcomes(passed=3)


def test_server_is_reset_between_tests(project):
    write_test(
        project,
        "test_reset",
        """
        def test_first(streamrig, anthropic_client):
            streamrig.play("greeting")
            anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert len(streamrig.journal) == 1

        def test_second(streamrig, anthropic_client):
            assert streamrig.journal == []
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert message.content[0].text != "Hi from the project"  # the played scenario is gone
        """,
    )
    project.runpytest("-q", "-p", "no:randomly").assert_outcomes(passed=2)


def test_report_header_names_url_and_folders(project):
    write_test(project, "test_x", "def test_x(): pass")
    result = project.runpytest("-q", "-v")
    result.stdout.fnmatch_lines(
        [
            "streamrig: server http://127.0.0.1:* (started on first use); scenario folders: *tests/scenarios; speed 1"
        ]
    )


@pytest.mark.parametrize("how", ["option", "ini"])
def test_scenarios_folder_option_and_ini(project, how):
    folder = project.mkdir("elsewhere")
    (folder / "faraway.yaml").write_text("reply: [{text: from far away}]\n")
    write_test(
        project,
        "test_far",
        """
        import pytest

        @pytest.mark.streamrig("faraway")
        def test_far(anthropic_client):
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert message.content[0].text == "from far away"
        """,
    )
    if how == "ini":
        project.makeini(INI + "streamrig_scenarios = elsewhere\n")
        result = project.runpytest("-q")
    else:
        result = project.runpytest("-q", "--streamrig-scenarios", "elsewhere")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("how", ["option", "ini"])
def test_speed_option_and_ini(project, how):
    write_test(
        project,
        "test_speed",
        """
        import pytest

        @pytest.mark.streamrig("short_text", timing={"ttft_ms": 400})
        def test_speed(anthropic_client, streamrig):
            for _ in anthropic_client.messages.create(model="m", max_tokens=5, stream=True, messages=[{"role": "user", "content": "x"}]):
                pass
            assert streamrig.journal[-1].frames[0].scheduled_s == pytest.approx(0.1)
        """,
    )
    if how == "ini":
        project.makeini(INI + "streamrig_speed = 4\n")
        result = project.runpytest("-q")
    else:
        result = project.runpytest("-q", "--streamrig-speed", "4")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("how", ["option", "ini"])
def test_seed_option_and_ini_make_ids_repeat(project, how):
    write_test(
        project,
        "test_seed",
        """
        import pathlib

        def test_id(anthropic_client):
            message = anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            with open(pathlib.Path(__file__).parent.parent / "ids.txt", "a") as out:
                out.write(message.id + "\\n")
        """,
    )
    for _ in range(2):
        if how == "ini":
            project.makeini(INI + "streamrig_seed = 42\n")
            project.runpytest("-q").assert_outcomes(passed=1)
        else:
            project.runpytest("-q", "--streamrig-seed", "42").assert_outcomes(passed=1)
    first, second = (project.path / "ids.txt").read_text().split()
    assert first == second and first.startswith("msg_01")


@pytest.mark.parametrize(
    ("how", "mode", "shown"),
    [("option", "all", 2), ("ini", "all", 2), ("option", "none", 0), ("default", None, 1)],
)
def test_report_option_and_ini(project, how, mode, shown):
    write_test(
        project,
        "test_report",
        """
        def test_pass(anthropic_client):
            anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])

        def test_fail(anthropic_client):
            anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert False
        """,
    )
    args = ["-rA"]
    if how == "option":
        args += ["--streamrig-report", mode]
    elif how == "ini":
        project.makeini(INI + f"streamrig_report = {mode}\n")
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert text.count("streamrig journal") == shown
    if shown:
        assert "POST /v1/messages scenario=default attempt=1 status=200 outcome=completed" in text


@pytest.mark.parametrize("how", ["option", "ini"])
def test_client_timeout_option_and_ini(project, how):
    write_test(
        project,
        "test_timeout",
        """
        import httpx2 as httpx, pytest

        @pytest.mark.streamrig("stalled_stream")
        def test_stall_times_out(anthropic_client):
            assert anthropic_client.timeout == 0.3
            with pytest.raises(httpx.ReadTimeout):
                with anthropic_client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as s:
                    s.get_final_message()
        """,
    )
    if how == "ini":
        project.makeini(INI + "streamrig_client_timeout = 0.3\n")
        result = project.runpytest("-q")
    else:
        result = project.runpytest("-q", "--streamrig-client-timeout", "0.3")
    result.assert_outcomes(passed=1)


def test_broken_scenario_file_errors_with_file_and_line(project):
    (project.path / "tests" / "scenarios" / "broken.yaml").write_text(
        "reply: [{text: hi}]\nstopp: 1\n"
    )
    write_test(project, "test_x", "def test_x(streamrig): pass")
    result = project.runpytest("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.yaml:2: stopp: unknown key*"])


def test_xdist_gives_each_worker_its_own_server(project):
    write_test(
        project,
        "test_workers",
        """
        import os, pathlib, pytest

        @pytest.mark.parametrize("n", range(6))
        def test_many(n, streamrig, anthropic_client):
            anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
            assert len(streamrig.journal) == 1
            out = pathlib.Path(__file__).parent.parent / f"url-{os.environ['PYTEST_XDIST_WORKER']}.txt"
            out.write_text(streamrig.url)
        """,
    )
    result = project.runpytest_subprocess("-q", "-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    urls = {p.read_text() for p in project.path.glob("url-*.txt")}
    assert len(urls) == 2
    result.stdout.no_fnmatch_line("*Traceback*")


def test_coexists_with_pytest_recording(project):
    write_test(
        project,
        "test_vcr",
        """
        import pytest

        def test_both(streamrig, anthropic_client, vcr_config):
            assert vcr_config == {} or isinstance(vcr_config, dict)
            anthropic_client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
        """,
    )
    result = project.runpytest("-q", "--record-mode=none", "--streamrig-speed", "0")
    result.assert_outcomes(passed=1)


def test_client_fixtures_skip_without_the_sdk(project):
    project.makeconftest(
        "import sys\nsys.modules['anthropic'] = None\nsys.modules['openai'] = None\n"
    )
    write_test(
        project,
        "test_skip",
        """
        def test_a(anthropic_client): pass
        def test_b(async_openai_client): pass
        def test_c(streamrig): pass
        """,
    )
    result = project.runpytest_subprocess("-q", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["*could not import 'anthropic'*"])


def test_fixtures_are_documented_for_pytest_fixtures(project):
    result = project.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "streamrig_server [[]session scope[]] -- *pytest_plugin.py:*",
            "    The session's MockServer*",
            "streamrig -- *pytest_plugin.py:*",
            "    A per-test handle on the session's server*",
            "anthropic_client -- *",
            "    `anthropic.Anthropic` pointed at the server*",
            "async_openai_client -- *",
            "    `openai.AsyncOpenAI` pointed at the server*",
        ]
    )


def test_marker_is_registered(project):
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.streamrig(scenario, **overrides)*"])


@pytest.mark.parametrize("how", ["option", "ini"])
def test_server_option_and_ini_run_the_server_in_its_own_process(project, how):
    write_test(
        project,
        "test_process",
        """
        import os
        import pytest

        @pytest.mark.streamrig("greeting", timing={"gap_ms": 5})
        def test_process(anthropic_client, streamrig, streamrig_server):
            assert type(streamrig_server).__name__ == "ProcessServer"
            with anthropic_client.messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as s:
                probe = streamrig.probe(s.text_stream)
                text = "".join(probe)
            assert text == "Hi from the project"
            streamrig.check.accumulated(text=text)
            streamrig.check.timing(probe, max_gap_ms=2000)
            assert streamrig.journal[-1].scenario == "greeting"

        def test_reset_between_tests(streamrig):
            assert streamrig.journal == []
        """,
    )
    if how == "ini":
        project.makeini(INI + "streamrig_server = process\n")
        result = project.runpytest("-q")
    else:
        result = project.runpytest("-q", "--streamrig-server", "process")
    result.assert_outcomes(passed=2)
