"""The sync screen (同步): sync now with a peer, export and import a bundle, and what peers
have seen.

Everything goes through the office's sync service (sync/services/sync.py):
`sync_with_async` over the office's own open store (the UI holds the home's lock, so a
second process could not sync meanwhile), `export_bundle`, `import_bundle` (the very acts
`vledger bundle` runs), and `peers()` for the table. Long work runs in a worker with a
progress line; every refusal (peer unreachable, refused, a bad bundle) is shown on the
screen, never raised.

The peers table lists every peer this home ever synced with (from the store: last sync,
changes of ours it has not confirmed), plus what this session's syncs did (state, changes
and bytes each way), and addresses that could not be reached.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from vledger.errors import VledgerError
from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.table_model import TableModel, text_column
from vledger.tui.grid.view import Grid
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.history_text import problem_text, show_time

if TYPE_CHECKING:
    from vledger.sync.services.office import Office
    from vledger.sync.services.sync import PeerStatus

DEFAULT_PEER = "127.0.0.1:7420"
TIMEOUT = 15.0

SYNC_COMMANDS: tuple[Command, ...] = (
    Command("sync-now", "s", "sync_now", "cmd.sync-now", show=True, words="sync 同步 peer 对方"),
    Command("export-bundle", "e", "export_bundle", "cmd.export-bundle", show=True,
            words="bundle usb 导出 文件"),
    Command("import-bundle", "i", "import_bundle", "cmd.import-bundle", show=True,
            words="bundle usb 导入 文件"),
    Command("refresh-peers", "f5", "refresh_peers", "cmd.refresh-peers"),
    Command("close-sync", "escape", "close", "cmd.close-sync", show=True, key_display="Esc"),
)


def peer_columns(lang: str) -> list[GridColumn]:
    return [
        text_column("office", say(lang, "ui.sync.col.peer"), 6),
        text_column("state", say(lang, "ui.sync.col.state"), 8),
        text_column("at", say(lang, "ui.sync.col.last-sync"), 16),
        text_column("unconfirmed", say(lang, "ui.sync.col.unconfirmed"), 6),
        text_column("changes", say(lang, "ui.sync.col.changes"), 10),
        text_column("bytes", say(lang, "ui.sync.col.bytes"), 12),
        text_column("address", say(lang, "ui.sync.col.address"), 15),
    ]


class SyncScreen(OfficeScreen):
    """Sync with a peer, or carry changes on a USB stick."""

    SCREEN_COMMANDS = SYNC_COMMANDS
    DEFAULT_CSS = """
    SyncScreen #sync-head { height: auto; text-style: bold; background: $panel; }
    SyncScreen .sync-row { height: 1; }
    SyncScreen .sync-row Label { width: 14; padding: 0 1; }
    SyncScreen .sync-row Input { width: 1fr; }
    SyncScreen #sync-progress { display: none; }
    SyncScreen #sync-status { height: auto; }
    SyncScreen #sync-status.-refused { background: $error; }
    """

    def __init__(self, office: Office, lang: str = "zh", **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.known: list[PeerStatus] = []  # from the store
        self.session: dict[str, dict[str, Any]] = {}  # row id -> what this session saw
        self.addresses: dict[str, str] = {}  # row id -> the address it was reached at
        self.busy = False
        self.model = TableModel(peer_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter="cmd.enter.sync-now",
                                 id="sync-peers")

    def commands(self) -> tuple[Command, ...]:
        return (*SYNC_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="sync-head", markup=False)
        with Horizontal(classes="sync-row"):
            yield Label("", id="label-address")
            yield Input(DEFAULT_PEER, id="sync-address", compact=True)
        with Horizontal(classes="sync-row"):
            yield Label("", id="label-bundle")
            yield Input("", id="sync-bundle", compact=True)
        yield ProgressBar(total=None, show_eta=False, id="sync-progress")
        yield Static("", id="sync-status", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.grid.focus()
        self.refresh_peers()

    def label(self) -> None:
        me = self.office.roster.whoami()
        self.query_one("#sync-head", Static).update(say(
            self.lang, "ui.sync.head", township=me.township_name, name=me.office_name,
            office=me.office, device=me.device))
        self.query_one("#label-address", Label).update(say(self.lang, "ui.sync.address"))
        self.query_one("#label-bundle", Label).update(say(self.lang, "ui.sync.bundle"))
        bundle = self.query_one("#sync-bundle", Input)
        bundle.placeholder = str(Path.home() / f"vledger-{me.office}.bundle")
        if self.grid.lang != self.lang:
            self.grid.retitle(peer_columns(self.lang), self.lang)
            self.show_peers()

    # -- the peers table -----------------------------------------------------------------

    def refresh_peers(self) -> None:
        """Read what every peer has seen, in a thread (it counts every held change)."""
        self.run_worker(self._read_peers, thread=True, exclusive=True, group="sync-peers",
                        exit_on_error=False)

    def _read_peers(self) -> None:
        known = self.office.sync.peers()
        self.app.call_from_thread(self._peers_read, known)

    def _peers_read(self, known: list[PeerStatus]) -> None:
        self.known = known
        self.show_peers()

    def show_peers(self) -> None:
        rows: dict[str, dict[str, str]] = {}
        for peer in self.known:
            rows[peer.peer] = {"office": peer.office, "at": show_time(peer.last_sync),
                               "unconfirmed": str(peer.unconfirmed)}
        for row_id, seen in self.session.items():
            row = rows.setdefault(row_id, {"office": seen.get("office", "")})
            row["address"] = seen["address"]
            row["state"] = self._state_text(seen["state"])
            row.setdefault("at", seen["at"])
            row["changes"] = seen.get("changes", "")
            row["bytes"] = seen.get("bytes", "")
        self.model.set_rows(list(rows.items()))
        self.grid.refresh_model()

    def _state_text(self, state: str) -> str:
        names = {"in-step": "ui.sync.in-step", "changing": "ui.sync.changing",
                 "failed": "ui.sync.failed"}
        return say(self.lang, names[state]) if state in names else state

    # -- showing progress and results ----------------------------------------------------

    def set_status(self, text: str, refused: bool = False) -> None:
        status = self.query_one("#sync-status", Static)
        status.update(text)
        status.set_class(refused, "-refused")

    def _working(self, text: str | None) -> None:
        self.busy = text is not None
        self.query_one("#sync-progress").display = self.busy
        if text is not None:
            self.set_status(text)

    # -- sync now ------------------------------------------------------------------------

    def action_sync_now(self) -> None:
        if not self.busy:
            self.sync_with(self.query_one("#sync-address", Input).value.strip())

    @on(Input.Submitted, "#sync-address")
    def address_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_sync_now()

    @on(Grid.CellActivated, "#sync-peers")
    def sync_again(self, event: Grid.CellActivated) -> None:
        event.stop()
        if not self.busy:
            address = self.addresses.get(event.row_id)
            self.sync_with(address or self.query_one("#sync-address", Input).value.strip())

    @work(exclusive=True, group="sync")
    async def sync_with(self, address: str) -> None:
        self._working(say(self.lang, "ui.sync.syncing", address=address))
        try:
            result = await self.office.sync.sync_with_async(
                address, timeout=TIMEOUT, progress=lambda text: self.set_status(text))
        except VledgerError as problem:  # unreachable, refused, cut: shown, the home unchanged
            self._working(None)
            # The service's message names the address already: say it once.
            text = problem_text(problem, self.lang).removeprefix(f"could not sync with {address}: ")
            self.session[address] = {"address": address, "state": "failed", "at": _now()}
            self.addresses[address] = address
            self.show_peers()
            self.set_status(say(self.lang, "ui.sync.unreachable", address=address, problem=text),
                            refused=True)
            return
        self._working(None)
        self.session.pop(address, None)  # a failure at this address is past
        self.session[result.peer] = {
            "address": address, "office": result.peer_office, "at": _now(),
            "state": "in-step" if result.converged else "changing",
            "changes": f"{result.sent}/{result.received}",
            "bytes": f"{result.bytes_sent}/{result.bytes_received}",
        }
        self.addresses[result.peer] = address
        self.show_peers()
        self.refresh_peers()
        text = say(self.lang, "ui.sync.synced", office=result.peer_office,
                   sent=result.sent, received=result.received)
        if result.brought is not None:  # what went each way and who moved, as `sync` says
            text = "\n".join([text, *result.brought.lines(self.lang)])
            self.app.last_brought = result.brought  # type: ignore[attr-defined]
        self.set_status(text)

    # -- bundles -------------------------------------------------------------------------

    def _bundle_path(self) -> Path | None:
        box = self.query_one("#sync-bundle", Input)
        text = box.value.strip() or box.placeholder
        if not text:
            self.set_status(say(self.lang, "ui.sync.bundle-missing"), refused=True)
            return None
        return Path(text).expanduser()

    def action_export_bundle(self) -> None:
        path = self._bundle_path()
        if path is None or self.busy:
            return
        self._working(say(self.lang, "ui.sync.exporting", path=path))
        self.run_worker(lambda: self._bundle("export", path), thread=True, exclusive=True,
                        group="sync", exit_on_error=False)

    def action_import_bundle(self) -> None:
        path = self._bundle_path()
        if path is None or self.busy:
            return
        self._working(say(self.lang, "ui.sync.importing", path=path))
        self.run_worker(lambda: self._bundle("import", path), thread=True, exclusive=True,
                        group="sync", exit_on_error=False)

    def _bundle(self, what: str, path: Path) -> None:
        refused = False
        try:
            if what == "export":
                summary = self.office.sync.export_bundle(path)
                size = path.stat().st_size
                text = say(self.lang, "ui.sync.exported", documents=summary.documents,
                           changes=summary.changes, path=path, size=size)
            else:
                summary = self.office.sync.import_bundle(path)
                text = say(self.lang, "ui.sync.imported", office=summary.office,
                           changes=summary.changes)
                if summary.refused:  # as `vledger bundle import` says them: never applied
                    refused = True
                    text += say(self.lang, "ui.sync.imported-refused",
                                count=len(summary.refused))
        except VledgerError as problem:  # another township's, damaged, missing, unwritable
            failed = problem_text(problem, self.lang)
            text = (say(self.lang, "ui.sync.export-failed", problem=failed)
                    if what == "export" else failed)
            self.app.call_from_thread(self._bundle_done, text, True)
            return
        self.app.call_from_thread(self._bundle_done, text, refused)

    def _bundle_done(self, text: str, refused: bool) -> None:
        self._working(None)
        self.set_status(text, refused=refused)

    def action_refresh_peers(self) -> None:
        self.refresh_peers()

    def action_close(self) -> None:
        if not self.grid.has_focus:
            self.grid.focus()  # Esc in a field goes back to the peers first
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="minutes")[:16].replace("T", " ")
