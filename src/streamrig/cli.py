"""The `streamrig` command: serve, validate."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from aiohttp import web

from ._errors import StreamrigError
from ._version import __version__
from .scenario import Provider, Scenario, bundled_path, load_scenarios
from .server import ScenarioRegistry, ServerState, create_runner, timeline_text

__all__ = ["main"]


@click.group()
@click.version_option(__version__, prog_name="streamrig")
def main() -> None:
    """streamrig: a mock LLM streaming server and test rig."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default)."
)
@click.option("--port", default=8765, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option(
    "--seed", type=int, default=None, help="Seed for ids and jitter: replies repeat exactly."
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Scale every wait: 2 is twice as fast, 0 plays with no waits.",
)
@click.option(
    "--default", "default", default=None, help="Scenario that answers requests naming none."
)
@click.option("--strict", is_flag=True, help="Refuse to start if any scenario file has a problem.")
def serve(
    paths: tuple[Path, ...],
    host: str,
    port: int,
    seed: int | None,
    speed: float,
    default: str | None,
    strict: bool,
) -> None:
    """Serve scenarios (files, folders, .sse captures); no PATH serves the bundled library."""
    report = load_scenarios(paths or [bundled_path()])
    for error in report.errors:
        click.echo(f"streamrig: {error}", err=True)
    if report.errors and strict:
        click.echo(f"streamrig: {len(report.errors)} problem(s); not starting (--strict)", err=True)
        sys.exit(1)
    names = [s.name for s in report.scenarios]
    if default is not None and default not in names:
        click.echo(
            f"streamrig: --default {default!r} is not a loaded scenario; loaded: {', '.join(names)}",
            err=True,
        )
        sys.exit(2)
    registry = ScenarioRegistry(report.scenarios, default=default)
    try:
        asyncio.run(_serve(ServerState(registry, seed=seed, speed=speed), host, port))
    except OSError as error:
        click.echo(
            f"streamrig: cannot listen on {host}:{port}: {error.strerror or error}", err=True
        )
        sys.exit(1)


async def _serve(state: ServerState, host: str, port: int) -> None:
    runner = create_runner(state, shutdown_timeout=0.3)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = int(runner.addresses[0][1])
        click.echo(_banner(state, host, bound))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        click.echo("streamrig: stopping", err=True)
    finally:
        await runner.cleanup()


def _banner(state: ServerState, host: str, port: int) -> str:
    url = f"http://{host}:{port}"
    scenarios = state.registry.all()
    default = state.registry.default().name
    example = _curl_example(url, scenarios)
    return f"""streamrig {__version__}: {len(scenarios)} scenario(s) on {url} (default: {default})

  Anthropic SDK   base_url="{url}"
  OpenAI SDK      base_url="{url}/v1"
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

Journal: {url}/_streamrig/journal    Ctrl+C stops.""".replace("\n", "\n", -1)


def _curl_example(url: str, scenarios: Sequence[Scenario]) -> str:
    return (
        f"curl -N {url}/v1/messages -H 'content-type: application/json' -H 'x-api-key: test' "
        '-d \'{"model":"claude-test","max_tokens":256,"stream":true,'
        '"messages":[{"role":"user","content":"Hello"}]}\''
    )


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--provider",
    type=click.Choice([p.value for p in Provider]),
    default=None,
    help="Endpoint to encode for (default: the scenario's, else anthropic).",
)
@click.option(
    "--attempt",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Which try of the request to show.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for ids and jitter.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Scale every wait.",
)
def show(path: Path, provider: str | None, attempt: int, seed: int, speed: float) -> None:
    """Print a scenario's timeline: when each frame goes, its size, its first line."""
    report = load_scenarios([path])
    for error in report.errors:
        click.echo(str(error), err=True)
    if report.errors or not report.scenarios:
        sys.exit(1)
    for scenario in report.scenarios:
        chosen = Provider(provider) if provider else (scenario.provider or Provider.ANTHROPIC)
        click.echo(f"# {scenario.name} on {chosen.label}, attempt {attempt}")
        try:
            click.echo(timeline_text(scenario, chosen, attempt=attempt, seed=seed, speed=speed))
        except StreamrigError as error:
            click.echo(f"streamrig: {error}", err=True)
            sys.exit(1)


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
