"""vledger commands the UI runs as child processes: serving, sync now, bundles, status.

automerge's binding holds the GIL for the whole of a long call (loading a document,
applying a batch), so a sync in a thread of the UI's process would still freeze the
screen. The UI runs the very command a clerk would type, `python -m vledger --home H
--lang L COMMAND ... --json-log` (tui/cli/sync.py), in a child process, and hears what it
says line by line: each JSON line comes back to the event loop as `on_line(event)`, and
the end as `on_exit(code, stderr_lines)`. Both run on the event loop (app.call_later),
never on the threads that read the pipes.

The app keeps every child it started and stops them before it exits: SIGTERM (the
commands stop cleanly on it), then SIGKILL if one has not ended in time, then the pipe
readers are joined; no child outlives the UI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

Event = dict[str, Any]
STDERR_KEPT = 20  # last lines of a child's stderr kept to say why it failed
STOP_SECONDS = 10.0


def vledger_argv(home: Path, lang: str, *args: str) -> list[str]:
    """How the UI starts a vledger command: this interpreter, this package."""
    return [sys.executable, "-m", "vledger", "--home", str(home), "--lang", lang, *args]


class Child:
    """One vledger command running as a child process (see the module docstring)."""

    def __init__(
        self, app: App[Any], argv: Sequence[str], *,
        on_line: Callable[[Event], None] | None = None,
        on_exit: Callable[[int, list[str]], None] | None = None,
        keep_stdin: bool = False, whole: bool = False,
    ) -> None:
        self.app = app
        self.argv = list(argv)
        self.on_line = on_line
        self.on_exit = on_exit
        self.keep_stdin = keep_stdin  # a child that stops when its stdin closes
        self.whole = whole  # its stdout is one JSON document (`status --json`), not lines
        self.process: subprocess.Popen[str] | None = None
        self.stderr: deque[str] = deque(maxlen=STDERR_KEPT)
        self.code: int | None = None
        self._readers: list[threading.Thread] = []

    def start(self) -> None:
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        environment.pop("COLUMNS", None)
        environment.pop("LINES", None)
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE if self.keep_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            errors="replace", env=environment,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=read, args=(stream,), daemon=True,
                             name=f"vledger-child-{name}")
            for name, stream, read in (("out", self.process.stdout, self._read_out),
                                       ("err", self.process.stderr, self._read_err))
        ]
        for reader in self._readers:
            reader.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _read_out(self, stream: IO[str]) -> None:
        if self.whole:
            self._read_whole(stream)
        else:
            self._read_lines(stream)
        # stdout ended: the child is ending; wait for it and for its last stderr lines.
        assert self.process is not None
        code = self.process.wait()
        self._readers[1].join(timeout=STOP_SECONDS)
        self.code = code
        if self.on_exit is not None:
            self.app.call_later(self.on_exit, code, list(self.stderr))

    def _read_whole(self, stream: IO[str]) -> None:
        text = stream.read()
        try:
            document = json.loads(text) if text.strip() else None
        except ValueError:
            document = None
        if isinstance(document, dict) and self.on_line is not None:
            self.app.call_later(self.on_line, document)

    def _read_lines(self, stream: IO[str]) -> None:
        for line in stream:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and self.on_line is not None:
                self.app.call_later(self.on_line, event)

    def _read_err(self, stream: IO[str]) -> None:
        for line in stream:
            if line.strip():
                self.stderr.append(line.rstrip())

    def stop(self, timeout: float = STOP_SECONDS) -> int | None:
        """Ask the child to stop (SIGTERM), kill it if it does not in time, and join the
        pipe readers. Its exit code (None if it never started)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            if process.stdin is not None:
                try:
                    process.stdin.close()
                except OSError:
                    pass
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for reader in self._readers:
            if reader is not threading.current_thread():
                reader.join(timeout=timeout)
        return process.returncode
