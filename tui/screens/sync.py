"""The sync screen (同步): serve this office in the background, sync now with a peer, export
and import a bundle, and what peers have seen.

Every act runs as the very command a clerk would type, in a child process
(tui/children.py): `vledger serve --json-log` (kept by the app, tui/serving.py, so it
serves on while the clerk works on other screens), `vledger sync ADDRESS --json-log`,
`vledger bundle export|import FILE --json-log` and `vledger status --json`. Their heavy
work (signature checks, applying changes, fsyncs) never shares a process with the screen;
what they store reaches every screen through the store's change signal. Every refusal
(peer unreachable, refused, a bad bundle) is shown on the screen, never raised.

The peers table lists every peer this home ever synced with (from `status`: last sync,
changes of ours it has not confirmed), what this session's syncs did (state, changes each
way), the villages that connected while this UI served, and addresses that could not be
reached.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from vledger.messages import say
from vledger.tui.children import Child, Event, vledger_argv
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.table_model import TableModel, text_column
from vledger.tui.grid.view import Grid
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.history_text import show_time
from vledger.tui.serving import DEFAULT_LISTEN

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

DEFAULT_PEER = "127.0.0.1:7420"
TIMEOUT = 15.0

SYNC_COMMANDS: tuple[Command, ...] = (
    Command("sync-now", "s", "sync_now", "cmd.sync-now", show=True, words="sync 同步 peer 对方"),
    Command("toggle-serving", "v", "toggle_serving", "cmd.toggle-serving", show=True,
            words="serve 服务 listen 提供同步 村"),
    Command("export-bundle", "e", "export_bundle", "cmd.export-bundle", show=True,
            words="bundle usb 导出 文件"),
    Command("import-bundle", "i", "import_bundle", "cmd.import-bundle", show=True,
            words="bundle usb 导入 文件"),
    Command("refresh-peers", "f5", "refresh_peers", "cmd.refresh-peers"),
    Command("close-sync", "escape", "close", "cmd.close-sync", show=True, key_display="Esc"),
)


def peer_columns(lang: str) -> list[GridColumn]:
    return [
        text_column("office", say(lang, "ui.sync.col.peer"), 9),
        # a failure says why here: "failed: connection refused"
        text_column("state", say(lang, "ui.sync.col.state"), 18),
        text_column("at", say(lang, "ui.sync.col.last-sync"), 16),
        text_column("unconfirmed", say(lang, "ui.sync.col.unconfirmed"), 6),
        text_column("changes", say(lang, "ui.sync.col.changes"), 10),
        text_column("address", say(lang, "ui.sync.col.address"), 21),
    ]


STATES = {"in-step": "ui.sync.in-step", "changing": "ui.sync.changing",
          "failed": "ui.sync.failed", "connected": "ui.sync.connected",
          "left": "ui.sync.left", "refused": "ui.sync.refused"}


class SyncScreen(OfficeScreen):
    """Serve, sync with a peer, or carry changes on a USB stick."""

    SCREEN_COMMANDS = SYNC_COMMANDS
    DEFAULT_CSS = """
    SyncScreen #sync-head { height: auto; text-style: bold; background: $panel; }
    SyncScreen .sync-row { height: 1; }
    SyncScreen .sync-row Label { width: 16; padding: 0 1; }
    SyncScreen .sync-row Input { width: 1fr; }
    SyncScreen #sync-serving { height: 1; }
    SyncScreen #sync-serving.-serving { color: $success; }
    SyncScreen #sync-serving.-refused { background: $error; }
    SyncScreen #sync-progress { display: none; }
    SyncScreen #sync-status { height: auto; }
    SyncScreen #sync-status.-refused { background: $error; }
    """

    def __init__(self, office: Office, lang: str = "zh", **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.known: list[dict[str, Any]] = []  # `status --json`'s peers
        self.session: dict[str, dict[str, Any]] = {}  # office or address -> what we saw
        self.offices: dict[str, str] = {}  # address -> the office known to answer there
        self.offered: str | None = None  # what `vledger sync` takes when given no address
        self.busy = False
        self._status: Child | None = None  # the `status --json` child reading now
        self._status_again = False  # asked again while it ran
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
            # filled with the address to offer once the worker read it (on_mount)
            yield Input("", id="sync-address", compact=True)
        with Horizontal(classes="sync-row"):
            yield Label("", id="label-bundle")
            yield Input("", id="sync-bundle", compact=True)
        with Horizontal(classes="sync-row"):
            yield Label("", id="label-listen")
            yield Input(self._listen_default(), id="sync-listen", compact=True)
        yield Static("", id="sync-serving", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="sync-progress")
        yield Static("", id="sync-status", markup=False)
        yield self.grid
        yield Footer()

    def _listen_default(self) -> str:
        serving = getattr(self.app, "serving", None) if self.is_attached else None
        return serving.listen if serving is not None else DEFAULT_LISTEN

    def on_mount(self) -> None:
        super().on_mount()
        serving = getattr(self.app, "serving", None)
        if serving is not None:
            self.query_one("#sync-listen", Input).value = serving.listen
        self.grid.focus()
        self.serving_changed()
        self.refresh_peers()
        self.ask(_offer, self._offered)

    def _offered(self, offer: tuple[str | None, str | None]) -> None:
        """The last address that worked, else the invitation's (where the township serves):
        in the address field unless the clerk typed one meanwhile."""
        address, invited = offer
        self.offered = address
        if invited is not None:
            self.offices.setdefault(invited, self.facts.me.township)
        box = self.query_one("#sync-address", Input)
        if not box.value:
            box.value = address or DEFAULT_PEER

    def label(self) -> None:
        me = self.facts.identity
        self.query_one("#sync-head", Static).update(say(
            self.lang, "ui.sync.head", township=me.township_name, name=me.office_name,
            office=me.office, device=me.device))
        self.query_one("#label-address", Label).update(say(self.lang, "ui.sync.address"))
        self.query_one("#label-bundle", Label).update(say(self.lang, "ui.sync.bundle"))
        self.query_one("#label-listen", Label).update(say(self.lang, "ui.sync.listen"))
        bundle = self.query_one("#sync-bundle", Input)
        bundle.placeholder = str(Path.home() / f"vledger-{me.office}.bundle")
        if self.grid.lang != self.lang:
            self.grid.retitle(peer_columns(self.lang), self.lang)
        self.serving_changed()

    def _run(self, *args: str, on_line: Any = None, on_exit: Any = None,
             whole: bool = False) -> Child:
        """Start `vledger ARGS` on this home as a child process (module docstring)."""
        child = Child(self.app, vledger_argv(self.facts.me.home, self.lang, *args),
                      on_line=on_line, on_exit=on_exit, whole=whole)
        start = getattr(self.app, "start_child", None)
        if start is not None:
            start(child)  # the app stops it if it quits meanwhile
        else:
            child.start()
        return child

    # -- the peers table -----------------------------------------------------------------

    def refresh_peers(self) -> None:
        """Read what every peer has seen (`vledger status --json`: it counts every held
        change, so it runs in a child); asked again while it runs, it runs once more."""
        if self._status is not None:
            self._status_again = True
            return

        def read(report: Event) -> None:
            peers = report.get("peers")
            if isinstance(peers, list):
                self.known = [p for p in peers if isinstance(p, dict)]
                self.show_peers()

        def ended(_code: int, _stderr: list[str]) -> None:
            self._status = None
            if self._status_again and self.is_attached:
                self._status_again = False
                self.refresh_peers()

        self._status = self._run("status", "--json", on_line=read, on_exit=ended,
                                 whole=True)

    def store_changed(self, change: StoreChange) -> None:
        if change.synced:
            self.refresh_peers()

    def show_peers(self) -> None:
        rows: dict[str, dict[str, str]] = {}
        by_office: dict[str, str] = {}
        name = self.facts.office_name
        for peer in self.known:
            office = str(peer.get("office", ""))
            rows[str(peer.get("peer"))] = {
                "office": name(office), "at": show_time(str(peer.get("last_sync", ""))),
                "unconfirmed": str(peer.get("unconfirmed", "")),
            }
            by_office.setdefault(office, str(peer.get("peer")))
        serving = getattr(self.app, "serving", None)
        for seen in (serving.peers.values() if serving is not None else ()):
            row_id = by_office.get(seen.office) or seen.peer
            row = rows.setdefault(row_id, {"office": name(seen.office)})
            row["state"] = self._state_text(seen.state)
            if seen.last_sync:
                row["at"] = show_time(seen.last_sync)
                row["changes"] = f"{seen.sent}/{seen.received}"
        for key, seen in self.session.items():
            office = seen.get("office") or self.offices.get(seen["address"], "")
            row_id = by_office.get(office) or key
            row = rows.setdefault(row_id, {
                "office": name(office) if office else say(self.lang, "ui.sync.not-reached")})
            row["address"] = seen["address"]
            row["state"] = self._state_text(seen["state"])
            if seen.get("why"):
                row["state"] = say(self.lang, "ui.sync.failed-why", why=seen["why"])
            row["at"] = seen["at"]
            if seen.get("changes"):
                row["changes"] = seen["changes"]
        self.model.set_rows(list(rows.items()))
        self.grid.refresh_model()

    def _state_text(self, state: str) -> str:
        return say(self.lang, STATES[state]) if state in STATES else state

    # -- serving -------------------------------------------------------------------------

    def serving_changed(self) -> None:
        """The app's `vledger serve` child said something: where it serves, who came."""
        line = self.query_one("#sync-serving", Static)
        serving = getattr(self.app, "serving", None)
        line.set_class(False, "-serving")
        line.set_class(False, "-refused")
        if serving is None or serving.state == "stopped":
            line.update(say(self.lang, "ui.sync.not-serving"))
        elif serving.state == "failed":
            line.update(say(self.lang, "ui.sync.serve-failed", problem=serving.problem))
            line.set_class(True, "-refused")
        elif serving.state == "starting":
            line.update(say(self.lang, "ui.sync.serve-starting", address=serving.listen))
        else:
            line.update(say(self.lang, "ui.sync.serving",
                            address=serving.address or serving.listen))
            line.set_class(True, "-serving")
        if serving is not None:
            self.show_peers()

    def action_toggle_serving(self) -> None:
        app = self.app
        serving = getattr(app, "serving", None)
        if serving is not None and serving.active:
            app.stop_serving()  # type: ignore[attr-defined]
            return
        start = getattr(app, "start_serving", None)
        if start is None:
            return
        start(self.query_one("#sync-listen", Input).value.strip() or DEFAULT_LISTEN)

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
        if not self.busy:  # a field left empty: the address `vledger sync` would take
            typed = self.query_one("#sync-address", Input).value.strip()
            self.sync_with(typed or self.offered or "")

    @on(Input.Submitted, "#sync-address")
    def address_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_sync_now()

    @on(Input.Submitted, "#sync-listen")
    def listen_entered(self, event: Input.Submitted) -> None:
        event.stop()
        serving = getattr(self.app, "serving", None)
        if serving is None or not serving.active:
            self.action_toggle_serving()

    @on(Grid.CellActivated, "#sync-peers")
    def sync_again(self, event: Grid.CellActivated) -> None:
        event.stop()
        if not self.busy:
            address = self.session.get(event.row_id, {}).get("address")
            self.sync_with(address or self.query_one("#sync-address", Input).value.strip())

    def sync_with(self, address: str) -> None:
        """`vledger sync ADDRESS --json-log` in a child; its result shown when it ends."""
        self._working(say(self.lang, "ui.sync.syncing", address=address))
        said: dict[str, Event] = {}

        def heard(event: Event) -> None:
            said[str(event.get("event"))] = event

        def ended(code: int, stderr: list[str]) -> None:
            if not self.is_attached:
                return
            self._working(None)
            # an empty field: `vledger sync` chose the address, and says which
            tried = str(said.get("connecting", {}).get("address") or address)
            self._synced(tried, code, said, stderr)

        given = [address] if address else []  # none: `vledger sync` says it needs one
        self._run("sync", *given, "--json-log", "--timeout", f"{TIMEOUT:g}", on_line=heard,
                  on_exit=ended)

    def _synced(self, address: str, code: int, said: dict[str, Event],
                stderr: list[str]) -> None:
        done = said.get("synced")
        if code != 0 or done is None:  # unreachable, refused, cut: the home is unchanged
            problems = said.get("failed", {}).get("problems") or stderr[-3:] or [str(code)]
            lines = [_without_address(str(p), address) for p in problems]
            text = "; ".join(lines)
            self.session[address] = {"address": address, "state": "failed", "at": _now(),
                                     "why": lines[0]}
            self.show_peers()
            self.set_status(say(self.lang, "ui.sync.unreachable", address=address,
                                problem=text), refused=True)
            return
        office = str(done.get("peer_office", ""))
        self.session.pop(address, None)  # a failure at this address is past
        self.offices[address] = office
        sent, received = int(done.get("sent") or 0), int(done.get("received") or 0)
        self.session[office] = {"address": address, "office": office, "at": _now(),
                                "state": "in-step", "changes": f"{sent}/{received}"}
        self.show_peers()
        text = say(self.lang, "ui.sync.synced", office=self.facts.office_name(office),
                   sent=sent, received=received)
        if isinstance(done.get("brought"), dict):  # what went each way and who moved
            from vledger.sync.services.brought import Brought

            try:
                brought = Brought.from_json_dict(done["brought"])
            except (KeyError, TypeError, ValueError):
                brought = None  # a line this UI cannot read: the counts above still hold
            if brought is not None:
                text = "\n".join([text, *brought.lines(self.lang)])
                self.app.last_brought = brought  # type: ignore[attr-defined]
        self.set_status(text)
        heard = getattr(self.app, "store_changed", None)
        if heard is not None:
            heard(StoreChange(synced=True))  # unsynced marks and counts; peers table
        else:
            self.refresh_peers()

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
        self._bundle("export", path)

    def action_import_bundle(self) -> None:
        path = self._bundle_path()
        if path is None or self.busy:
            return
        self._working(say(self.lang, "ui.sync.importing", path=path))
        self._bundle("import", path)

    def _bundle(self, what: str, path: Path) -> None:
        """`vledger bundle export|import FILE --json-log` in a child."""
        said: dict[str, Event] = {}

        def heard(event: Event) -> None:
            said[str(event.get("event"))] = event

        def ended(code: int, stderr: list[str]) -> None:
            if self.is_attached:
                self._bundled(what, path, code, said, stderr)

        self._run("bundle", what, str(path), "--json-log", on_line=heard, on_exit=ended)

    def _bundled(self, what: str, path: Path, code: int, said: dict[str, Event],
                 stderr: list[str]) -> None:
        self._working(None)
        done = said.get("exported" if what == "export" else "imported")
        if done is None:  # another township's, damaged, missing, unwritable
            problems = said.get("failed", {}).get("problems") or stderr[-3:] or [str(code)]
            failed = "; ".join(str(p) for p in problems)
            self.set_status(say(self.lang, "ui.sync.export-failed", problem=failed)
                            if what == "export" else failed, refused=True)
            return
        if what == "export":
            self.set_status(say(self.lang, "ui.sync.exported", documents=done.get("documents"),
                                changes=done.get("changes"), path=path,
                                size=done.get("size")))
            return
        text = say(self.lang, "ui.sync.imported", office=done.get("office"),
                   changes=done.get("changes"))
        refused = done.get("refused") or []
        if refused:  # as `vledger bundle import` says them: never applied
            text += say(self.lang, "ui.sync.imported-refused", count=len(refused))
        self.set_status(text, refused=bool(refused))

    def action_refresh_peers(self) -> None:
        self.refresh_peers()

    def action_close(self) -> None:
        if not self.grid.has_focus:
            self.grid.focus()  # Esc in a field goes back to the peers first
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()


def _offer(office: Office) -> tuple[str | None, str | None]:
    """On the worker: the address to offer, and the invitation's (the township's)."""
    return office.sync.address_to_offer(), office.sync.invited_address()


def _without_address(line: str, address: str) -> str:
    """A failure line without its "could not sync with ADDRESS: " (the screen's own line
    says that once), in whichever language the command said it."""
    for lang in ("zh", "en"):
        prefix = say(lang, "sync.unreachable", address=address, why="")
        if line.startswith(prefix):
            return line[len(prefix):]
    return line


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="minutes")[:16].replace("T", " ")
