"""Start-up imports only what is used: `serve` no checks or battery, the plugin no server.

The timings are in tests/benchmarks/bench_hotpath.py (`--only startup,plugin`); these
tests hold the mechanism: which modules a fresh interpreter has loaded."""

from __future__ import annotations

import json
import subprocess
import sys


def _loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_the_cli_loads_neither_checks_nor_battery_nor_test_helpers():
    loaded = _loaded_after("import streamrig.cli")
    assert "streamrig.server._app" in loaded  # what serve needs is there
    unused = {
        "streamrig.checks",
        "streamrig.battery",
        "streamrig.rig",
        "streamrig.server._process",
        "streamrig.server._thread",
        "streamrig.server._show",
        "multiprocessing",
    }
    assert not unused & loaded, sorted(unused & loaded)


def test_the_plugin_loads_no_server_until_a_test_asks_for_one():
    loaded = _loaded_after("import streamrig.pytest_plugin")
    assert not {m for m in loaded if m.startswith(("aiohttp", "streamrig.server"))}
    assert "yaml" not in loaded and "streamrig.scenario" not in loaded


def test_the_package_names_load_on_first_use():
    loaded = _loaded_after(
        "import sys\nimport streamrig\n"
        "assert 'streamrig.server' not in sys.modules\n"
        "from streamrig import MockServer, Rig, checks, probe, shapes\n"
        "assert MockServer.__module__ == 'streamrig.server._thread'\n"
        "assert callable(probe) and callable(shapes) and checks.__name__ == 'streamrig.checks'\n"
        "import streamrig.probe\n"
        "assert streamrig.probe is probe  # the function, not its module"
    )
    assert "streamrig.server._thread" in loaded


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    import streamrig
    import streamrig.server

    for module in (streamrig, streamrig.server):
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            module.__getattr__("nope")
