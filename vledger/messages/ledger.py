"""Ledger files (台账文件) read for import: problems of the header, the rows and the file."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "ledger.column-name": ("{title}（{id}）", "{title} ({id})"),
    "ledger.header.twice": (
        "表头中“{title}”（{id}）出现了两次（另一处是“{other}”）",
        "column {title} ({id}) appears twice in the header (also as {other})",
    ),
    "ledger.header.required-missing": (
        "表头缺少必填列“{title}”（{id}）",
        "the header has no column {title} ({id}), which is required",
    ),
    "ledger.header.no-name": ("这一列有内容，但表头是空的", "this column has values but no header"),
    "ledger.header.ambiguous": (
        "有几列同名（{ids}），请改用列的编号",
        "several columns have this title ({ids}); use the column id",
    ),
    "ledger.header.unknown": (
        "方案 {program} 没有这一列（列有：{columns}）",
        "program {program} has no such column (columns: {columns})",
    ),
    "ledger.no-such-column": ("方案 {program} 没有这一列", "no such column in program {program}"),
    "ledger.cell.beyond-header": (
        "“{value}”在表头最后一列之外", '"{value}" is beyond the last column of the header'
    ),
    "ledger.file.empty": (
        "文件是空的；第一行应是表头（列的编号或标题）",
        "the file is empty; the first row must be the header (column ids or titles)",
    ),
}
