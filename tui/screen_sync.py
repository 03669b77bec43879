"""The sync screen (同步): sync now with a peer, export and import a bundle, and what happened.

Long work runs in a worker with a progress bar; every failure (peer unreachable, refused,
a bad bundle) is shown on the screen, never raised. The screen uses the sync layer's own
pieces (sync/peer.py, sync/protocol.py, sync/bundle.py) over the office's open store: the
UI holds the home's lock, so `vledger sync` in a second process could not run meanwhile.

The peers table lists the peers this screen synced with, with their state, last sync time
and bytes each way. The sync layer keeps the heads of the last sync per peer, but offers no
listing of peers yet (no `status` function), so earlier syncs are not listed here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from tui.commands import Command
from tui.grid import Grid
from tui.grid_model import GridColumn
from tui.screen_base import OfficeScreen
from tui.screen_ranking import ReadOnlyGrid, TableModel

DEFAULT_PEER = "127.0.0.1:7420"
TIMEOUT = 15.0

SYNC_COMMANDS: tuple[Command, ...] = (
    Command("sync-now", "s", "sync_now", "立即同步", "sync now",
            "与填写的地址同步（回车）", "Sync with the address typed (Enter)", show=True,
            words="sync 同步 peer 对方"),
    Command("export-bundle", "e", "export_bundle", "导出包", "export",
            "把对方可能缺少的修改写入文件（U 盘）", "Write the changes a peer may lack to a file",
            show=True, words="bundle usb 导出 文件"),
    Command("import-bundle", "i", "import_bundle", "导入包", "import",
            "导入同步包文件（重复导入不会改变数据）", "Apply a bundle file (twice changes nothing)",
            show=True, words="bundle usb 导入 文件"),
    Command("close-sync", "escape", "close", "返回", "back", "返回上一屏", "Back", show=True,
            key_display="Esc"),
)


def peer_columns(lang: str) -> list[GridColumn]:
    zh = lang == "zh"
    return [
        GridColumn("address", "地址" if zh else "address", "text", 16, editable=False),
        GridColumn("office", "对方单位" if zh else "office", "text", 8, editable=False),
        GridColumn("state", "状态" if zh else "state", "text", 14, editable=False),
        GridColumn("at", "上次同步" if zh else "last sync", "text", 16, editable=False),
        GridColumn("changes", "修改 发/收" if zh else "changes out/in", "text", 10,
                   editable=False),
        GridColumn("bytes", "字节 发/收" if zh else "bytes out/in", "text", 14, editable=False),
    ]


class SyncScreen(OfficeScreen):
    """Sync with a peer, or carry changes on a USB stick."""

    SCREEN_COMMANDS = SYNC_COMMANDS
    DEFAULT_CSS = """
    SyncScreen #sync-head { height: auto; text-style: bold; background: $panel; }
    SyncScreen .sync-row { height: 1; }
    SyncScreen .sync-row Label { width: 12; padding: 0 1; }
    SyncScreen .sync-row Input { width: 1fr; }
    SyncScreen #sync-progress { display: none; }
    SyncScreen #sync-status { height: auto; }
    SyncScreen #sync-status.-refused { background: $error; }
    """

    def __init__(self, office: Any, lang: str = "zh", **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.peers: dict[str, dict[str, str]] = {}  # address -> shown cells
        self.busy = False
        self.model = TableModel(peer_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter=("立即同步", "sync now"),
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
        self.grid.focus()

    def label(self) -> None:
        me = self.office.whoami()
        self.query_one("#sync-head", Static).update(self.tr(
            f"{me.township_name} · 本单位 {me.office_name}（{me.office}）· 设备 {me.device}",
            f"{me.township_name} · office {me.office_name} ({me.office}) · device {me.device}"))
        self.query_one("#label-address", Label).update(self.tr("对方地址", "peer"))
        self.query_one("#label-bundle", Label).update(self.tr("同步包文件", "bundle file"))
        bundle = self.query_one("#sync-bundle", Input)
        bundle.placeholder = str(Path.home() / f"vledger-{me.office}.bundle")

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

    def _show_peer(self, address: str, cells: dict[str, str]) -> None:
        self.peers[address] = {"address": address, **cells}
        self.model.set_rows(list(self.peers.items()))
        self.grid.refresh_model()

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
            self.sync_with(event.row_id)

    @work(exclusive=True, group="sync")
    async def sync_with(self, address: str) -> None:
        from sync.peer import Connection, parse_address
        from sync.protocol import Identity, Initiator

        try:
            host, port = parse_address(address)
        except ValueError as problem:
            self.set_status(str(problem), refused=True)
            return
        self._working(self.tr(f"正在与 {address} 同步…", f"syncing with {address}…"))
        conn = None
        try:
            conn = await Connection.open(host, port, TIMEOUT)
            me = Identity.of(self.office.store)
            outcome = await Initiator(me, conn.ask).run(self.office.store)
        except Exception as problem:  # unreachable, refused, cut: shown, the home unchanged
            self._working(None)
            text = _describe(problem)
            self._show_peer(address, {"office": "", "state": self.tr("失败", "failed"),
                                      "at": _now(), "changes": "", "bytes": ""})
            self.set_status(self.tr(f"无法与 {address} 同步：{text}",
                                    f"could not sync with {address}: {text}"), refused=True)
            return
        finally:
            if conn is not None:
                await conn.close()
        self._working(None)
        done = outcome.converged
        state = self.tr("一致" if done else "对方仍在变化", "in step" if done else "peer changing")
        self._show_peer(address, {
            "office": outcome.peer_office, "state": state, "at": _now(),
            "changes": f"{outcome.sent}/{outcome.received}",
            "bytes": f"{conn.traffic.sent}/{conn.traffic.received}",
        })
        self.set_status(self.tr(
            f"已与 {outcome.peer_office} 同步：发出 {outcome.sent} 个修改，"
            f"收到 {outcome.received} 个",
            f"synced with {outcome.peer_office}: sent {outcome.sent} changes, "
            f"received {outcome.received}"))

    # -- bundles -------------------------------------------------------------------------

    def _bundle_path(self) -> Path | None:
        box = self.query_one("#sync-bundle", Input)
        text = box.value.strip() or box.placeholder
        if not text:
            self.set_status(self.tr("请填写同步包文件路径", "type the bundle file's path"),
                            refused=True)
            return None
        return Path(text).expanduser()

    @work(exclusive=True, group="sync")
    async def action_export_bundle(self) -> None:
        from sync.bundle import export_bundle

        path = self._bundle_path()
        if path is None or self.busy:
            return
        self._working(self.tr(f"正在导出到 {path}…", f"exporting to {path}…"))
        try:
            summary = export_bundle(self.office.store, path)
        except Exception as problem:
            self._working(None)
            self.set_status(self.tr(f"导出失败：{_describe(problem)}",
                                    f"export failed: {_describe(problem)}"), refused=True)
            return
        self._working(None)
        size = path.stat().st_size
        self.set_status(self.tr(
            f"已导出 {summary.documents} 个文档、{summary.changes} 个修改到 {path}（{size} 字节）",
            f"exported {summary.documents} documents, {summary.changes} changes to {path} "
            f"({size} bytes)"))

    @work(exclusive=True, group="sync")
    async def action_import_bundle(self) -> None:
        from sync.bundle import import_bundle

        path = self._bundle_path()
        if path is None or self.busy:
            return
        self._working(self.tr(f"正在导入 {path}…", f"importing {path}…"))
        try:
            summary = import_bundle(self.office.store, path)
        except Exception as problem:  # a bundle of another township, damaged, missing
            self._working(None)
            self.set_status(self.tr(f"导入失败，数据未改变：{_describe(problem)}",
                                    f"import refused, nothing changed: {_describe(problem)}"),
                            refused=True)
            return
        self._working(None)
        self.set_status(self.tr(
            f"已导入 {summary.office} 的同步包：{summary.changes} 个新修改",
            f"imported {summary.office}'s bundle: {summary.changes} new changes"))

    def action_close(self) -> None:
        if not self.grid.has_focus:
            self.grid.focus()  # Esc in a field goes back to the peers first
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()


def _describe(problem: BaseException) -> str:
    if isinstance(problem, TimeoutError):
        return "no answer in time"
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused (is `vledger serve` running there?)"
    return str(problem) or type(problem).__name__


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="minutes")[:16].replace("T", " ")
