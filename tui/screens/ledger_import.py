"""Import a .csv or .xlsx file into the ledger on screen: type or pick the file, Enter checks
it on the office's worker (LedgerSession.check_file: nothing written) and lists every
problem found, or says how many rows it holds; Enter again imports them all (import_file,
which checks again: all rows or none). Esc closes, nothing imported.

The screen decides nothing about files or values: the ledger service reads and checks the
file exactly as `vledger ledger import` does, so both accept and refuse the same files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from vledger.errors import VledgerError
from vledger.messages import localize, say

if TYPE_CHECKING:
    from vledger.sync.services.ledgers import FileCheck, LedgerSession
    from vledger.sync.services.office import Office

EXTENSIONS = (".csv", ".xlsx")
MAX_FILES = 50
# What the ledger screen hands over to run a job on the office's worker (OfficeScreen.ask).
Ask = Callable[..., Any]


def files_near(typed: str) -> list[Path]:
    """The .csv and .xlsx files in the folder `typed` names (or is in), those whose name
    starts with what is typed after the folder first."""
    path = Path(typed).expanduser() if typed else Path.cwd()
    if typed.endswith(("/", "\\")) or path.is_dir():
        folder, start = path, ""
    else:  # a file named whole: the others beside it stay offered
        folder, start = path.parent, "" if path.is_file() else path.name
    try:
        found = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in EXTENSIONS and p.is_file())
    except OSError:
        return []
    starting = [p for p in found if p.name.startswith(start)]
    return (starting or found)[:MAX_FILES]


class ImportScreen(ModalScreen[int | None]):
    """Dismisses with how many rows were imported, or None when nothing was."""

    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    ImportScreen > Vertical { width: 96%; max-width: 110; height: 90%; border: round $accent;
                              padding: 0 1; }
    ImportScreen #import-files { height: auto; max-height: 8; }
    ImportScreen #import-said { height: 1fr; }
    ImportScreen .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close", id="import-close"),
    ]

    def __init__(self, lang: str, ask: Ask, session: LedgerSession, title: str) -> None:
        super().__init__()
        self.lang = lang
        self.ask = ask
        self.session = session
        self.heading = title
        self.checked: FileCheck | None = None  # the last check, for the file it was of
        self.checked_path: Path | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.heading), classes="section")
            yield Static(say(self.lang, "ui.import.hint"), classes="hint")
            yield Input(str(Path.cwd()) + "/", id="import-path", select_on_focus=False)
            yield OptionList(id="import-files")
            with VerticalScroll(id="import-said"):
                yield Static(id="import-text")

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()
        self._list_files()

    def _list_files(self) -> None:
        files = self.query_one("#import-files", OptionList)
        files.clear_options()
        found = files_near(self.query_one("#import-path", Input).value)
        files.add_options([Option(p.name, id=str(p)) for p in found])
        files.highlighted = 0 if found else None  # Tab, then Enter picks the first
        files.display = bool(found)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._list_files()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        field = self.query_one("#import-path", Input)
        field.value = event.option.id or ""
        field.cursor_position = len(field.value)
        field.focus()
        self._go(Path(field.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._go(Path(event.value.strip()).expanduser())

    def _say(self, text: str) -> None:
        self.query_one("#import-text", Static).update(escape(text))

    def _go(self, path: Path) -> None:
        """Enter: check the file; on a file just checked and found good, import it."""
        if self.busy:
            return
        if not path.is_file():
            self._say(say(self.lang, "ui.import.not-a-file", file=str(path)))
            return
        checked = self.checked
        if checked is not None and checked.ok and checked.rows and self.checked_path == path:
            self._import(path)
        else:
            self._check(path)

    def _check(self, path: Path) -> None:
        self.busy = True
        self.checked, self.checked_path = None, None
        self._say(say(self.lang, "ui.import.checking", file=path.name))
        session, name = self.session, path.name  # the folder is on the line above

        def job(office: Office) -> FileCheck:
            return session.check_file(path, shown_as=name)

        def checked(found: FileCheck) -> None:
            self.busy = False
            self.checked, self.checked_path = found, path
            self._say(self._report(found))

        self.ask(job, checked, failed=self._failed)

    def _report(self, found: FileCheck) -> str:
        lang = self.lang
        lines = [localize(note, lang) for note in found.notes]
        if found.problems:
            lines.append(say(lang, "ui.import.problems", file=found.file,
                             count=len(found.problems)))
            lines += [f"  {localize(p, lang)}" for p in found.problems]
        elif not found.rows:
            lines.append(say(lang, "ui.import.empty", file=found.file))
        else:
            lines.append(say(lang, "ui.import.ready", file=found.file, count=len(found.rows)))
            lines += [f"  {localize(w, lang)}" for w in found.warnings]
        return "\n".join(lines)

    def _import(self, path: Path) -> None:
        self.busy = True
        self._say(say(self.lang, "ui.import.importing", file=path.name))
        session, name = self.session, path.name

        def job(office: Office) -> int:
            return session.import_file(path, shown_as=name).count

        self.ask(job, self.dismiss, failed=self._failed, write=True)

    def _failed(self, error: VledgerError) -> None:
        """Refused (the file changed since it was checked, this office may not write
        here): every problem, nothing imported."""
        self.busy = False
        self.checked, self.checked_path = None, None
        problems = [localize(p, self.lang) for p in error.problems] or [str(error)]
        self._say("\n".join([say(self.lang, "ui.import.refused"), *problems]))

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)
