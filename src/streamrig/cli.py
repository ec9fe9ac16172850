"""The `streamrig` command: serve, record, import-vcr, show, validate, battery."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import shutil
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from aiohttp import web

from . import _workers
from ._apprunner import LISTEN_BACKLOG
from ._errors import StreamrigError
from ._version import __version__
from .scenario import (
    SCENARIO_SUFFIXES,
    Provider,
    Scenario,
    bundled_path,
    load_scenarios,
    with_overrides,
)
from .server import (
    DEFAULT_MATCH_ON,
    READ_TIMEOUT,
    ScenarioRegistry,
    ServerState,
    create_runner,
)
from .server._collector import hold_streams_out_of_collections

__all__ = ["main"]

SERVE_JOURNAL_LIMIT = 10_000
SERVE_JOURNAL_MAX_MB = 256.0


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _bind(port: int, host_help: str = "Address to bind.") -> Decorator:
    """`--host` and `--port` (serve, record)."""

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--port", default=port, show_default=True, type=int, help="Port; 0 picks a free one."
        )(command)
        return click.option("--host", default="127.0.0.1", show_default=True, help=host_help)(
            command
        )

    return apply


def _seed(default: int | None, what: str) -> Decorator:
    return click.option(
        "--seed", type=int, default=default, show_default=default is not None, help=what
    )


def _speed(what: str) -> Decorator:
    return click.option(
        "--speed", type=click.FloatRange(min=0), default=1.0, show_default=True, help=what
    )


def _provider(default: str | None, what: str) -> Decorator:
    return click.option(
        "--provider",
        type=click.Choice([p.value for p in Provider]),
        default=default,
        show_default=default is not None,
        help=what,
    )


def _shape_level(what: str) -> Decorator:
    return click.option(
        "--shape-level",
        type=click.Choice(["realistic", "sse"]),
        default="realistic",
        show_default=True,
        help=what,
    )


def _written(flag: str, dest: str, what: str) -> Decorator:
    """`--json FILE`, `--junit FILE`: where to write the results."""
    return click.option(
        flag, dest, type=click.Path(path_type=Path), default=None, help=f"Write the results {what}."
    )


@click.group()
@click.version_option(__version__, prog_name="streamrig")
def main() -> None:
    """streamrig: a mock LLM streaming server and test rig."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_bind(8765, "Address to bind (loopback by default).")
@_seed(None, "Seed for ids and jitter: replies repeat exactly.")
@_speed("Scale every wait: 2 is twice as fast, 0 plays with no waits.")
@click.option(
    "--default", "default", default=None, help="Scenario that answers requests naming none."
)
@click.option("--strict", is_flag=True, help="Refuse to start if any scenario file has a problem.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    help="A fault laid over every scenario, in YAML flow form: '{after_events: 7, drop: reset}' (repeatable).",
)
@click.option(
    "--journal-max-mb",
    type=click.FloatRange(min=0),
    default=SERVE_JOURNAL_MAX_MB,
    show_default=True,
    help="Keep about this many megabytes of journal (the oldest entries go first); 0: no cap.",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0),
    default=READ_TIMEOUT,
    show_default=True,
    help="Seconds a request may take to arrive (its headers, then its body); 0: no bound.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="A Host header name to serve besides IP addresses and localhost, e.g. a container's "
    "service name; '*' serves any (repeatable).",
)
@click.option(
    "--match-on",
    default=",".join(DEFAULT_MATCH_ON),
    show_default=True,
    help="What must match for a recorded interaction to answer: method, path and body keys.",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Accept follow-up requests the real API would refuse (unanswered tool calls, unknown ids).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes sharing the port (SO_REUSEPORT), for load beyond one core; "
    "the admin API answers for all of them.",
)
@click.option("--worker-dir", type=click.Path(path_type=Path), hidden=True)
def serve(
    paths: tuple[Path, ...],
    host: str,
    port: int,
    seed: int | None,
    speed: float,
    default: str | None,
    strict: bool,
    faults: tuple[str, ...],
    journal_max_mb: float,
    read_timeout: float,
    allow_hosts: tuple[str, ...],
    match_on: str,
    lenient: bool,
    workers: int,
    worker_dir: Path | None,
) -> None:
    """Serve scenarios, cassettes and .sse captures (files or folders); no PATH: the bundled library.

    Refuses to start when nothing under the PATHs loads. Ctrl+C or SIGTERM stops it.
    """
    report = load_scenarios(paths or [bundled_path()])
    if faults:
        report.scenarios = _with_faults(report.scenarios, faults)
    for error in report.errors if worker_dir is None else ():  # the supervisor said it once
        click.echo(f"streamrig: {error}", err=True)
    if report.errors and strict:
        click.echo(f"streamrig: {len(report.errors)} problem(s); not starting (--strict)", err=True)
        sys.exit(1)
    if not report.scenarios:
        where = ", ".join(map(str, paths))
        why = (
            f"{len(report.errors)} problem(s) above"
            if report.errors
            else f"no {', '.join(SCENARIO_SUFFIXES)} file found"
        )
        click.echo(f"streamrig: no scenario loaded from {where} ({why}); not starting", err=True)
        sys.exit(1)
    names = [s.name for s in report.scenarios]
    if default is not None and default not in names:
        click.echo(
            f"streamrig: --default {default!r} is not a loaded scenario; loaded: {', '.join(names)}",
            err=True,
        )
        sys.exit(2)
    registry = ScenarioRegistry(report.scenarios, default=default)
    state = ServerState(registry, seed=seed, speed=speed)
    state.lenient = lenient
    state.journal.limit = SERVE_JOURNAL_LIMIT  # a long-running server keeps the recent past
    state.journal.max_bytes = int(journal_max_mb * 1_000_000) or None
    state.read_timeout = read_timeout or None
    state.allowed_hosts = (*allow_hosts, host)
    registry.match_on = tuple(part.strip() for part in match_on.split(",") if part.strip())
    if workers > 1:
        argv = _worker_argv(click.get_current_context().params)
        sys.exit(_supervise(state, argv, host, port, workers))
    try:
        asyncio.run(_serve(state, host, port, worker_dir))
    except OSError as error:
        click.echo(
            f"streamrig: cannot listen on {host}:{port}: {error.strerror or error}", err=True
        )
        sys.exit(1)


async def _serve(state: ServerState, host: str, port: int, worker_dir: Path | None = None) -> None:
    runner = create_runner(state, shutdown_timeout=0.05)
    if worker_dir is not None:  # one of `--workers N`: the supervisor prints the banner
        _workers.fan_out(runner.app, worker_dir)
        await _run_until_stopped(runner, host, port, None, worker_dir, state)
        return
    await _run_until_stopped(
        runner,
        host,
        port,
        lambda url: _banner(state, host, int(url.rsplit(":", 1)[1])),
        state=state,
    )


def _supervise(state: ServerState, argv: list[str], host: str, port: int, workers: int) -> int:
    try:
        reserved = _workers.reserve_port(host, port)
    except OSError as error:
        click.echo(
            f"streamrig: cannot listen on {host}:{port}: {error.strerror or error}", err=True
        )
        return 1
    port = int(reserved.getsockname()[1])
    folder = _workers.workers_folder()
    argv = [*argv, "--port", str(port)]

    def announce() -> None:
        if _workers.wait_for_workers(folder, workers):
            click.echo(_banner(state, host, port) + f"\n{workers} workers share the port.")

    try:
        return _workers.supervise(argv, workers, folder, announce)
    finally:
        reserved.close()
        shutil.rmtree(folder, ignore_errors=True)


def _worker_argv(params: dict[str, Any]) -> list[str]:
    """The command line of one worker: this `serve`, minus --workers and --port."""
    argv = [sys.executable, "-m", "streamrig", "serve", *map(str, params["paths"])]
    argv += ["--host", params["host"], "--speed", repr(params["speed"])]
    argv += ["--match-on", params["match_on"]]
    if params["seed"] is not None:
        argv += ["--seed", str(params["seed"])]
    if params["default"] is not None:
        argv += ["--default", params["default"]]
    for fault in params["faults"]:
        argv += ["--fault", fault]
    if params["lenient"]:
        argv.append("--lenient")
    argv += ["--journal-max-mb", repr(params["journal_max_mb"])]
    argv += ["--read-timeout", repr(params["read_timeout"])]
    for name in params["allow_hosts"]:
        argv += ["--allow-host", name]
    return argv


async def _run_until_stopped(
    runner: web.AppRunner,
    host: str,
    port: int,
    banner: Callable[[str], str] | None,
    worker_dir: Path | None = None,
    state: ServerState | None = None,
) -> None:
    """Serve until Ctrl+C or SIGTERM; print the banner once the port is bound.

    With the `state` of a mock server, held streams are kept out of the cyclic
    collector's full collections (server/_collector.py).

    The handlers are in place before the banner says "Ctrl+C stops", and they replace
    whatever was inherited (a background job starts with SIGINT ignored); closing the
    loop puts the default handling back."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    # What start-up built (modules, scenarios, encoded templates) lives as long as the
    # server: out of the collector's scans, a full collection under load takes a third.
    gc.freeze()
    stop_policy = hold_streams_out_of_collections(state) if state is not None else lambda: None
    try:
        await web.TCPSite(
            runner, host, port, reuse_port=worker_dir is not None, backlog=LISTEN_BACKLOG
        ).start()
        if worker_dir is not None:
            await web.TCPSite(
                runner, "127.0.0.1", 0
            ).start()  # private: the other workers' admin calls
            _workers.publish_port(worker_dir, int(runner.addresses[-1][1]))
        if banner is not None:
            click.echo(banner(f"http://{host}:{int(runner.addresses[0][1])}"))
        await stop.wait()
        click.echo("streamrig: stopping", err=True)
    finally:
        await runner.cleanup()  # a second Ctrl+C meanwhile changes nothing
        stop_policy()


def _with_faults(scenarios: list[Scenario], given: tuple[str, ...]) -> list[Scenario]:
    """Every scenario with the `--fault` faults added after its own (checked like a file's)."""
    import yaml  # `serve` on the bundled library reads no YAML

    try:
        faults = [yaml.safe_load(text) for text in given]
        added = with_overrides(
            Scenario(name="--fault"), {"faults": faults}, source="--fault"
        ).faults
    except (yaml.YAMLError, StreamrigError) as error:
        click.echo(f"streamrig: {error}", err=True)
        sys.exit(2)
    return [dataclasses.replace(s, faults=(*s.faults, *added)) for s in scenarios]


def _banner(state: ServerState, host: str, port: int) -> str:
    url = f"http://{host}:{port}"
    scenarios = state.registry.all()
    default = state.registry.default().name
    example = _curl_example(url, scenarios)
    return f"""streamrig {__version__}: {len(scenarios)} scenario(s) on {url} (default: {default})

  Anthropic SDK   base_url="{url}"
  OpenAI SDK      base_url="{url}/v1"
  google-genai    http_options={{"base_url": "{url}"}}
  Any API key works. Pick a scenario with the header `x-streamrig-scenario: NAME`
  or the path prefix {url}/s/NAME/ (list: {url}/_streamrig/scenarios).

Stream a reply:
  {example}

From Python:
  import anthropic
  client = anthropic.Anthropic(base_url="{url}", api_key="test")
  with client.messages.stream(model="claude-test", max_tokens=256,
                              messages=[{{"role": "user", "content": "Hello"}}]) as stream:
      for text in stream.text_stream:
          print(text, end="", flush=True)

Live page (open it in a browser): {url}/_streamrig/
Journal: {url}/_streamrig/journal    Ctrl+C stops.""".replace("\n", "\n", -1)


def _curl_example(url: str, scenarios: Sequence[Scenario]) -> str:
    return (
        f"curl -N {url}/v1/messages -H 'content-type: application/json' -H 'x-api-key: test' "
        '-d \'{"model":"claude-test","max_tokens":256,"stream":true,'
        '"messages":[{"role":"user","content":"Hello"}]}\''
    )


@main.command()
@click.option(
    "--upstream", required=True, help="The real API's base URL, e.g. https://api.anthropic.com."
)
@_bind(8766)
@click.option(
    "--out",
    default="cassettes",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the cassettes.",
)
@click.option(
    "--redact-header",
    "redact_headers",
    multiple=True,
    help="Another header to keep out of cassettes (repeatable).",
)
@click.option(
    "--redact",
    "redact_patterns",
    multiple=True,
    help="A regular expression to blank out anywhere in cassettes (repeatable).",
)
def record(
    upstream: str,
    host: str,
    port: int,
    out: Path,
    redact_headers: tuple[str, ...],
    redact_patterns: tuple[str, ...],
) -> None:
    """Record a real API: a pass-through proxy that writes one timed cassette per request."""
    from .record import Redactor, recording_app  # `serve` loads none of the recorder

    redactor = Redactor(redact_headers, redact_patterns)

    def saved(path: Path, interaction: Any) -> None:
        events = len(interaction.events())
        state = "truncated, " if interaction.truncated else ""
        click.echo(
            f"saved {path} ({interaction.status}, {state}{events} event(s), {interaction.chunks[-1][0] if interaction.chunks else 0:.2f} s)"
        )

    app = recording_app(upstream, out, redactor, saved)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.3, handler_cancellation=True)

    def banner(url: str) -> str:
        return (
            f"streamrig {__version__}: recording on {url} -> {upstream}; cassettes in {out}/\n"
            f'  Anthropic SDK   base_url="{url}"\n  OpenAI SDK      base_url="{url}/v1"\n'
            f'  google-genai    http_options={{"base_url": "{url}"}}\n'
            "  Keys are passed through and never written. Ctrl+C stops (an answer cut by it is not saved)."
        )

    try:
        asyncio.run(_run_until_stopped(runner, host, port, banner))
    except OSError as error:
        click.echo(
            f"streamrig: cannot listen on {host}:{port}: {error.strerror or error}", err=True
        )
        sys.exit(1)


@main.command("import-vcr")
@click.argument(
    "cassettes",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the streamrig cassettes.",
)
@click.option(
    "--ttft-ms", default=300.0, show_default=True, help="Synthesised time to first event."
)
@click.option(
    "--tokens-per-s",
    default=50.0,
    show_default=True,
    help="Synthesised events per second after it.",
)
@click.option(
    "--jitter", default=0.2, show_default=True, help="Each gap varies by up to this fraction."
)
@_seed(0, "Seed of the jitter.")
def import_vcr_command(
    cassettes: tuple[Path, ...],
    out: Path,
    ttft_ms: float,
    tokens_per_s: float,
    jitter: float,
    seed: int,
) -> None:
    """Turn vcrpy cassettes with SSE bodies into timed streamrig cassettes (vcrpy kept no timing)."""
    from .record import Profile, import_vcr

    try:
        written = import_vcr(cassettes, out, Profile(ttft_ms, tokens_per_s, jitter, seed))
    except StreamrigError as error:
        click.echo(f"streamrig: {error}", err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@_provider(None, "Endpoint to encode for (default: the scenario's, else anthropic).")
@click.option(
    "--attempt",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which try of the request to show.",
)
@_seed(0, "Seed for ids and jitter.")
@_speed("Scale every wait.")
@click.option(
    "--shape",
    type=click.IntRange(min=0),
    default=None,
    help="Show shape N of the scenario (as streamrig.shapes(..., seed=SEED) makes it), byte for byte.",
)
@_shape_level("The level of --shape.")
def show(
    path: Path,
    provider: str | None,
    attempt: int,
    seed: int,
    speed: float,
    shape: int | None,
    shape_level: str,
) -> None:
    """Print a scenario's timeline: when each frame goes, its size, its first line (with
    --shape: every write's exact bytes)."""
    from .server import choices_of, shapes, timeline_text  # `serve` needs none
    from .server._show import show_parts  # only `show` needs it

    report = load_scenarios([path])
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.errors or not report.scenarios:
        sys.exit(1)
    for scenario in report.scenarios:
        chosen = Provider(provider) if provider else (scenario.provider or Provider.ANTHROPIC)
        if shape is not None:
            scenario = shapes(scenario, shape + 1, seed=seed, level=shape_level)[shape]
            if scenario.shape is not None:
                click.echo(f"# {scenario.name}: {choices_of(scenario.shape).describe()}")
        for heading, played in show_parts(scenario, chosen, attempt):
            click.echo(heading)
            try:
                text = timeline_text(
                    played, chosen, attempt=attempt, seed=seed, speed=speed, raw=shape is not None
                )
                click.echo(text)
            except StreamrigError as error:
                click.echo(f"streamrig: {error}", err=True)
                sys.exit(1)


@main.command(context_settings={"allow_interspersed_args": False})
@_provider("anthropic", "The endpoint the client calls (also given to it as STREAMRIG_PROVIDER).")
@click.option(
    "--cases",
    default=None,
    help="Comma-separated case names, globs or groups (text, shape, fault, retry, recovery).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds before a run counts as hung and is killed.",
)
@_written("--json", "json_path", "as JSON")
@_written("--junit", "junit_path", "as JUnit XML")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=2, show_default=True, help="Cases run at once."
)
@click.option(
    "--shapes",
    "shape_count",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Shapes per shaped scenario.",
)
@_shape_level("The level of the shape cases.")
@_seed(0, "Seed of the shapes and ids.")
@click.option("--list", "list_only", is_flag=True, help="List the cases and exit.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def battery(
    provider: str,
    cases: str | None,
    timeout: float,
    json_path: Path | None,
    junit_path: Path | None,
    jobs: int,
    shape_count: int,
    shape_level: str,
    seed: int,
    list_only: bool,
    command: tuple[str, ...],
) -> None:
    """Run CMD once per case against a mock server and judge each run: `streamrig battery -- CMD ARGS...`."""
    from .battery import build_cases, progress_line, run_battery, select_cases  # `serve` needs none

    chosen = Provider(provider)
    try:
        selected = select_cases(build_cases(chosen, shape_count, seed, shape_level), cases)
    except StreamrigError as error:
        click.echo(f"streamrig: {error}", err=True)
        sys.exit(2)
    if list_only:
        for case in selected:
            click.echo(f"{case.name:<36} {case.expect.value}")
        return
    if not command:
        click.echo(
            "streamrig: battery needs a command after `--`: streamrig battery -- CMD ARGS...",
            err=True,
        )
        sys.exit(2)
    report = run_battery(
        command,
        selected,
        chosen,
        timeout_s=timeout,
        jobs=jobs,
        seed=seed,
        on_result=lambda done, total, result: click.echo(progress_line(done, total, result)),
    )
    click.echo("\n" + report.card())
    if json_path is not None:
        report.write_json(json_path)
    if junit_path is not None:
        report.write_junit(junit_path)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check scenario files; print `file:line: key: problem` for each; exit 1 on any."""
    report = load_scenarios(paths)
    for error in report.errors:
        click.echo(str(error))
    count = len(report.scenarios)
    if report.errors:
        click.echo(f"{len(report.errors)} problem(s); {count} scenario(s) valid", err=True)
        sys.exit(1)
    click.echo(f"{count} scenario(s) valid")
