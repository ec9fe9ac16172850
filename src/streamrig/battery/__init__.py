"""The battery: run any program, in any language, once per case, and judge it from outside.

Each case points the program at its own scenario (`ANTHROPIC_BASE_URL`,
`OPENAI_BASE_URL`, `STREAMRIG_URL`, `STREAMRIG_CASE`, `STREAMRIG_PROVIDER`); the
verdict comes from the exit status, what it printed, the journal and the time taken.
"""

from ._cases import CONTENT_SCENARIOS, Case, Expect, build_cases, select_cases
from ._judge import CaseResult, Run, judge
from ._report import BatteryReport, progress_line
from ._run import case_env, run_battery, run_command

__all__ = [
    "CONTENT_SCENARIOS",
    "BatteryReport",
    "Case",
    "CaseResult",
    "Expect",
    "Run",
    "build_cases",
    "case_env",
    "judge",
    "progress_line",
    "run_battery",
    "run_command",
    "select_cases",
]
