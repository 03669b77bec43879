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
    # -- the file itself (sync/services/tabular.py)
    "ledger.file.kind": (
        "{file}：台账文件应是 .csv 或 .xlsx，不是 {suffix}",
        "{file}: a ledger file is .csv or .xlsx, not {suffix}",
    ),
    "ledger.file.no-suffix": (
        "{file}：台账文件应是 .csv 或 .xlsx，这个文件没有扩展名",
        "{file}: a ledger file is .csv or .xlsx, not a file without extension",
    ),
    "ledger.file.missing": ("{file}：找不到这个文件", "{file}: no such file"),
    "ledger.file.folder": (
        "{file}：这是文件夹，不是台账文件", "{file}: is a folder, not a ledger file"
    ),
    "ledger.file.too-big": (
        "{file}：{size} MB，台账文件最多 {most} MB；请拆开分几次导入",
        "{file}: {size} MB is more than a ledger file can be (at most {most} MB); split it "
        "and import the parts",
    ),
    "ledger.file.unreadable": ("{file}：读不了这个文件（{why}）", "{file}: cannot read it ({why})"),
    "ledger.file.unwritable": (
        "{file}：写不了这个文件（{why}）", "{file}: cannot write it ({why})"
    ),
    "ledger.file.utf16": (
        "{file}：这是 UTF-16 文字（Excel 的“Unicode 文本”）；"
        "请另存为“CSV UTF-8（逗号分隔）”",
        '{file}: this is UTF-16 text (Excel\'s "Unicode text"); save it as "CSV UTF-8 '
        '(Comma delimited)" instead',
    ),
    "ledger.file.not-utf8": (
        "{file}:{line}: 既不是 UTF-8 也不是 GBK 编码的文字；"
        "请在 Excel 里另存为“CSV UTF-8（逗号分隔）”再导入",
        '{file}:{line}: neither UTF-8 nor GBK text; save it as "CSV UTF-8 (Comma delimited)" '
        "and import again",
    ),
    "ledger.file.read-as-gbk": (
        "{file}：不是 UTF-8 编码，已按 GBK（Excel 的普通“CSV”）读取",
        '{file}: not UTF-8, so read as GBK (GB18030), as Chinese Excel saves a plain '
        '"CSV"',
    ),
    "ledger.file.csv": ("{file}:{line}: {why}", "{file}:{line}: {why}"),
    "ledger.file.too-many-rows": (
        "{file}：超过 {most} 行；一次最多导入 {most} 行，请拆开分几次导入",
        "{file}: more than {most} rows; one import takes at most {most}: split the file and "
        "import the parts",
    ),
    "ledger.file.not-xlsx": (
        "{file}：不是 Excel 保存的 .xlsx 工作簿（{why}）",
        "{file}: not an .xlsx workbook Excel saved ({why})",
    ),
    "ledger.file.broken": (
        "{file}：工作簿读不出来（{why}）", "{file}: the workbook cannot be read ({why})"
    ),
    "ledger.file.no-sheets": ("{file}：工作簿里没有工作表", "{file}: the workbook has no sheets"),
    "ledger.file.unpacks": (
        "{file}：工作簿解压后有 {size} MB，台账最多 {most} MB",
        "{file}: the workbook unpacks to {size} MB, more than a ledger can be (at most "
        "{most} MB)",
    ),
    "ledger.file.unsaved-formulas": (
        "{file}：{count} 个公式单元格没有保存计算结果（{cells}）；"
        "请用 Excel 或 WPS 打开、保存后再导入",
        "{file}: {count} formula {count:cell holds|cells hold} no saved result ({cells}); "
        "open the file in Excel or WPS, save it, and import again",
    ),
    "ledger.file.export-kind": (
        "{file}：只能导出为 .csv 或 .xlsx，不能是 {suffix}",
        "{file}: export writes .csv or .xlsx, not {suffix}",
    ),
}
