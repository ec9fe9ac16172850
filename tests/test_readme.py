"""The README stays true: its snippets run, its scenarios load, its sample output is real.

Conventions, an HTML comment on the line before a fence (invisible on GitHub):

- `<!-- test: run -->` before ```python: run as a script; `http://127.0.0.1:8765` is
  replaced by the URL of a server on the bundled library.
- `<!-- test: pytest -->` before ```python: a test file of a user's project (the plugin
  loaded); it must pass. `<!-- test: pytest, fails as shown below -->`: it must fail,
  and the ```text block after it must be its `E` lines, exactly.
- `<!-- test: console -->` before ```console: each `$ ` command runs in bash, in a folder
  holding every ```yaml block whose first line is `# NAME.yaml`, against `streamrig
  serve`; where output follows a command, it must be that output (stdout + stderr).
- Every ```yaml block that is a mapping is a scenario (or a fragment of one: it is
  completed with `reply: []`) and must validate; `<!-- test: invalid -->` marks one
  that must not. Cassettes (`interactions:`) are left to the cassette tests.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from streamrig import MockServer, ScenarioError
from streamrig.scenario import scenario_from_text
from tests.test_serve_signals import start

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
URL = "http://127.0.0.1:8765"


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # README line of the fence
    text: str
    mark: str | None  # what the `<!-- test: ... -->` before the fence says
    heading: str = ""  # the `## ` or `### ` heading it is under


def readme_blocks() -> list[Block]:
    lines = README.read_text("utf-8").splitlines()
    found, index, heading = [], 0, ""
    while index < len(lines):
        fence = re.match(r"^```(\w+)\s*$", lines[index])
        if not fence:
            if re.match(r"^#{2,3} ", lines[index]):
                heading = lines[index]
            index += 1
            continue
        end = lines.index("```", index + 1)
        before = lines[index - 1] if index else ""
        mark = re.match(r"^<!-- test: (.+?) -->$", before)
        found.append(
            Block(
                fence.group(1),
                index + 1,
                "\n".join(lines[index + 1 : end]) + "\n",
                mark.group(1) if mark else None,
                heading,
            )
        )
        index = end + 1
    return found


BLOCKS = readme_blocks()


def marked(lang: str, *marks: str) -> list[Block]:
    return [b for b in BLOCKS if b.lang == lang and b.mark in marks]


def block_id(block: Block) -> str:
    return f"README.md:{block.line}"


# Sections whose Python blocks another test runs, in the setting they need.
RUN_ELSEWHERE = {
    "## Conversations and agent loops": "tests/test_readme_conversations.py (a project layout)",
    "## The battery": "tests/shapes/test_readme.py (a client file beside it)",
}


def test_the_readme_marks_snippets_to_run():
    assert len(marked("python", "run")) >= 6
    assert len(marked("python", "pytest")) >= 6
    # Every Python block is run: here, or by the test that needs its surroundings; a
    # fragment (with `...` where code goes) is not code.
    unmarked = [b for b in BLOCKS if b.lang == "python" and b.mark is None]
    left = [b for b in unmarked if "..." not in b.text and b.heading not in RUN_ELSEWHERE]
    assert not left, [block_id(b) for b in left]


SCENARIO_YAML = [
    b
    for b in BLOCKS
    if b.lang == "yaml"
    and isinstance(yaml.safe_load(b.text), dict)
    and "interactions" not in yaml.safe_load(b.text)
]


@pytest.mark.parametrize("block", SCENARIO_YAML, ids=block_id)
def test_readme_yaml_scenarios_validate(block):
    text = block.text
    if not {"reply", "events", "turns"} & set(yaml.safe_load(text)):
        text += "reply: []\n"  # a fragment (timing, faults, attempts): complete it
    source = block_id(block)
    if block.mark == "invalid":
        with pytest.raises(ScenarioError):
            scenario_from_text(text, "readme", source=source)
    else:
        scenario_from_text(text, "readme", source=source)


# What a section's printing snippet must print (beyond printing something).
PRINTS = {
    "### Gemini": ["Let me check the weather for you.", "get_weather"],
    "## Checks": ["chunk 0 carried event 0, "],
}


@pytest.mark.parametrize("block", marked("python", "run"), ids=block_id)
def test_readme_python_snippets_run(block):
    with MockServer(speed=0) as server, contextlib.redirect_stdout(io.StringIO()) as out:
        code = block.text.replace(URL, server.url)
        exec(compile(code, block_id(block), "exec"), {"__name__": "__readme__"})
    if "print(" in block.text:
        printed = out.getvalue()
        assert printed
        for words in PRINTS.get(block.heading, []):
            assert words in printed, f"{block_id(block)} printed {printed!r}"


def expected_failure(block: Block) -> list[str]:
    after = BLOCKS[BLOCKS.index(block) + 1]
    assert after.lang == "text", f"{block_id(block)}: a ```text block of its failure must follow"
    return after.text.splitlines()


def run_in_project(pytester, blocks: list[Block]):
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_readme_{number}": block.text})
    return pytester.runpytest("-p", "no:randomly", "--tb=short")


def test_readme_pytest_snippets_pass(pytester):
    passing = marked("python", "pytest")
    run_in_project(pytester, passing).assert_outcomes(passed=len(passing))


@pytest.mark.parametrize("block", marked("python", "pytest, fails as shown below"), ids=block_id)
def test_readme_failing_snippet_fails_as_shown(pytester, block):
    result = run_in_project(pytester, [block])
    result.assert_outcomes(failed=1)
    shown = [line.rstrip() for line in result.stdout.lines if line.startswith("E ")]
    assert shown == expected_failure(block), (
        "README.md:{} shows a failure the test no longer gives; the real one is:\n{}".format(
            block.line, "\n".join(shown)
        )
    )


def console_commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) pairs; continuation lines joined."""
    commands: list[tuple[str, list[str]]] = []
    lines = iter(block.text.splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + next(lines).strip()
            commands.append((command, []))
        else:
            commands[-1][1].append(line)
    return commands


def files_named_in_yaml_blocks() -> dict[str, str]:
    named = {}
    for block in BLOCKS:
        first = block.text.splitlines()[0]
        if block.lang == "yaml" and re.fullmatch(r"# [\w.-]+\.yaml", first):
            named[first[2:]] = block.text
    return named


@pytest.mark.parametrize("block", marked("console", "console"), ids=block_id)
def test_readme_console_blocks_run_as_shown(block, tmp_path):
    for name, text in files_named_in_yaml_blocks().items():
        (tmp_path / name).write_text(text)
    with contextlib.ExitStack() as stack:
        url = URL
        if URL in block.text:  # the block talks to a server: start `streamrig serve`
            process, url, _ = start()
            stack.callback(process.communicate, timeout=10)
            stack.callback(process.terminate)
        for command, expected in console_commands(block):
            ran = run_command(command.replace(URL, url), tmp_path)
            if expected:
                shown = (ran.stdout + ran.stderr).replace(url, URL).splitlines()
                assert shown == expected, f"{block_id(block)}: {command}"
            else:
                assert ran.returncode == 0, f"{block_id(block)}: {command}\n{ran.stderr}"


def run_command(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # curl fails on an HTTP error status, so a refused admin call fails the test
    command = re.sub(r"^curl ", "curl -sS --fail-with-body ", command)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=30
    )


# Option tables: a header `| flag |`, `| option | ini |` or `| `streamrig X` flag |`.
@dataclass(frozen=True)
class OptionRow:
    owner: str  # a CLI command's name, or "pytest" (the plugin's table)
    line: int
    options: tuple[str, ...]  # the `--flags` the row names
    ini: tuple[str, ...]  # the plugin table's ini names


def option_rows() -> list[OptionRow]:
    lines = README.read_text("utf-8").splitlines()
    rows, since_heading = [], 0
    for number, line in enumerate(lines):
        if line.startswith("#"):
            since_heading = number
        header = re.match(r"^\| (`streamrig ([\w-]+)` )?(flag|option) \|", line)
        if not header or not lines[number + 1].startswith("|---"):
            continue
        before = "\n".join(lines[since_heading:number])
        named = re.findall(r"`streamrig ([a-z][\w-]*)", before)
        owner = "pytest" if header.group(3) == "option" else header.group(2) or named[-1]
        for index in range(number + 2, len(lines)):
            if not lines[index].startswith("|"):
                break
            cells = lines[index].split(" | ")
            rows.append(
                OptionRow(
                    owner,
                    index + 1,
                    tuple(re.findall(r"`(--[\w-]+)", cells[0])),
                    tuple(re.findall(r"`(streamrig_\w+)`", cells[1])) if owner == "pytest" else (),
                )
            )
    return rows


def cli_options() -> dict[str, set[str]]:
    import click

    from streamrig.cli import main

    return {
        name: {
            opt
            for param in command.params
            if isinstance(param, click.Option) and not param.hidden
            for opt in param.opts
        }
        for name, command in main.commands.items()
    }


def test_every_cli_option_has_its_readme_row_and_every_row_an_option():
    documented: dict[str, set[str]] = {}
    for row in option_rows():
        assert row.options, f"README.md:{row.line}: an option row names no `--option`"
        documented.setdefault(row.owner, set()).update(row.options)
    for command, options in cli_options().items():
        if not options:
            continue
        assert command in documented, f"`streamrig {command}` has options but no README table"
        assert documented[command] - options == set(), f"README rows of `streamrig {command}`"
        assert options - documented[command] == set(), f"undocumented `streamrig {command}` options"


def test_every_plugin_option_and_ini_has_its_readme_row(pytester):
    rows = [row for row in option_rows() if row.owner == "pytest"]
    # The inner run reads none of this project's ini: name pytest-asyncio's loop scope, or
    # it warns that it is unset.
    shown = pytester.runpytest(
        "--help", "-o", "asyncio_default_fixture_loop_scope=function"
    ).stdout.str()
    options = set(re.findall(r"^\s+(--streamrig-[\w-]+)", shown, re.M))
    inis = set(re.findall(r"^\s+(streamrig_\w+) \(", shown, re.M))
    assert options and inis
    assert {o for row in rows for o in row.options} == options
    assert {i for row in rows for i in row.ini} == inis


@pytest.mark.parametrize("row", option_rows(), ids=lambda row: f"README.md:{row.line}")
def test_every_documented_option_is_used_by_a_test(row):
    """A README option row is backed by a test that passes the option (not just this file)."""
    sources = [
        path.read_text("utf-8")
        for path in (ROOT / "tests").rglob("*.py")
        if path.name != "test_readme.py" and "benchmarks" not in path.parts
    ]
    for option in row.options:
        pattern = re.compile(rf"""["'\s=]{re.escape(option)}\b(?!-)""")
        assert any(pattern.search(source) for source in sources), (
            f"README.md:{row.line}: no test passes {option}"
        )
