"""The README's reliability example runs as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx2 as httpx

from tests.test_cli import start_serve, stop

README = (Path(__file__).parents[2] / "README.md").read_text("utf-8")


def test_the_reliability_example_runs():
    section = README.split("## Reliability and limits", 1)[1].split("\n## ", 1)[0]
    serve, curl = re.findall(r"^\$ (.+)$", section, re.MULTILINE)[:2]
    args = shlex.split(serve)
    assert args[:2] == ["streamrig", "serve"]
    process, url = start_serve(*args[2:])
    try:
        target = shlex.split(curl)[1].replace("http://127.0.0.1:8765", url)
        page = httpx.get(target, timeout=10).json()
        assert page["entries"] == [] and page["more"] is False
        refused = httpx.get(url + "/_streamrig/journal", headers={"host": "evil.example"})
        assert refused.status_code == 421
        allowed = httpx.get(url + "/_streamrig/health", headers={"host": "mock:1"})
        assert allowed.status_code == 200
    finally:
        stop(process)
