"""Named commands (VisiData style): one name, keys, a help line in each language, and the
action they run. Bindings, the footer, F1 help and the command palette are all built from
these tables, so they can never disagree. The grid's, the cell editor's and the app-wide
commands are here (F1 help lists all three under any screen); each screen keeps its own table
(`SCREEN_COMMANDS`) of the same `Command` type.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class GridCommand:
    name: str  # also the Binding id, so an app keymap can rebind it
    keys: str  # Textual key list, comma separated
    action: str  # action on the grid body, without the "action_" prefix
    title_zh: str  # short, for the footer
    title_en: str
    help_zh: str  # one line, for the command palette
    help_en: str
    show: bool = False  # shown in the footer
    key_display: str | None = None
    words: str = ""  # more words the palette matches (synonyms, in either language)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en

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
GRID_COMMANDS: tuple[GridCommand, ...] = (
    C("cursor-up", "up,k", "cursor_up", "上", "up", "光标上移一行", "Move up one row"),
    C("cursor-down", "down,j", "cursor_down", "下", "down", "光标下移一行", "Move down one row"),
    C("cursor-left", "left,h", "cursor_left", "左", "left", "光标左移一列", "Move left one column"),
    C("cursor-right", "right,l", "cursor_right", "右", "right",
      "光标右移一列", "Move right one column"),
    C("page-up", "pageup", "page_up", "上页", "page up", "向上翻一页", "Move up one page"),
    C("page-down", "pagedown", "page_down", "下页", "page down",
      "向下翻一页", "Move down one page"),
    C("go-top", "home", "go_top", "首行", "top", "跳到第一行", "Go to the first row"),
    C("go-bottom", "end", "go_bottom", "末行", "bottom", "跳到最后一行", "Go to the last row"),
    C("edit-cell", "enter,f2", "edit", "编辑", "edit",
      "编辑当前单元格（直接输入也可开始编辑）", "Edit the cell (or just start typing)",
      show=True, key_display="⏎"),
    C("add-row", "a", "add_row", "新增行", "add row", "新增一行", "Add a row", show=True),
    C("delete-row", "d", "delete_row", "删除行", "delete row",
      "删除当前行（可撤销）", "Delete the row (undoable)", show=True),
    C("restore-row", "r", "restore_row", "恢复行", "restore row",
      "恢复已删除的行", "Restore a deleted row"),
    C("toggle-deleted", "D", "toggle_deleted", "显示已删", "show deleted",
      "显示或隐藏已删除的行", "Show or hide deleted rows"),
    C("undo", "u,ctrl+z", "undo", "撤销", "undo", "撤销上一步修改", "Undo the last change",
      show=True, key_display="u"),
    C("redo", "ctrl+y", "redo", "重做", "redo", "重做撤销的修改", "Redo the undone change"),
    C("search", "slash", "search", "查找", "search", "查找文字", "Search for text",
      show=True, key_display="/"),
    C("search-next", "n", "search_next", "下一个", "next", "下一个匹配", "Next match"),
    C("search-prev", "N", "search_prev", "上一个", "previous", "上一个匹配", "Previous match"),
    C("sort-asc", "left_square_bracket", "sort_asc", "升序", "sort asc",
      "按当前列升序排列（再按取消）", "Sort by this column, ascending (again: unsort)",
      key_display="["),
    C("sort-desc", "right_square_bracket", "sort_desc", "降序", "sort desc",
      "按当前列降序排列（再按取消）", "Sort by this column, descending (again: unsort)",
      key_display="]"),
    C("filter", "f", "filter", "筛选", "filter",
      "只显示当前列等于此值的行（再按取消）", "Show rows with this cell's value (again: clear)",
      show=True),
)

# While the cell editor has focus only these apply (the grid's letter keys are typing then).
EDITOR_COMMANDS: tuple[GridCommand, ...] = (
    C("commit-down", "enter", "commit_down", "确定", "commit",
      "保存并下移", "Commit and move down", show=True, key_display="⏎"),
    C("commit-right", "tab", "commit_right", "确定→", "commit →",
      "保存并右移", "Commit and move right", show=True),
    C("commit-left", "shift+tab", "commit_left", "确定←", "commit ←",
      "保存并左移", "Commit and move left"),
    C("cancel-edit", "escape", "cancel", "取消", "cancel",
      "取消编辑，恢复原值", "Cancel the edit and keep the old value", show=True),
)

# Anywhere in the app; the app binds them and F1 help lists them.
APP_COMMANDS: tuple[GridCommand, ...] = (
    C("help", "f1", "app.help", "帮助", "help", "列出当前屏幕的所有按键",
      "List every key of this screen", show=True, words="帮助 按键 keys help"),
    C("switch-language", "ctrl+l", "app.switch_language", "中/EN", "中/EN",
      "切换界面语言（中文/英文）", "Switch the language (Chinese/English)", show=True,
      words="语言 中文 英文 language chinese english"),
    C("command-palette", "ctrl+p", "app.command_palette", "命令", "commands",
      "打开命令面板", "Open the command palette", words="命令 palette"),
    C("quit", "ctrl+q", "app.quit", "退出", "quit", "退出 vledger", "Quit vledger",
      show=True, words="退出 quit exit"),
    C("help-quit", "ctrl+c", "app.help_quit", "如何退出", "how to quit",
      "提示用 Ctrl+Q 退出", "Say that Ctrl+Q quits"),
)
del C

COMMANDS_BY_NAME = {c.name: c for c in (*GRID_COMMANDS, *EDITOR_COMMANDS)}


def grid_bindings(lang: str) -> list[Binding]:
    return [c.binding(lang) for c in GRID_COMMANDS]


def editor_bindings(lang: str) -> list[Binding]:
    return [c.binding(lang) for c in EDITOR_COMMANDS]


def find_command(name: str) -> GridCommand:
    """The command called `name`; KeyError when there is none."""
    return COMMANDS_BY_NAME[name]
