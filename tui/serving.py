"""The UI serving its home: a child `vledger serve --json-log` and what it said.

The township keeps its UI open all day and its villages sync with it meanwhile: the UI
starts `vledger serve` as a child process (tui/children.py) and keeps, from the JSON lines
it prints, where it listens, which peers connected and when each last synced. The clerk
keeps working meanwhile: the child does the syncing; what it stores reaches the screens
through the store's change signal like any other process's writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.tui.children import Child, Event, vledger_argv

if TYPE_CHECKING:
    from textual.app import App

DEFAULT_LISTEN = "127.0.0.1:7420"  # as `vledger serve` (tui/cli/sync.py)


@dataclass
class PeerSeen:
    """One peer that connected while the UI served: what it did last."""

    peer: str  # office:device
    office: str
    state: str  # "connected", "in-step" (its last exchange ended in step), "left", "refused"
    at: str  # ISO 8601: when the server last heard of it
    connected: bool = True
    sent: int = 0  # changes sent to it in its last exchange
    received: int = 0  # changes it brought in its last exchange
    syncs: int = 0  # exchanges that ended in step while the UI served
    last_sync: str = ""  # ISO 8601 of the last of them


class Serving:
    """One `vledger serve` child and what it said (see the module docstring).

    `changed()` is called on the event loop after every line and when the child ends;
    `synced()` after every exchange that ended in step (peers' records moved).
    """

    def __init__(
        self, app: App[Any], home: Path, lang: str, listen: str, *,
        changed: Callable[[], None], synced: Callable[[], None],
    ) -> None:
        self.listen = listen
        self.state = "starting"  # "serving", "stopped", "failed"
        self.address: str | None = None  # where it listens, once it said so
        self.problem = ""  # why it failed (its stderr's last line)
        self.peers: dict[str, PeerSeen] = {}
        self._changed = changed
        self._synced = synced
        self.child = Child(
            app, vledger_argv(home, lang, "serve", "--listen", listen, "--json-log",
                              "--stop-with-stdin"),
            on_line=self._heard, on_exit=self._ended, keep_stdin=True)

    def start(self) -> None:
        self.child.start()

    def stop(self) -> None:
        """Stop the child and wait for it (the app's quit does this for every child)."""
        if self.state in ("starting", "serving"):
            self.state = "stopped"
        self.child.stop()

    @property
    def active(self) -> bool:
        return self.state in ("starting", "serving")

    def _heard(self, event: Event) -> None:
        kind = str(event.get("event", ""))
        at = str(event.get("at", ""))
        if kind == "serving":
            self.state = "serving"
            self.address = str(event.get("address", self.listen))
        elif kind in ("connected", "synced", "disconnected", "refused"):
            peer = str(event.get("peer") or event.get("address") or "")
            seen = self.peers.get(peer) or PeerSeen(peer, str(event.get("office") or ""),
                                                    kind, at)
            seen.office = str(event.get("office") or seen.office)
            seen.at = at
            seen.connected = kind in ("connected", "synced")
            if kind != "disconnected" or seen.state == "connected":
                seen.state = {"connected": "connected", "synced": "in-step",
                              "disconnected": "left", "refused": "refused"}[kind]
            if kind == "synced":
                seen.sent = int(event.get("sent") or 0)
                seen.received = int(event.get("received") or 0)
                seen.syncs += 1
                seen.last_sync = at
            if kind == "refused":
                self.problem = str(event.get("message") or "")
            self.peers[peer] = seen
        self._changed()
        if kind == "synced":
            self._synced()

    def _ended(self, code: int, stderr: list[str]) -> None:
        if self.state != "stopped":
            self.state = "failed"
            self.problem = stderr[-1] if stderr else f"vledger serve ended ({code})"
        self._changed()
