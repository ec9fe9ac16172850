"""What users install: the wheel carries the bundled library and the schema, and works from it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("streamrig-*.whl")
    return wheel


def test_wheel_ships_every_bundled_scenario_the_schema_and_the_command(tmp_path):
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {
        f"streamrig/scenarios/{p.relative_to(ROOT / 'scenarios').as_posix()}"
        for p in (ROOT / "scenarios").rglob("*.yaml")
    }
    assert bundled and bundled <= names
    shipped = {"streamrig/scenario/schema.json", "streamrig/scenario/_bundled_parsed.json"}
    assert {*shipped, "streamrig/py.typed"} <= names
    entry_points = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("entry_points.txt")))
        .decode()
    )
    assert "streamrig = streamrig.cli:main" in entry_points


def test_installed_wheel_finds_its_bundled_library(tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import sys; from streamrig.scenario import bundled_path, load_scenarios;"
        "p = bundled_path(); print(p); print(len(load_scenarios([p]).scenarios));"
        "print('yaml' in sys.modules)"  # the wheel's library is read from its parsed copy
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    where, count, parsed_yaml = result.stdout.split()
    assert Path(where).is_relative_to(target)
    assert int(count) >= 15
    assert parsed_yaml == "False"
