"""RecordingProxy: `streamrig record` — one cassette per request, written when the answer ends."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from aiohttp import web

from .._apprunner import AppThread, ServesOnThread
from ._cassette import Interaction, learn, remove_stale_temporaries, write_cassette
from ._naming import cassette_name
from ._proxy import RecordingFailed, forward
from ._redact import Redactor
from ._saver import Saver

__all__ = ["SAVER_KEY", "RecordingProxy", "recording_app"]

log = logging.getLogger("streamrig.record")

SAVER_KEY = web.AppKey("saver", Saver)


def recording_app(
    upstream: str,
    out: Path,
    redactor: Redactor,
    on_saved: Callable[[Path, Interaction], None] = lambda path, interaction: None,
) -> web.Application:
    """An app that relays every request to `upstream` and saves each answer under `out`.

    Saves run on their own thread, in the order the answers ended, while the loop goes
    on relaying; the app's cleanup waits for those under way (Ctrl+C loses none)."""
    saver = Saver()

    async def handle(request: web.Request) -> web.StreamResponse:
        def write(interaction: Interaction) -> None:
            body = _json_or_none(interaction.request_body)
            learn([interaction], redactor)  # the name is made of redacted words
            name = cassette_name(
                interaction.method, request.path, body, interaction.provider, redactor.text
            )
            path = out / name
            write_cassette(path, [interaction], redactor)
            on_saved(path, interaction)

        def save(interaction: Interaction) -> None:
            saver.submit(
                lambda: write(interaction), f"the answer to {request.method} {request.path}"
            )

        try:
            return await forward(request, upstream, save)
        except RecordingFailed as error:
            log.warning("streamrig record: %s; nothing saved", error)
            return web.json_response(
                {"error": {"type": "proxy_error", "message": str(error)}}, status=502
            )

    for stale in remove_stale_temporaries(out):
        log.info("streamrig record: removed %s, left by an interrupted save", stale)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SAVER_KEY] = saver
    app.router.add_route("*", "/{tail:.*}", handle)

    async def finish_saves(app: web.Application) -> None:
        await saver.drained()
        saver.close()

    app.on_cleanup.append(finish_saves)
    return app


def _json_or_none(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


class RecordingProxy(ServesOnThread):
    """`streamrig record` on a background thread: point a client at `.url` instead of the API.

    Every answer is written, when it ends, to its own cassette under `out`
    (`anthropic/<last user words>-<hash>.yaml`). Use as a context manager.
    """

    def __init__(
        self,
        upstream: str,
        out: str | Path = "cassettes",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        redact_headers: Iterable[str] = (),
        redact_patterns: Iterable[str] = (),
    ) -> None:
        self.upstream, self.out = upstream, Path(out)
        self.saved: list[Path] = []
        self._saving = threading.Condition()
        self._saver: Saver | None = None
        redactor = Redactor(redact_headers, redact_patterns)

        def runner() -> web.AppRunner:
            app = recording_app(upstream, self.out, redactor, self._note_saved)
            self._saver = app[SAVER_KEY]
            return web.AppRunner(
                app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True
            )

        self._app = AppThread(runner, host, port)

    def stop(self) -> None:
        """Stop serving once the saves under way are written; open connections are cut."""
        if self._saver is not None:
            self._saver.drain()  # before the app's own bounded shutdown starts
        super().stop()

    def _note_saved(self, path: Path, interaction: Interaction) -> None:
        with self._saving:
            self.saved.append(path)
            self._saving.notify_all()

    def wait_saved(self, count: int = 1, timeout: float = 5.0) -> list[Path]:
        """Wait until `count` cassettes are written (each is written just after its answer ends)."""
        with self._saving:
            if not self._saving.wait_for(lambda: len(self.saved) >= count, timeout):
                raise TimeoutError(
                    f"{len(self.saved)} of {count} cassette(s) written after {timeout} s"
                )
            return list(self.saved)

    @property
    def url(self) -> str:
        return f"http://{self._app.host}:{self._app.port}"
