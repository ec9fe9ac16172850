"""What `validate` catches that YAML and the schema alone let through: each `file:line: key: problem`."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import pytest

from streamrig.scenario import load_scenarios, schema


def problems_of(tmp_path, text: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return [str(error).replace(f"{path}:", "s.yaml:") for error in load_scenarios([path]).errors]


def test_duplicate_keys_are_problems_wherever_they_are(tmp_path):
    text = (
        "reply: [{text: hi}]\n"
        "attempts:\n  - {status: 529}\n  - {}\n"
        "attempts: {fail: 2, status: 429}\n"
        "faults:\n  - {after_events: 1, drop: reset, drop: stall}\n"
    )
    assert problems_of(tmp_path, text) == [
        "s.yaml:5: attempts: duplicate key (first on line 2); give each key once",
        "s.yaml:7: faults[0].drop: duplicate key (first on line 7); give each key once",
    ]


def test_duplicate_keys_are_reported_with_the_files_other_problems(tmp_path):
    text = "reply: [{text: hi}]\ntiming: {ttft_ms: 3}\ntiming: {ttft_ms: x}\n"
    assert problems_of(tmp_path, text) == [
        "s.yaml:3: timing: duplicate key (first on line 2); give each key once",
        "s.yaml:3: timing.ttft_ms: expected number, got string 'x'",
    ]


@pytest.mark.parametrize(
    ("attempts", "problem"),
    [
        (
            "[{status: 201}, {}]",
            "s.yaml:2: attempts[0].status: an attempt answers 200 (the stream) or an error "
            "status from 300 to 599, got 201",
        ),
        (
            "{fail: 2, status: 200}",
            "s.yaml:2: attempts.status: the failing tries need an error status from 300 to 599, "
            "got 200",
        ),
        (
            "{fail: 1, status: 204}",
            "s.yaml:2: attempts.status: the failing tries need an error status from 300 to 599, "
            "got 204",
        ),
    ],
)
def test_attempt_statuses_below_300_other_than_200_are_problems(tmp_path, attempts, problem):
    assert problems_of(tmp_path, f"reply: [{{text: hi}}]\nattempts: {attempts}\n") == [problem]


def test_attempt_status_200_and_error_statuses_are_fine(tmp_path):
    text = "reply: [{text: hi}]\nattempts: [{status: 529}, {status: 307}, {status: 200}]\n"
    assert problems_of(tmp_path, text) == []


def test_a_misspelt_key_is_named_with_a_suggestion(tmp_path):
    text = "reply: [{text: hi}]\nfaults:\n  - {after_event: 5, drop: reset}\ntimming: {}\n"
    found = problems_of(tmp_path, text)
    assert [p.split(" allowed here:")[0] for p in found] == [
        "s.yaml:3: faults[0].after_event: unknown key; did you mean after_events?",
        "s.yaml:4: timming: unknown key; did you mean timing?",
    ]


def test_a_bad_value_inside_a_fault_is_named_beside_its_other_problems(tmp_path):
    found = problems_of(tmp_path, "reply: [{text: hi}]\nfaults:\n  - {drop: boom}\n")
    assert sorted(found) == [
        "s.yaml:3: faults[0].drop: 'boom' is not one of: reset, truncate, stall",
        "s.yaml:3: faults[0]: say where it strikes: one of after_events, at_byte, after_ms, "
        "probability",
    ]


def test_the_schema_for_editors_rejects_the_same_statuses():
    validator = jsonschema.Draft202012Validator(schema())
    assert list(validator.iter_errors({"reply": [], "attempts": [{"status": 201}]}))
    assert list(validator.iter_errors({"reply": [], "attempts": {"fail": 1, "status": 200}}))
    assert not list(validator.iter_errors({"reply": [], "attempts": [{"status": 200}]}))


def test_validate_command_prints_each_problem_and_exits_1(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("reply: [{text: hi}]\nattempts: [{}]\nattempts: [{status: 100}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "streamrig", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}:3: attempts: duplicate key (first on line 2); give each key once",
        f"{path}:3: attempts[0].status: an attempt answers 200 (the stream) or an error status "
        "from 300 to 599, got 100",
    ]
