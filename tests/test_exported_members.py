"""The public surface: `streamrig.__all__` is sorted and every name is importable."""

from __future__ import annotations

import importlib

import pytest

import streamrig

MODULES = [
    "streamrig",
    "streamrig.scenario",
    "streamrig.providers",
    "streamrig.server",
    "streamrig.sse",
    "streamrig.battery",
    "streamrig.timeline",
]


def isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then the rest (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name):
    module = importlib.import_module(name)
    exported = module.__all__
    assert list(exported) == sorted(exported, key=isort_key), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported)
    for member in exported:
        assert hasattr(module, member), f"{name}.{member}"


def test_top_level_names():
    assert {"MockServer", "Scenario", "ScenarioError", "StreamrigError", "Journal"} <= set(
        streamrig.__all__
    )
    assert streamrig.__version__
