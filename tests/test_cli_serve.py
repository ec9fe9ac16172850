"""`streamrig serve` refuses paths with nothing to serve; `make serve` gives a snippet that runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.test_serve_signals import start

ROOT = Path(__file__).resolve().parents[1]


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamrig", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=15,  # a server that starts anyway never exits: this fails the test
    )


def test_serve_refuses_to_start_when_no_file_under_the_path_loads(tmp_path):
    (tmp_path / "bad.yaml").write_text("reply: 5\n")
    (tmp_path / "worse.yaml").write_text("reply: []\nstopp: end_turn\n")
    result = serve(str(tmp_path))
    assert result.returncode == 1
    assert "Ctrl+C" not in result.stdout
    assert f"{tmp_path / 'bad.yaml'}:1: reply: expected list" in result.stderr
    assert f"{tmp_path / 'worse.yaml'}:2: stopp: unknown key" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"streamrig: no scenario loaded from {tmp_path} (2 problem(s) above); not starting"
    )


def test_serve_refuses_a_folder_without_scenario_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not a scenario")
    result = serve(str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"streamrig: no scenario loaded from {tmp_path} "
        "(no .yaml, .yml, .json, .sse file found); not starting"
    )


def test_make_serve_installs_the_sdks_its_snippet_imports():
    # -n: print the commands; -B: as on a fresh clone, where nothing is installed yet
    plan = subprocess.run(
        ["make", "-n", "-B", "serve"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert plan.returncode == 0, plan.stderr
    installs = [line for line in plan.stdout.splitlines() if "pip install" in line]
    assert any("-e '.[sdks]'" in line for line in installs), plan.stdout


def python_snippet(banner: str) -> str:
    """The lines under "From Python:" in the banner, as a script."""
    block = banner.split("From Python:\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block)


def test_the_python_snippet_serve_prints_runs_as_printed():
    process, url, banner = start()
    try:
        snippet = python_snippet(banner)
        assert f'base_url="{url}"' in snippet
        run = subprocess.run(
            [sys.executable, "-c", snippet],
            capture_output=True,
            text=True,
            timeout=30,
            env={k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL")},
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert run.returncode == 0, run.stderr
    assert re.search(r"streamrig", run.stdout), run.stdout
