"""Named commands (VisiData style): one name, keys, the action they run, and the catalogue
id of their words (vledger/messages/commands.py: `cmd.<name>` the footer title,
`cmd.<name>.help` the help line; a name that means different things on different screens
is `cmd.<screen>.<name>`). Bindings, the footer, F1 help and the command palette are all
built from these tables, so they can never disagree. The grid's, the cell editor's and the
app-wide commands are here (F1 help lists all three under any screen); each screen keeps its
own table (`SCREEN_COMMANDS`) of the same `Command` type.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from vledger.messages import say


@dataclass(frozen=True)
class GridCommand:
    """A command of the grid: its keys, its action and its footer title."""

    name: str  # also the Binding id, so an app keymap can rebind it
    keys: str  # Textual key list, comma separated
    action: str  # action on the grid body, without the "action_" prefix
    said: str  # catalogue id of its footer title; its help line is `<said>.help`
    show: bool = False  # shown in the footer
    key_display: str | None = None
    words: str = ""  # more words the palette matches (synonyms, in either language)

    def title(self, lang: str) -> str:
        """Short, for the footer."""
        return say(lang, self.said)

    def help(self, lang: str) -> str:
        """One line, for F1 help and the command palette."""
        return say(lang, f"{self.said}.help")

    def binding(self, lang: str) -> Binding:
        return Binding(
            self.keys, self.action, self.title(lang), show=self.show,
            key_display=self.key_display, tooltip=self.help(lang), id=self.name,
        )


Command = GridCommand  # the same shape serves screens and the app


def bindings(commands: tuple[GridCommand, ...], lang: str) -> list[Binding]:
    """Bindings for the commands that have keys (palette-only commands have none)."""
    return [c.binding(lang) for c in commands if c.keys]


def key_label(command: GridCommand) -> str:
    """How help lists a command's keys: its display key, else every key."""
    if not command.keys:
        return ""
    names = {"slash": "/", "left_square_bracket": "[", "right_square_bracket": "]"}
    shown = [names.get(k, k) for k in command.keys.split(",")]
    return " ".join(shown) if command.key_display is None else " ".join(
        [command.key_display, *[k for k in shown[1:] if k != command.key_display]]
    )


C = GridCommand
# On an editable grid a printable key types: on a cell it starts an edit with that
# character, as in a spreadsheet (a clerk types 否, no, 12 or a date without pressing
# anything first). So the grid's commands are on keys that never type a character: the
# arrows and page keys, Enter/F2, Ctrl+letter and F3. `/`, `[` and `]` stay commands: no
# value a clerk types starts with them.
GRID_COMMANDS: tuple[GridCommand, ...] = (
    C("cursor-up", "up", "cursor_up", "cmd.cursor-up"),
    C("cursor-down", "down", "cursor_down", "cmd.cursor-down"),
    C("cursor-left", "left", "cursor_left", "cmd.cursor-left"),
    C("cursor-right", "right", "cursor_right", "cmd.cursor-right"),
    C("page-up", "pageup", "page_up", "cmd.page-up"),
    C("page-down", "pagedown", "page_down", "cmd.page-down"),
    C("go-top", "home", "go_top", "cmd.go-top"),
    C("go-bottom", "end", "go_bottom", "cmd.go-bottom"),
    C("next-cell", "tab", "next_cell", "cmd.next-cell"),
    C("previous-cell", "shift+tab", "previous_cell", "cmd.previous-cell"),
    C("edit-cell", "enter,f2", "edit", "cmd.edit-cell", show=True, key_display="⏎"),
    C("add-row", "ctrl+n", "add_row", "cmd.add-row", show=True, words="新增 添加 insert new"),
    C("delete-row", "ctrl+d", "delete_row", "cmd.delete-row", show=True, words="删除 delete"),
    C("restore-row", "ctrl+r", "restore_row", "cmd.restore-row", words="恢复 restore"),
    C("toggle-deleted", "ctrl+t", "toggle_deleted", "cmd.toggle-deleted",
      words="已删除 deleted trash"),
    C("undo", "ctrl+z", "undo", "cmd.undo", show=True, words="撤销 undo"),
    C("redo", "ctrl+y", "redo", "cmd.redo", words="重做 redo"),
    C("search", "slash", "search", "cmd.search", show=True, key_display="/",
      words="查找 搜索 find search"),
    C("search-next", "f3,ctrl+g", "search_next", "cmd.search-next", words="下一个 next"),
    C("search-prev", "shift+f3", "search_prev", "cmd.search-prev", words="上一个 previous"),
    C("sort-asc", "left_square_bracket", "sort_asc", "cmd.sort-asc", key_display="[",
      words="排序 sort"),
    C("sort-desc", "right_square_bracket", "sort_desc", "cmd.sort-desc", key_display="]",
      words="排序 sort"),
    C("filter", "ctrl+e", "filter", "cmd.filter", show=True, words="筛选 filter"),
)

# While the cell editor has focus only these apply (the grid's letter keys are typing then).
EDITOR_COMMANDS: tuple[GridCommand, ...] = (
    C("commit-down", "enter", "commit_down", "cmd.commit-down", show=True, key_display="⏎"),
    C("commit-right", "tab", "commit_right", "cmd.commit-right", show=True),
    C("commit-left", "shift+tab", "commit_left", "cmd.commit-left"),
    C("cancel-edit", "escape", "cancel", "cmd.cancel-edit", show=True),
    C("choice-next", "down", "choice_next", "cmd.choice-next"),
    C("choice-prev", "up", "choice_prev", "cmd.choice-prev"),
)

# While the grid's search box has focus.
SEARCH_BOX_COMMANDS: tuple[GridCommand, ...] = (
    C("search-go", "enter", "search_done", "cmd.search-go", show=True, key_display="⏎"),
    C("search-cancel", "escape", "search_cancel", "cmd.search-cancel", show=True),
)

# Anywhere in the app; the app binds them and F1 help lists them.
APP_COMMANDS: tuple[GridCommand, ...] = (
    C("help", "f1", "app.help", "cmd.help", show=True, words="帮助 按键 keys help"),
    C("switch-language", "ctrl+l", "app.switch_language", "cmd.switch-language", show=True,
      words="语言 中文 英文 language chinese english"),
    C("command-palette", "ctrl+p", "app.command_palette", "cmd.command-palette",
      words="命令 palette"),
    C("quit", "ctrl+q", "app.quit", "cmd.quit", show=True, words="退出 quit exit"),
    C("help-quit", "ctrl+c", "app.help_quit", "cmd.help-quit"),
)
del C

COMMANDS_BY_NAME = {c.name: c for c in (*GRID_COMMANDS, *EDITOR_COMMANDS)}


def grid_bindings(lang: str) -> list[Binding]:
    return [c.binding(lang) for c in GRID_COMMANDS]


def editor_bindings(lang: str) -> list[Binding]:
    return [c.binding(lang) for c in EDITOR_COMMANDS]

