"""Publishing a ranking (通报), exporting the sheet, and what a sync brought."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # -- publishing
    "publish.done": (
        "已发布 {program} {period} 的排名（第 {version} 版，编号 {id}）",
        "published the {program} {period} sheet (version {version}, id {id})",
    ),
    "publish.none": (
        "{program} {period} 的排名还没有发布过（vledger publish {program} --period {period}）",
        "the {program} {period} sheet has not been published (vledger publish {program} "
        "--period {period})",
    ),
    "publish.no-such": ("没有编号为 {id} 的发布", "no publication {id}"),
    "publish.note-long": (
        "说明最多 {limit} 个字", "the note may be at most {limit} characters"
    ),
    "publish.busy": (
        "台账一直在变，没能算出一张稳定的排名表；请稍后再发布",
        "the ledgers kept changing while the sheet was computed; publish again in a moment",
    ),
    "publish.not-held": (
        "本办公室没有这些文档发布时的内容：{documents}；请先同步",
        "this office does not hold {documents} as they were when published; sync first",
    ),
    "publish.no-program-then": (
        "发布时乡镇文档里没有方案 {program}", "program {program} was not in the township "
        "document when it was published",
    ),
    "publish.changes-alone": (
        "--changes 不能与 --out 或 --explain 同用",
        "--changes cannot be combined with --out or --explain",
    ),
    "publish.list.none": ("还没有发布过排名", "no ranking has been published yet"),
    "publish.head.program": ("方案", "program"),
    "publish.head.period": ("阶段", "period"),
    "publish.head.version": ("版本", "version"),
    "publish.head.by": ("发布者", "by"),
    "publish.head.note": ("说明", "note"),
    "publish.head.field": ("项", "field"),
    "publish.head.published": ("发布时", "published"),
    "publish.head.now": ("现在", "now"),
    "publish.changes.head": (
        "{program} {period}：与发布的排名（{id}，第 {version} 版，{at} 由 {by} 发布）相比",
        "{program} {period}: compared with the published sheet ({id}, version {version}, "
        "published {at} by {by})",
    ),
    "publish.changes.none": ("排名表没有变化", "nothing on the sheet has changed"),
    "publish.late.none": ("发布后没有涉及该阶段的修改", "no edits since that touch this period"),
    "publish.late.head": (
        "发布后的修改（{count} 条，涉及该阶段）：",
        "edits made after the publication that touch this period ({count}):",
    ),
    "publish.late.mark": ("迟于通报", "late"),
    # -- exports
    "export.head.village": ("村编号", "village"),
    "export.sheet-name": ("排名", "ranking"),
    "export.stamp.live": ("实时排名（未发布） · 导出于 {date}", "live sheet (not published) · "
                          "exported {date}"),
    "export.stamp.published": (
        "通报第 {version} 版 · {at} 由 {by} 发布（编号 {id}） · 导出于 {date}",
        "published, version {version} · {at} by {by} (id {id}) · exported {date}",
    ),
    "export.stamp.note": (" · 说明：{note}", " · note: {note}"),
    "export.kind": (
        "{file}：只能导出为 .xlsx、.csv 或 .html",
        "{file}: the sheet exports as .xlsx, .csv or .html",
    ),
    "export.written": ("已写入 {file}", "written to {file}"),
    # -- what a sync brought
    "brought.nothing": ("没有带来或送出修改", "nothing went either way"),
    "brought.none": ("无", "nothing"),
    "brought.sent": ("送出：{what}", "sent: {what}"),
    "brought.received": ("收到：{what}", "received: {what}"),
    "brought.flow": ("{where} {what:comma}", "{where}: {what}"),
    "brought.rows": ("新增 {count} 行", "{count} {count:row|rows} added"),
    "brought.cells": ("修改 {count} 格", "{count} {count:cell|cells} changed"),
    "brought.publications": ("{count} 次通报", "{count} {count:publication|publications}"),
    "brought.moved": ("{program} {period} 名次变动：{moves}", "{program} {period} moved: {moves}"),
    "brought.line": (
        "与 {peer} 同步：送出 {sent:semi}；收到 {received:semi}{moves}",
        "synced with {peer}: sent {sent:semi}; received {received:semi}{moves}",
    ),
    "brought.line-moves": ("；{moves:semi}", "; {moves:semi}"),
    # -- the ranking screen
    "ui.ranking.view.live-unpublished": ("实时（未通报）", "live (not published)"),
    "ui.ranking.view.live": (
        "实时（{at} 已通报第 {version} 版）", "live (version {version} published {at})"
    ),
    "ui.ranking.view.published": (
        "通报第 {version} 版（{at}）", "as published, version {version} ({at})"
    ),
    "ui.ranking.view.moved": ("，{count} 处已变动", ", {count} moved since"),
    "ui.ranking.move.head": (
        "自通报第 {version} 版（{at}）以来已变动：",
        "Moved since version {version} was published ({at}):",
    ),
    "ui.ranking.move.value": (
        "{field}：通报时 {published}，现在 {now}", "{field}: published {published}, now {now}"
    ),
    "ui.ranking.move.no-edits": (
        "没有找到背后的迟于通报的修改（可能是方案或名册变了）",
        "no late edit found behind it (the program or the roster may have changed)",
    ),
    "ui.ranking.move.edits": (
        "背后的迟于通报的修改（{count} 条）：", "the late edits behind it ({count}):"
    ),
    "ui.ranking.move.edit": (
        "  {at} {office} {op} {what}：{old} → {new}", "  {at} {office} {op} {what}: {old} → {new}"
    ),
    "ui.ranking.note": ("通报说明：{note}", "note: {note}"),
    "ui.ranking.explain-published": (
        "这是通报第 {version} 版（{at}）的排名，按当时的数据重新计算",
        "the sheet as published (version {version}, {at}), computed again from the data "
        "as it was then",
    ),
    "ui.ranking.not-published": (
        "这个阶段的排名还没有通报", "this period's sheet has not been published"
    ),
    "ui.ranking.township-only": ("只有乡镇可以通报排名", "only the township publishes rankings"),
    "ui.ranking.publish-title": ("通报 {period} 的排名", "Publish the {period} sheet"),
    "ui.ranking.publish-hint": (
        "说明（如会议、文号）；回车通报，Esc 取消",
        "a note (the meeting, the document number); Enter publishes, Esc cancels",
    ),
    "ui.ranking.published": (
        "已通报（第 {version} 版，编号 {id}）", "published (version {version}, id {id})"
    ),
    "ui.ranking.export-title": ("导出排名表", "Export the sheet"),
    "ui.ranking.export-hint": (
        "文件名以 .xlsx、.csv 或 .html 结尾；回车写入，Esc 取消",
        "a file ending in .xlsx, .csv or .html; Enter writes it, Esc cancels",
    ),
    "ui.ranking.exported": ("排名表已写入 {path}", "the sheet is written to {path}"),
    "cmd.ranking.toggle-published": ("实时/通报", "live/published"),
    "cmd.ranking.toggle-published.help": (
        "在实时排名和通报时的排名之间切换", "Switch between the live sheet and the published one"
    ),
    "cmd.ranking.publish": ("通报", "publish"),
    "cmd.ranking.publish.help": (
        "把本阶段现在的排名通报（冻结）并附说明",
        "Publish (freeze) this period's sheet as it is now, with a note",
    ),
    "cmd.ranking.export": ("导出", "export"),
    "cmd.ranking.export.help": (
        "把显示的排名表写成 .xlsx、.csv 或 .html 文件",
        "Write the sheet shown to an .xlsx, .csv or .html file",
    ),
    "cmd.ranking.cancel-prompt": ("取消", "cancel"),
    "cmd.ranking.cancel-prompt.help": ("不做了，关闭", "Close without doing it"),
    # -- after a sync
    "ui.home.brought": ("上次同步带来：{line}", "The last sync: {line}"),
    "ui.history.col.late": ("通报后", "late"),
    "ui.op.publish": ("通报", "publish"),
}
