"""Start-up imports only what is used: `serve` no checks, battery, recorder, timeline views
or YAML; the plugin no server.

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
        "streamrig.scenario._cassette",  # cassettes and recorded bodies
        "streamrig.jsonstream",
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


def _loaded_by_serve() -> set[str]:
    """What `streamrig serve` (bundled library) has loaded once it is ready to listen: the
    real command, its loading, registry and app; only the listening loop is replaced."""
    code = (
        "import json, sys\n"
        "import streamrig.cli as cli\n"
        "async def ready(runner, *args, **kwargs):\n"
        "    await runner.setup()\n"
        "    print(json.dumps(sorted(sys.modules)))\n"
        "    await runner.cleanup()\n"
        "cli._run_until_stopped = ready\n"
        "cli.main(['serve', '--port', '0'], standalone_mode=False)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_serve_starts_without_what_only_other_paths_use():
    loaded = _loaded_by_serve()
    assert {"streamrig.server._app", "streamrig.providers._base", "click"} <= loaded
    unused = {
        "streamrig.providers.anthropic",  # each wire format: with its first request
        "streamrig.providers.openai_chat",
        "streamrig.providers.openai_responses",
        "streamrig.providers.gemini",
        "yaml",  # the bundled library is parsed once, into scenario/_bundled_parsed.json
        "streamrig.scenario._limits",
        "jsonschema",
        "streamrig.record",  # record, import-vcr and pass-through recording
        "streamrig.record._cassette",
        "streamrig.record._proxy",
        "streamrig.server._passthrough",
        "streamrig.timeline._model",  # the timeline views
        "streamrig.timeline._html",
        "streamrig.timeline._svg",
        "streamrig.timeline._files",
        "streamrig.server._live",  # the live page's handlers: on the first visit
        "streamrig.server._curl",
        "streamrig.server._shapes",  # stream shapes: with the first shaped scenario
        "streamrig.server._show",
        "streamrig.scenario._cassette",  # cassettes and recorded bodies
        "streamrig.jsonstream",
        "difflib",  # hints for misspelled keys and scenario names
        "importlib.resources",  # the schema file and the live page's HTML
    }
    assert not unused & loaded, sorted(unused & loaded)


def test_what_loads_on_first_use_answers_right_after_the_first_health_answer():
    """`serve` says it is healthy only once it serves: a provider request, the live page and
    a scenario's plan (handlers that load on first use) right after the first health
    answer are served in full."""
    import urllib.request

    from tests.test_serve_signals import start

    process, url, _ = start()
    try:
        with urllib.request.urlopen(f"{url}/_streamrig/health", timeout=5) as health:
            assert health.status == 200
        body = b'{"model":"m","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]}'
        asked = urllib.request.Request(
            f"{url}/v1/messages",
            data=body,
            headers={"content-type": "application/json", "x-api-key": "test"},
        )
        with urllib.request.urlopen(asked, timeout=10) as streamed:
            events = streamed.read().decode()
        assert events.startswith("event: message_start\n")
        assert events.rstrip().endswith('data: {"type":"message_stop"}'), events[-200:]
        page = urllib.request.Request(f"{url}/_streamrig/", headers={"accept": "text/html"})
        with urllib.request.urlopen(page, timeout=10) as live:
            assert live.headers["content-type"].startswith("text/html")
            assert "__STREAMRIG_DATA__" not in live.read().decode()
        plan = f"{url}/_streamrig/scenarios/default/timeline?format=text"
        with urllib.request.urlopen(plan, timeout=10) as shown:
            assert "frame 0" in shown.read().decode()
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_each_wire_format_loads_once_with_its_first_use_and_routes_as_its_class_says():
    loaded = _loaded_after(
        "import sys\n"
        "from streamrig.providers import ROUTE, ROUTES, WIRE_FORMATS, wire_format\n"
        "from streamrig.scenario import Provider\n"
        "assert 'streamrig.providers.gemini' not in sys.modules\n"
        "assert list(WIRE_FORMATS) == list(ROUTES) == list(Provider)\n"
        "wire = wire_format('gemini')\n"
        "assert wire is WIRE_FORMATS[Provider.GEMINI] is wire_format(Provider.GEMINI)\n"
        "assert 'streamrig.providers.anthropic' not in sys.modules\n"
        "for provider, wire in WIRE_FORMATS.items():\n"
        "    assert wire.provider is provider\n"
        "    assert (wire.route, wire.routes) == (ROUTE[provider], ROUTES[provider])\n"
        "try:\n"
        "    WIRE_FORMATS['nope']\n"
        "except KeyError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('an unknown provider has no wire format')"
    )
    assert {"streamrig.providers.gemini", "streamrig.providers.anthropic"} <= loaded
