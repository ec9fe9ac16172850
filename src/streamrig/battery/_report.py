"""The battery's report: a card for people, JSON and JUnit XML for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._judge import CaseResult

__all__ = ["BatteryReport", "progress_line"]


@dataclass(frozen=True, slots=True)
class BatteryReport:
    """Every case's result, in case order."""

    provider: str
    command: tuple[str, ...]
    results: tuple[CaseResult, ...]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        return not self.failed

    def card(self) -> str:
        """A table: case, what was expected, what the client did, verdict; then a summary."""
        rows = [("case", "expected", "client did", "verdict")]
        rows += [(r.case.name, r.case.expect.value, r.did, r.verdict) for r in self.results]
        width = [max(len(row[i]) for row in rows[:]) for i in range(2)]
        lines = [
            f"{row[0]:<{width[0]}}  {row[1]:<{width[1]}}  {row[3]:<7} {row[2]}" for row in rows
        ]
        lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        total, bad = len(self.results), len(self.failed)
        return f"{total - bad} passed, {bad} failed ({self.provider}: {' '.join(self.command)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "command": list(self.command),
            "passed": len(self.results) - len(self.failed),
            "failed": len(self.failed),
            "cases": [_case_dict(r) for r in self.results],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    def write_junit(self, path: Path) -> None:
        suite = ET.Element(
            "testsuite",
            name=f"streamrig battery ({self.provider})",
            tests=str(len(self.results)),
            failures=str(len(self.failed)),
            errors="0",
            time=f"{sum(r.run.duration_s for r in self.results):.3f}",
        )
        for result in self.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"streamrig.battery.{self.provider}",
                name=result.case.name,
                time=f"{result.run.duration_s:.3f}",
            )
            if not result.passed:
                failure = ET.SubElement(case, "failure", message=result.did[:500])
                failure.text = (
                    f"expected: {result.case.expect.value}\nclient did: {result.did}\n"
                    f"stderr (end):\n{_clean(result.run.stderr[-2000:])}"
                )
            ET.SubElement(case, "system-out").text = _clean(result.run.stdout[-4000:])
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def progress_line(number: int, total: int, result: CaseResult) -> str:
    """`[ 3/16] pass  fault/reset  exit 1 after 0.4 s: ...`, printed as each case ends."""
    return f"[{number:>{len(str(total))}}/{total}] {result.verdict:<4}  {result.case.name}  {result.did}"


def _case_dict(result: CaseResult) -> dict[str, Any]:
    return {
        "case": result.case.name,
        "expected": result.case.expect.value,
        "did": result.did,
        "verdict": "pass" if result.passed else "fail",
        "exit": result.run.exit_code,
        "hung": result.run.exit_code is None,
        "duration_s": round(result.run.duration_s, 3),
        "requests": result.requests,
        "outcomes": list(result.outcomes),
        "waits_s": list(result.waits_s),
        "stdout": result.run.stdout[-4000:],
        "stderr": result.run.stderr[-2000:],
    }


def _clean(text: str) -> str:
    """Text XML can carry: control characters (ANSI colours, NUL) dropped."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
