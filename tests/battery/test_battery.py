"""`streamrig battery` on real clients: Python and TypeScript on the official SDKs, and a careless one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamrig import MockServer, Shape, ShapeLevel
from streamrig.cli import main
from streamrig.server import choices_of, variant_seed

from .conftest import EXAMPLES, HERE

PYTHON_CLIENT = [sys.executable, str(EXAMPLES / "battery_client.py")]
CARELESS = [sys.executable, str(HERE / "careless_client.py")]
SHAPED = ("unicode", "tool_after_text")
ALL_PASS_BUT_STALL = {
    "text/short_text",
    "text/unicode",
    "text/tool_after_text",
    "text/multiple_text_blocks",
    "shape/unicode@shape-0",
    "shape/tool_after_text@shape-0",
    "fault/reset",
    "fault/truncate",
    "fault/error_event",
    "fault/malformed",
    "retry/429",
    "retry/529",
    "recovery/reset_then_ok",
}


def battery(tmp_path: Path, command: list[str], *options: str):
    """Run the battery; return (exit code, output, the JSON report, the JUnit tree)."""
    out_json, out_xml = tmp_path / "card.json", tmp_path / "card.xml"
    args = ["battery", "--shapes", "1", "--jobs", "3", *options]
    args += ["--json", str(out_json), "--junit", str(out_xml), "--", *command]
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    report = json.loads(out_json.read_text())
    return result.exit_code, result.output, report, ET.parse(out_xml).getroot()


def verdicts(report) -> dict[str, str]:
    return {case["case"]: case["verdict"] for case in report["cases"]}


def did(report, name: str) -> str:
    return next(case["did"] for case in report["cases"] if case["case"] == name)


def test_python_client_on_the_official_sdk_passes_the_whole_battery(tmp_path):
    code, output, report, junit = battery(tmp_path, PYTHON_CLIENT, "--timeout", "20")
    assert verdicts(report) == dict.fromkeys([*ALL_PASS_BUT_STALL, "fault/stall"], "pass"), output
    assert code == 0
    # a progress line per case, then the card and its summary
    assert output.count("] pass  ") == 14
    assert "14 passed, 0 failed (anthropic:" in output
    assert "exit 1" in did(report, "fault/truncate")  # it checks stop_reason itself
    assert "ReadTimeout" in did(report, "fault/stall")  # its 3 s timeout fired
    waits = next(c["waits_s"] for c in report["cases"] if c["case"] == "retry/429")
    assert waits[0] >= 0.95  # retry-after: 1
    suite = junit.find("testsuite")
    assert suite.get("tests") == "14" and suite.get("failures") == "0"


def test_typescript_client_passes_all_but_the_stall_where_the_node_sdk_hangs(tmp_path, ts_client):
    # three shapes of each shaped scenario: writes cut inside characters, CRLF, keep-alives
    code, output, report, junit = battery(tmp_path, ts_client, "--timeout", "8", "--shapes", "3")
    more_shapes = {f"shape/{name}@shape-{k}" for name in SHAPED for k in (1, 2)}
    expected = dict.fromkeys(ALL_PASS_BUT_STALL | more_shapes, "pass") | {"fault/stall": "fail"}
    assert verdicts(report) == expected, output
    assert code == 1
    # Node's Anthropic SDK has timeout: 3000, yet the battery had to kill it
    assert did(report, "fault/stall").startswith("hung: killed after the 8 s timeout")
    assert "stream ended without producing a Message" in did(report, "fault/truncate")
    assert "AnthropicError: Unterminated string in JSON" in did(report, "fault/malformed")
    failures = junit.findall(".//failure")
    assert [f.get("message")[:5] for f in failures] == ["hung:"]


@pytest.mark.parametrize("provider", ["openai-chat", "openai-responses"])
def test_typescript_client_on_openai_endpoints(tmp_path, ts_client, provider):
    cases = "text/unicode,shape/tool_after_text@shape-0,fault/truncate,retry/529"
    code, output, report, _ = battery(
        tmp_path, ts_client, "--provider", provider, "--cases", cases, "--timeout", "8"
    )
    assert set(verdicts(report).values()) == {"pass"}, output
    assert code == 0
    truncated = did(report, "fault/truncate")
    if provider == "openai-responses":
        # responses.stream() resolves a truncated stream: the client sees status in_progress
        assert "Error: response in_progress" in truncated
    else:
        assert "ended before finish_reason" in truncated  # create(stream) raised nothing


def test_a_careless_client_gets_the_verdicts_it_deserves(tmp_path):
    cases = "text/unicode,fault/truncate,retry/429,fault/reset"
    code, output, report, junit = battery(tmp_path, CARELESS, "--cases", cases, "--timeout", "10")
    assert verdicts(report) == {
        "text/unicode": "pass",
        "fault/reset": "pass",  # httpx raises, so it exits 1
        "fault/truncate": "fail",
        "retry/429": "fail",
    }, output
    assert code == 1
    assert "exit 0 after" in did(report, "fault/truncate")
    assert "took the broken stream as complete (printed" in did(report, "fault/truncate")
    assert "before the 1 s retry-after" in did(report, "retry/429")
    assert "2 passed, 2 failed" in output
    assert len(junit.findall(".//failure")) == 2


def test_node_sdks_hang_on_a_stall_and_differ_on_truncation_and_errors(node_facts):
    with MockServer(seed=1) as server:
        server.add(
            {
                "name": "malformed_stream",
                "reply": [{"text": "A reply with a broken line in it."}],
                "faults": [{"after_events": 5, "malformed": True}],
            }
        )
        done = subprocess.run(
            node_facts,
            env={**os.environ, "STREAMRIG_SERVER": server.url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    facts = {
        (row["api"], row["scenario"]): (row["outcome"], row["detail"])
        for row in map(json.loads, done.stdout.splitlines())
    }
    truncated = {api: facts[(api, "truncated_stream")] for api, _ in facts}
    assert truncated == {
        "anthropic messages.stream": (
            "raised",
            "AnthropicError: stream ended without producing a Message with role=assistant",
        ),
        "openai chat.completions.stream": ("raised", "Error: missing finish_reason for choice 0"),
        "openai chat.completions.create(stream)": ("resolved", "finish_reason null"),
        "openai responses.stream": ("resolved", "status in_progress"),
    }
    errored = {api: facts[(api, "overloaded_mid_stream")] for api in truncated}
    assert errored["openai responses.stream"] == ("resolved", "status failed")
    assert {errored[api][0] for api in truncated if "responses" not in api} == {"raised"}
    assert {facts[(api, "connection_reset")][1].split(": ")[-1] for api in truncated} == {
        "terminated"
    }
    malformed = {api: facts[(api, "malformed_stream")] for api in truncated}
    assert {outcome for outcome, _ in malformed.values()} == {"raised"}
    assert all("Unterminated string in JSON" in detail for _, detail in malformed.values())
    # timeout: 1000 ms, and still nothing after 4 s: a silent stream hangs every Node SDK
    assert {facts[(api, "stalled_stream")][0] for api in truncated} == {"hung"}


def test_battery_usage_errors(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["battery"])
    assert missing.exit_code == 2 and "needs a command after `--`" in missing.output
    unknown = runner.invoke(main, ["battery", "--cases", "fault/nope", "--", "true"])
    assert unknown.exit_code == 2
    assert "no case matches fault/nope; cases: text/short_text" in unknown.output
    globbed = runner.invoke(
        main, ["battery", "--list", "--shapes", "2", "--cases", "shape/unicode*"]
    )
    assert [line.split()[0] for line in globbed.output.splitlines()] == [
        "shape/unicode@shape-0",
        "shape/unicode@shape-1",
    ]
    listed = runner.invoke(main, ["battery", "--list", "--shapes", "0", "--cases", "fault"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == [
        "fault/reset",
        "fault/truncate",
        "fault/error_event",
        "fault/malformed",
        "fault/stall",
    ]


def test_a_client_calling_another_endpoint_is_told_so(tmp_path):
    # The Python example speaks Messages and Chat only: on Responses it calls Chat.
    code, _, report, _ = battery(
        tmp_path, PYTHON_CLIENT, "--provider", "openai-responses", "--cases", "text/short_text"
    )
    assert code == 1
    assert did(report, "text/short_text").startswith(
        "called the openai-chat endpoint; this battery runs --provider openai-responses"
    )


@pytest.mark.parametrize("provider", ["anthropic", "openai-chat"])
def test_node_sdks_pass_every_sse_shape_where_the_python_sdks_do_not(tmp_path, ts_client, provider):
    # Shapes 0-5 at seed 0 hold a BOM (3, 4, 5) and id: fields with keep-alives (0, 5):
    # the two places where the Python SDKs leave the SSE specification (tests/shapes).
    code, output, report, _ = battery(
        tmp_path,
        ts_client,
        *("--provider", provider, "--cases", "shape/unicode*", "--shapes", "6"),
        *("--shape-level", "sse"),
    )
    assert len(report["cases"]) == 6
    choices = [choices_of(Shape(variant_seed(0, k), ShapeLevel.SSE)) for k in range(6)]
    assert [k for k, c in enumerate(choices) if c.bom] == [3, 4, 5]
    assert [k for k, c in enumerate(choices) if c.ids and c.keepalive_rate] == [0, 5]
    assert set(verdicts(report).values()) == {"pass"}, output
    assert code == 0
