"""`@pytest.mark.streamrig(NAME, shapes=N)`, run through pytester as a user's project runs it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamrig.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
NAIVE = Path(__file__).with_name("naive.py").read_text()


def test_shapes_run_the_test_once_per_variant_and_name_the_failing_one(pytester):
    # If a project parses the stream with a careless parser, over 6 shapes of a scenario
    pytester.makeini(INI)
    pytester.makepyfile(naive=NAIVE)
    pytester.makepyfile(
        test_shaped=textwrap.dedent(
            """
            import pytest
            from naive import stream_text, utf8_per_read
            from streamrig import load_scenarios
            from streamrig.scenario import bundled_path

            UNICODE = load_scenarios([bundled_path() / "unicode.yaml"]).scenarios[0]
            TEXT = UNICODE.reply.parts[0].text

            @pytest.mark.streamrig("unicode", shapes=6, shape_seed=11)
            def test_careless(streamrig, streamrig_shape):
                assert stream_text(streamrig.url, utf8_per_read) == TEXT

            @pytest.mark.streamrig("unicode", shapes=4, shape_seed=11, shape_level="sse")
            def test_spec_decoder(streamrig, streamrig_shape):
                import json
                import httpx2 as httpx
                from streamrig.sse import SSEDecoder

                body = {"model": "m", "max_tokens": 9, "stream": True, "messages": [{"role": "user", "content": "x"}]}
                decoder, text = SSEDecoder(), ""
                with httpx.stream("POST", streamrig.url + "/v1/messages", json=body) as response:
                    for read in response.iter_raw():
                        for event in decoder.decode(read):
                            delta = json.loads(event.data).get("delta", {})
                            text += delta.get("text", "")
                assert text == TEXT
                assert streamrig.journal[-1].scenario == f"unicode@shape-{streamrig_shape}"
                assert bytes(streamrig.journal[-1].sent) != b""

            @pytest.mark.streamrig("unicode", shapes=3, shape_seed=11)
            def test_sdk(anthropic_client, streamrig):
                with anthropic_client.messages.stream(
                    model="m", max_tokens=50, messages=[{"role": "user", "content": "x"}]
                ) as stream:
                    stream.until_done()
                streamrig.check.accumulated(stream.get_final_message())
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    outcomes = result.parseoutcomes()
    # Then each variant is its own test, with its id
    result.stdout.fnmatch_lines(["*test_careless?shape-0? *", "*test_careless?shape-5? *"])
    result.stdout.fnmatch_lines(["*test_sdk?shape-2? PASSED*"])
    result.stdout.fnmatch_lines(["*test_spec_decoder?shape-3? PASSED*"])
    # the sse level, read by a decoder that follows the specification: every shape passes
    assert "test_spec_decoder[shape-" not in "".join(
        line for line in result.stdout.lines if line.startswith("FAILED")
    )
    assert outcomes.get("failed", 0) >= 1 and outcomes["passed"] >= 4 + 3 + 1
    # And a failure names the shape, its seed and the command that shows its bytes
    text = result.stdout.str()
    found = re.search(
        r"shape-(\d) of 'unicode' failed \(level realistic, shape seed (\d+), from seed 11\)\.\n"
        r"Its bytes: streamrig show (\S+) --shape (\d) --seed 11 --provider anthropic",
        text,
    )
    assert found, text
    index, path, again = found.group(1), found.group(3), found.group(4)
    assert index == again and path.endswith("unicode.yaml")
    # And that command prints the variant's bytes, writes cut inside a character included
    shown = CliRunner().invoke(main, ["show", path, "--shape", index, "--seed", "11"])
    assert shown.exit_code == 0, shown.output
    assert f"# unicode@shape-{index}: chunking=" in shown.output
    assert re.search(r"b'\\x[89ab][0-9a-f]", shown.output), "a write starts inside a character"


def test_shapes_must_be_a_count(pytester):
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.streamrig("unicode", shapes="many")
        def test_x(streamrig):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*shapes=...) takes a number of shapes (>= 1), not 'many'*"])


def test_a_failing_shape_of_a_scenario_built_in_python_says_how_to_rebuild_it(pytester):
    pytester.makeini(INI)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.streamrig({"name": "mine", "reply": [{"text": "hi"}]}, shapes=2)
        def test_x(streamrig, anthropic_client):
            anthropic_client.messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
            assert streamrig_shape_is_never_right
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "shape-1 of 'mine' failed (level realistic, shape seed *, from seed 0).",
            "Rebuild it: streamrig.shapes(scenario, 2, seed=0, level='realistic')[1]",
        ]
    )
