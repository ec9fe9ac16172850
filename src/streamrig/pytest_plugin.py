"""The pytest plugin: options, the `streamrig` marker, fixtures. No logic of its own.

Registered under the `pytest11` entry point `streamrig`, so installing streamrig is
all a project does. A session-wide MockServer runs on its own thread (one per xdist
worker); the `streamrig` fixture resets it for each test and plays the marker's
scenario.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import MockServer, shapes
from ._errors import UsageError
from .rig import Played, Rig
from .scenario import Scenario, bundled_path
from .server import ProcessServer
from .timeline import STYLE, clear_pages, fragment, write_index, write_test_page

__all__ = ["StreamrigSettings"]

_SOCKET = pytest.StashKey[socket.socket]()
API_KEY = "sk-streamrig-test-key"


@dataclass(frozen=True, slots=True)
class StreamrigSettings:
    """The plugin's settings, merged once: command line > ini file > defaults."""

    scenario_dirs: tuple[Path, ...]
    speed: float
    seed: int | None
    report: str
    client_timeout: float
    record: str
    upstream: str | None
    bundled: bool
    lenient: bool = False
    server: str = "thread"
    html_dir: Path | None = None
    html_when: str = "failed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("streamrig", "streamrig: mock LLM streaming server")
    options: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "scenarios",
            "Folder of scenario files found by name (repeatable; default: tests/scenarios and scenarios/ if present).",
            {"action": "append", "metavar": "DIR"},
            "paths",
        ),
        (
            "speed",
            "Scale every wait of every scenario (0: no waits). Default 1.",
            {"metavar": "F"},
            "string",
        ),
        (
            "seed",
            "Seed for ids, jitter and random faults. Default: none.",
            {"metavar": "N"},
            "string",
        ),
        (
            "report",
            "Add the journal to test reports: none, failed (default) or all.",
            {"choices": ("none", "failed", "all")},
            "string",
        ),
        (
            "client-timeout",
            "Timeout in seconds of the SDK client fixtures. Default 10.",
            {"metavar": "S"},
            "string",
        ),
        (
            "record",
            "Cassettes of tests marked streamrig(cassette=...): none (replay only; the default), once "
            "(record a missing cassette), new (also record requests it lacks), all (record afresh).",
            {"choices": ("none", "once", "new", "all")},
            "string",
        ),
        (
            "upstream",
            "The real API recorded through, e.g. https://api.anthropic.com.",
            {"metavar": "URL"},
            "string",
        ),
        (
            "no-bundled",
            "Leave the bundled scenario library out: only your own scenarios are served.",
            {"action": "store_true"},
            "bool",
        ),
        (
            "lenient",
            "Accept follow-up requests the real API would refuse (unanswered tool calls, unknown ids).",
            {"action": "store_true"},
            "bool",
        ),
        (
            "server",
            "Where the session's server runs: thread (in the test's process; the default) or "
            "process (its own process: a busy test cannot make its frames late; ~0.5 s to start).",
            {"choices": ("thread", "process")},
            "string",
        ),
        (
            "html",
            "Write a timeline page per test (every request it made) and an index.html into DIR.",
            {"metavar": "DIR"},
            "string",
        ),
        (
            "html-when",
            "Which tests get a timeline page (--streamrig-html) or pytest-html attachment: "
            "failed (the default) or all.",
            {"choices": ("failed", "all")},
            "string",
        ),
    ]
    for name, help_text, kwargs, ini_type in options:
        dest = "streamrig_" + name.replace("-", "_")
        group.addoption(f"--streamrig-{name}", dest=dest, default=None, help=help_text, **kwargs)
        parser.addini(dest, help=help_text + f" (ini twin of --streamrig-{name})", type=ini_type)  # type: ignore[arg-type]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "streamrig(scenario, **overrides): play this scenario (a name, path or mapping) "
        "for the test, with scenario keys overridden (faults=..., timing=..., attempts=...); "
        "shapes=N runs the test once per shape of the scenario (shape_level='sse', shape_seed=S).",
    )
    if not _is_xdist_controller(config):
        # Bound now (not yet served) so the report header can name the URL.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config.stash[_SOCKET] = sock


def pytest_unconfigure(config: pytest.Config) -> None:
    sock = config.stash.get(_SOCKET, None)
    if sock is not None:
        sock.close()  # a served socket is closed already; closing again is harmless


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = settings_of(config)
    folders = ", ".join(str(p) for p in settings.scenario_dirs) or "none"
    sock = config.stash.get(_SOCKET, None)
    where = (
        f"http://127.0.0.1:{sock.getsockname()[1]} (started on first use)"
        if sock
        else "one server per xdist worker"
    )
    bundled = "" if settings.bundled else " (bundled library left out)"
    return [
        f"streamrig: server {where}; scenario folders: {folders}{bundled}; speed {settings.speed:g}"
    ]


def settings_of(config: pytest.Config) -> StreamrigSettings:
    """Each setting from the command line, else the ini file, else the default; merged once."""
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        settings = config.stash[_SETTINGS] = _merge_settings(config)
    return settings


_SETTINGS = pytest.StashKey[StreamrigSettings]()


def _merge_settings(config: pytest.Config) -> StreamrigSettings:

    def pick(name: str) -> Any:
        given = config.getoption(f"streamrig_{name}")
        return given if given not in (None, []) else (config.getini(f"streamrig_{name}") or None)

    dirs = pick("scenarios")
    if dirs is None:
        root = Path(config.rootpath)
        dirs = [d for d in (root / "tests" / "scenarios", root / "scenarios") if d.is_dir()]
    seed = pick("seed")
    return StreamrigSettings(
        scenario_dirs=tuple(Path(config.rootpath, d).resolve() for d in dirs),
        speed=float(pick("speed") or 1.0),
        seed=int(seed) if seed is not None else None,
        report=str(pick("report") or "failed"),
        client_timeout=float(pick("client_timeout") or 10.0),
        record=str(pick("record") or "none"),
        upstream=pick("upstream"),
        bundled=not pick("no_bundled"),
        lenient=bool(pick("lenient")),
        server=str(pick("server") or "thread"),
        html_dir=_html_dir(config),
        html_when=str(pick("html_when") or "failed"),
    )


def _html_dir(config: pytest.Config) -> Path | None:
    # Precedence: the command line (relative to where pytest was run) > the ini file
    # (relative to the ini file's folder) > none.
    given = config.getoption("streamrig_html")
    if given:
        return Path(config.invocation_params.dir, given).resolve()
    ini = config.getini("streamrig_html")
    if ini:
        return Path(config.inipath.parent if config.inipath else config.rootpath, ini).resolve()
    return None


@pytest.fixture(scope="session")
def streamrig_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The session's MockServer: the project's folders, then the bundled library, on its own
    thread (or, with --streamrig-server=process, in its own process)."""
    settings = settings_of(pytestconfig)
    # Precedence: the project's own scenarios come before the bundled library, both for
    # names and for `match` rules (scenarios added at run time come before both).
    library = [bundled_path()] if settings.bundled else []
    kind = ProcessServer if settings.server == "process" else MockServer
    server = kind(
        [*settings.scenario_dirs, *library],
        seed=settings.seed,
        speed=settings.speed,
        sock=pytestconfig.stash.get(_SOCKET, None),
        lenient=settings.lenient,
    )
    with server:
        yield server


_SHAPE_KEYS = ("shapes", "shape_level", "shape_seed")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`streamrig(..., shapes=N)`: the test once per shape, with ids `shape-0` ... `shape-N-1`."""
    marker = metafunc.definition.get_closest_marker("streamrig")
    count = marker.kwargs.get("shapes") if marker is not None else None
    if count is None or "streamrig_shape" not in metafunc.fixturenames:
        return
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise UsageError(f"streamrig(shapes=...) takes a number of shapes (>= 1), not {count!r}")
    ids = [f"shape-{k}" for k in range(count)]
    metafunc.parametrize("streamrig_shape", range(count), ids=ids, indirect=True)


@pytest.fixture
def streamrig_shape(request: pytest.FixtureRequest) -> int | None:
    """Which shape of the marker's scenario this test plays (None: the scenario as written)."""
    return getattr(request, "param", None)


@pytest.fixture
def streamrig(
    streamrig_server: MockServer, request: pytest.FixtureRequest, streamrig_shape: int | None
) -> Iterator[Rig]:
    """A per-test handle on the session's server: reset, then the marker's scenario played."""
    settings = settings_of(request.config)
    rig = Rig(streamrig_server, [request.path.parent / "scenarios", *settings.scenario_dirs])
    rig.reset()
    request.node.stash[_RIG] = rig
    marker = request.node.get_closest_marker("streamrig")
    overrides = dict(marker.kwargs) if marker is not None else {}
    shaping = {key: overrides.pop(key) for key in _SHAPE_KEYS if key in overrides}
    cassette = overrides.pop("cassette", None)
    if cassette:
        path = cassette_path(request, cassette)
        with ExitStack() as stack:
            try:
                stack.enter_context(
                    rig.cassette(path, settings.record, settings.upstream, **overrides)
                )
            except UsageError as error:
                pytest.fail(f"streamrig: {error}", pytrace=False)
            yield rig
        return
    if marker is not None:
        # Precedence: the marker's overrides > the scenario file's own keys.
        played = rig.play(*marker.args, **overrides)
        if streamrig_shape is not None:
            _play_shape(
                rig, played, streamrig_shape, shaping, settings, request.node, bool(overrides)
            )
    yield rig


def _play_shape(
    rig: Rig,
    played: Played,
    index: int,
    shaping: dict[str, Any],
    settings: StreamrigSettings,
    node: pytest.Item,
    overridden: bool,
) -> None:
    seed = int(shaping.get("shape_seed", settings.seed or 0))
    level = str(shaping.get("shape_level", "realistic"))
    try:
        variant = shapes(played.scenario, index + 1, seed=seed, level=level)[index]
    except ValueError:
        pytest.fail(f"streamrig: shape_level={level!r}: use 'realistic' or 'sse'", pytrace=False)
    rig.play(variant)
    node.stash[_SHAPE] = (variant, seed, overridden)


_SHAPE = pytest.StashKey[tuple[Scenario, int, bool]]()


def cassette_path(request: pytest.FixtureRequest, given: Any) -> Path:
    """`cassettes/<module>/<test>.yaml` beside the test file, or the path the marker gives."""
    if isinstance(given, (str, Path)):
        return Path(request.path.parent, given)
    name = request.node.name.replace("/", "_").replace(" ", "_")
    return request.path.parent / "cassettes" / request.path.stem / f"{name}.yaml"


_RIG = pytest.StashKey[Rig]()


@pytest.fixture
def anthropic_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`anthropic.Anthropic` pointed at the server, with a short timeout."""
    anthropic = pytest.importorskip("anthropic")
    timeout = settings_of(pytestconfig).client_timeout
    with anthropic.Anthropic(
        base_url=streamrig.anthropic_base_url, api_key=API_KEY, timeout=timeout
    ) as client:
        yield client


@pytest.fixture
def openai_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`openai.OpenAI` pointed at the server, with a short timeout."""
    openai = pytest.importorskip("openai")
    timeout = settings_of(pytestconfig).client_timeout
    with openai.OpenAI(
        base_url=streamrig.openai_base_url, api_key=API_KEY, timeout=timeout
    ) as client:
        yield client


@pytest.fixture
def async_anthropic_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`anthropic.AsyncAnthropic` pointed at the server; closed in the loop that used it."""
    anthropic = pytest.importorskip("anthropic")
    yield from _async_client(
        lambda http: anthropic.AsyncAnthropic(
            base_url=streamrig.anthropic_base_url, api_key=API_KEY, http_client=http
        ),
        anthropic.DefaultAsyncHttpxClient,
        settings_of(pytestconfig).client_timeout,
    )


@pytest.fixture
def async_openai_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`openai.AsyncOpenAI` pointed at the server; closed in the loop that used it."""
    openai = pytest.importorskip("openai")
    yield from _async_client(
        lambda http: openai.AsyncOpenAI(
            base_url=streamrig.openai_base_url, api_key=API_KEY, http_client=http
        ),
        openai.DefaultAsyncHttpxClient,
        settings_of(pytestconfig).client_timeout,
    )


@pytest.fixture
def gemini_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`google.genai.Client` pointed at the server, with a short timeout (no retries: the SDK's default)."""
    client = _gemini(streamrig, settings_of(pytestconfig).client_timeout)
    yield client
    client.close()


@pytest.fixture
def async_gemini_client(streamrig: Rig, pytestconfig: pytest.Config) -> Iterator[Any]:
    """`google.genai.Client(...).aio` pointed at the server, with a short timeout."""
    # A sync fixture, so it works under pytest-asyncio and anyio alike. The SDK keeps an
    # aiohttp session per event loop, which the test's loop may or may not outlive:
    # asking for `connection: close` leaves no pooled connection behind either way.
    timeout = settings_of(pytestconfig).client_timeout
    yield _gemini(streamrig, timeout, {"connection": "close"}).aio


def _gemini(streamrig: Rig, timeout: float, headers: dict[str, str] | None = None) -> Any:
    genai = pytest.importorskip("google.genai")
    options = genai.types.HttpOptions(
        base_url=streamrig.gemini_base_url, timeout=int(timeout * 1000), headers=headers
    )
    return genai.Client(api_key=API_KEY, http_options=options)


def _async_client(make: Callable[[Any], Any], http_class: Any, timeout: float) -> Iterator[Any]:
    # A sync fixture, so it works under pytest-asyncio and anyio alike. Its connections
    # close with each response (no keep-alive), so nothing is left open if the test's
    # loop is gone by teardown; if the loop is still there, the client is closed in it.
    loops: list[asyncio.AbstractEventLoop] = []

    async def note_loop(_: Any) -> None:
        if not loops:
            loops.append(asyncio.get_running_loop())

    httpx = sys.modules[http_class.__mro__[1].__module__.partition(".")[0]]  # httpx or httpx2
    no_keepalive = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    client = make(
        http_class(timeout=timeout, limits=no_keepalive, event_hooks={"request": [note_loop]})
    )
    yield client
    loop = loops[0] if loops else None
    if loop is not None and not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(client.close())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    rig = item.stash.get(_RIG, None)
    if rig is None or report.when != "call":
        return report
    mode = settings_of(item.config).report
    if mode == "all" or (mode == "failed" and report.failed):
        report.sections.append(("streamrig journal", _journal_text(rig)))
    shaped = item.stash.get(_SHAPE, None)
    if shaped is not None and report.failed:
        report.sections.append(("streamrig shape", _shape_text(rig, *shaped)))
    settings = settings_of(item.config)
    if settings.html_when == "all" or report.failed:
        _timelines(item, report, rig, settings)
    return report


def _timelines(
    item: pytest.Item, report: pytest.TestReport, rig: Rig, settings: StreamrigSettings
) -> None:
    """The test's timeline page (its path in the report) and the pytest-html attachment."""
    html_plugin = item.config.pluginmanager.getplugin("html")
    if settings.html_dir is None and html_plugin is None:
        return
    made = rig.timelines()
    if settings.html_dir is not None:
        path = write_test_page(settings.html_dir, item.nodeid, report.outcome, made)
        report.sections.append(("streamrig timeline", str(path)))
    if html_plugin is not None:
        extras = importlib.import_module("pytest_html.extras")
        fragments = "".join(fragment(tl, table=False) for tl in made)
        attached = report.__dict__.setdefault("extras", [])
        attached.append(extras.html(f'<div class="srt"><style>{STYLE}</style>{fragments}</div>'))
        if settings.html_dir is not None:
            attached.append(extras.url(path.as_uri(), name="streamrig timeline"))


def pytest_sessionstart(session: pytest.Session) -> None:
    folder = settings_of(session.config).html_dir
    if folder is not None and not hasattr(session.config, "workerinput"):
        clear_pages(folder)  # the pages of an earlier run would be listed as this one's


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = settings_of(session.config).html_dir
    if folder is not None and not hasattr(session.config, "workerinput"):
        index = write_index(folder)
        if index is not None:
            session.config.stash[_INDEX] = index


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    index = config.stash.get(_INDEX, None)
    if index is not None:
        terminalreporter.write_line(f"streamrig: timelines in {index}")


_INDEX = pytest.StashKey[Path]()


def _shape_text(rig: Rig, variant: Scenario, seed: int, overridden: bool) -> str:
    """Which shape failed, its seed, and the command that prints its bytes."""
    shape = variant.shape
    assert shape is not None and shape.index is not None
    base = variant.name.rsplit("@", 1)[0]
    head = (
        f"{shape.label} of {base!r} failed (level {shape.level.value}, "
        f"shape seed {shape.seed}, from seed {seed})."
    )
    if variant.source is None:
        return head + (
            f"\nRebuild it: streamrig.shapes(scenario, {shape.index + 1}, seed={seed}, "
            f"level={shape.level.value!r})[{shape.index}]"
        )
    command = f"streamrig show {variant.source} --shape {shape.index} --seed {seed}"
    if shape.level.value != "realistic":
        command += f" --shape-level {shape.level.value}"
    provider = next((entry.provider for entry in rig.journal if entry.provider), None)
    if provider:
        command += f" --provider {provider}"
    note = " (the file as written, without the marker's overrides)" if overridden else ""
    return f"{head}\nIts bytes{note}: {command}"


def _journal_text(rig: Rig) -> str:
    lines = []
    for entry in rig.journal:
        line = (
            f"#{entry.id} {entry.method} {entry.path} scenario={entry.scenario} attempt={entry.attempt} "
            f"status={entry.status} outcome={entry.outcome.value} frames={len(entry.frames)} bytes={entry.bytes_sent}"
        )
        if entry.turn > 1:
            line += f" turn={entry.turn}"
        if entry.faults:
            line += f" faults=[{'; '.join(entry.faults)}]"
        if entry.closed_at_frame is not None:
            line += f" closed_at_frame={entry.closed_at_frame}"
        lines.append(line)
    return "\n".join(lines) or "(no request reached the server)"


def _is_xdist_controller(config: pytest.Config) -> bool:
    if hasattr(config, "workerinput"):
        return False
    numprocesses = getattr(config.option, "numprocesses", None)
    return bool(numprocesses)
