"""The line under the grid: which row of how many, the sort, the filter, whether deleted rows
show, and the last message (marked refused when the grid or the model refused something).
`TEXT` holds what the grid says there and in its search box, in each language.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.widgets import Static

from vledger.tui.grid.row_view import RowView

TEXT = {
    "zh": {
        "row": "行", "sorted": "排序", "filtered": "筛选", "deleted_shown": "显示已删除行",
        "search": "查找（回车确定，Esc 取消）", "no_match": "未找到“{}”",
        "read_only": "此列不可编辑", "row_deleted": "该行已删除，请先恢复（r）",
        "deleted": "已删除一行（u 撤销）", "not_deleted": "该行未删除",
        "nothing_to_undo": "没有可撤销的修改", "nothing_to_redo": "没有可重做的修改",
    },
    "en": {
        "row": "row", "sorted": "sorted by", "filtered": "filter", "deleted_shown":
        "showing deleted rows", "search": "search (Enter to find, Esc to cancel)",
        "no_match": "no match for “{}”", "read_only": "this column cannot be edited",
        "row_deleted": "this row is deleted: restore it first (r)",
        "deleted": "row deleted (u to undo)", "not_deleted": "this row is not deleted",
        "nothing_to_undo": "nothing to undo", "nothing_to_redo": "nothing to redo",
    },
}


class GridStatus(Static):
    """One line of text; the grid says what goes in it."""

    def show(self, text: Mapping[str, str], view: RowView, cursor_row: int,
             message: str = "", refused: bool = False) -> None:
        """Where the cursor is in `view`, its sort and filter, after `message` if any."""
        t = text
        parts = [f"{t['row']} {cursor_row + 1 if view.rows() else 0}/{len(view.rows())}"]
        if view.sort_column:
            arrow = "▼" if view.sort_descending else "▲"
            parts.append(f"{t['sorted']} {view.column(view.sort_column).title}{arrow}")
        if view.filter_column:
            title = view.column(view.filter_column).title
            parts.append(f"{t['filtered']} {title}={view.filter_text}")
        if view.show_deleted:
            parts.append(t["deleted_shown"])
        if message:
            parts.insert(0, message)
        self.set_class(refused, "-refused")
        self.update("  ".join(parts), layout=False)  # fixed size: no re-layout
