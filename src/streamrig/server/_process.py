"""ProcessServer: a MockServer in a child process, so the code under test never shares
its interpreter (and GIL) with the server. Fixtures and checks talk to it over a
private pipe: scenarios go in, journal entries (with the bytes sent) come back."""

from __future__ import annotations

import contextlib
import gc
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from .._errors import UsageError
from ..scenario import Scenario, ScenarioSource, collect_scenarios
from ._collector import hold_streams_out_of_collections
from ._journal import Journal, JournalEntry
from ._passthrough import PassThrough
from ._thread import MockServer

__all__ = ["ProcessServer", "child_main"]


class ProcessServer(MockServer):
    """A MockServer whose app runs in its own process; the same API, bar recording.

    Starting costs a new interpreter (about half a second); in exchange a test's
    busy CPU no longer makes the server's frames late. Scenarios must be picklable
    (the loaded forms are). Recording through an upstream needs the in-thread server.
    """

    def __init__(
        self,
        scenarios: ScenarioSource = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        default: str | None = None,
        speed: float = 1.0,
        sock: socket.socket | None = None,
        lenient: bool = False,
    ) -> None:
        self.host = host
        self._args = (
            collect_scenarios(scenarios),
            host,
            port,
            seed,
            default,
            speed,
            lenient,
            sock,
        )
        self._conn: Connection | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()
        self._journal = _RemoteJournal(self._call)

    def start(self) -> ProcessServer:
        # A plain `python -m` child (not multiprocessing's spawn, which re-imports the
        # caller's __main__); the pipe and the bound socket are handed over as fds.
        ours, theirs = socket.socketpair()
        sock = self._args[-1]
        fds = [theirs.fileno(), *([sock.fileno()] if sock is not None else [])]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "streamrig._server_child", *map(str, fds)], pass_fds=fds
        )
        theirs.close()
        self._conn = Connection(ours.detach())
        self._conn.send(self._args[:-1])
        try:
            self._port = int(self._call("port"))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(EOFError, OSError):
                self._call("stop")
            self._conn.close()
            self._conn = None
        if self._process is not None:
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._port = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise UsageError("the server is not running: call start() first")
        return self._port

    @property
    def journal(self) -> Journal:
        return self._journal

    def add(self, scenario: ScenarioSource) -> list[Scenario]:
        added = collect_scenarios(scenario)
        for item in added:
            self._call("add", item)
        return added

    def reset(self) -> None:
        self._call("reset")

    def play(self, scenario: str | ScenarioSource, **overrides: Any) -> Scenario:
        chosen: Scenario = self._call("play", self.resolve(scenario), overrides)
        return chosen

    def resolve(self, scenario: str | ScenarioSource) -> Scenario:
        if isinstance(scenario, str) and self.has(scenario):
            found: Scenario = self._call("get", scenario)
            return found
        return super().resolve(scenario)

    def has(self, name: str) -> bool:
        return bool(self._call("has", name))

    def names(self) -> list[str]:
        found: list[str] = self._call("names")
        return found

    def use_recordings(self, scenarios: list[Scenario] | None) -> None:
        self._call("use_recordings", scenarios)

    def set_passthrough(self, passthrough: PassThrough | None) -> None:
        if passthrough is not None:
            raise UsageError(
                "recording through an upstream needs the in-thread server: "
                "run with --streamrig-server=thread (the default) to record"
            )

    def _call(self, command: str, *args: Any) -> Any:
        if self._conn is None:
            raise UsageError("the server is not running: call start() first")
        with self._lock:
            self._conn.send((command, args))
            ok, answer = self._conn.recv()
        if not ok:
            raise answer
        return answer

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not running"
        return f"<ProcessServer {where}>"


class _RemoteJournal(Journal):
    """The child's journal, read over the pipe; entries come back settled (at most `wait`)."""

    def __init__(self, call: Callable[..., Any]) -> None:
        super().__init__()
        self._call = call

    def entries(self) -> list[JournalEntry]:
        return self.settled()

    def settled(self, wait: float = 1.0) -> list[JournalEntry]:
        found: list[JournalEntry] = self._call("settled", wait)
        return found

    def last(self, wait: float = 1.0) -> JournalEntry:
        entry: JournalEntry = self._call("last", wait)
        return entry

    def clear(self) -> None:
        self._call("clear")

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return int(self._call("len"))


def _child(conn: Connection, sock: socket.socket | None) -> None:
    """The child process: serve on a thread, answer the parent's calls on the main thread."""
    scenarios, host, port, seed, default, speed, lenient = conn.recv()
    try:
        server = MockServer(
            scenarios,
            host=host,
            port=port,
            seed=seed,
            default=default,
            speed=speed,
            sock=sock,
            lenient=lenient,
        ).start()
    except Exception as error:  # reported to the parent, which raises it
        conn.recv()
        conn.send((False, error))
        return
    gc.freeze()  # start-up's objects live as long as the child: no collection scans them
    hold_streams_out_of_collections(server.state)  # nor the streams it holds (daemon thread)
    registry, journal = server.state.registry, server.state.journal
    commands: dict[str, Callable[..., Any]] = {
        "port": lambda: server.port,
        "reset": server.reset,
        "add": registry.add,
        "play": server.state.play,
        "has": registry.has,
        "get": registry.get,
        "names": lambda: sorted(s.name for s in registry.all()),
        "use_recordings": registry.use_recordings,
        "settled": journal.settled,
        "last": journal.last,
        "clear": journal.clear,
        "len": lambda: len(journal),
    }
    try:
        while True:
            try:
                command, args = conn.recv()
            except EOFError:
                return  # the parent is gone
            if command == "stop":
                conn.send((True, None))
                return
            try:
                conn.send((True, commands[command](*args)))
            except Exception as error:
                conn.send((False, error))
    finally:
        server.stop()


def child_main(argv: list[str]) -> None:
    """Entry of `python -m streamrig._server_child PIPE_FD [SOCKET_FD]`."""
    pipe_fd, *sock_fd = map(int, argv)
    _child(Connection(pipe_fd), socket.socket(fileno=sock_fd[0]) if sock_fd else None)
