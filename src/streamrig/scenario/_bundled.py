"""Where the bundled scenario library lives: inside the wheel, or the repo's `scenarios/`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_path"]


def bundled_path() -> Path:
    """The folder of bundled scenarios (`streamrig/scenarios` in a wheel, `scenarios/` in a checkout)."""
    installed = Path(__file__).resolve().parent.parent / "scenarios"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "scenarios"
