"""Sync, serving, status, bundles and recovery: what the sync commands and the sync screen
say, and why a sync did not happen."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # The address ends the line: a program that starts `serve` reads the port from it.
    "sync.serving": ("正在为 {township} 提供同步服务，地址 {address}",
                     "serving {township} on {address}"),
    "sync.serving-as": ("正在以 {office} 的身份为 {township} 提供同步服务，地址 {address}",
                        "serving {township} as {office} on {address}"),
    "sync.no-home": (
        "{home}：这里没有 vledger 目录（先运行 `vledger init`，或用邀请文件加入乡镇）",
        "{home}: no vledger home here (run `vledger init` or join a township)",
    ),
    "sync.no-address": (
        "不知道和谁同步：请写上 HOST:PORT（乡镇 `vledger serve` 的地址）；同步成功一次后会记住",
        "no address to sync with: give HOST:PORT (where the township runs `vledger serve`); "
        "once a sync has worked, its address is remembered",
    ),
    "sync.offered-address": (
        "这是上次同步成功的地址（或邀请文件里的地址）；乡镇换了地址的话，请写上新的 HOST:PORT",
        "that is the address the last sync worked with (or the invitation's); if the "
        "township serves elsewhere now, give its HOST:PORT",
    ),
    "sync.bad-address": (
        "“{address}”不是 HOST:PORT 形式的地址", '"{address}" is not HOST:PORT'
    ),
    "sync.listen-failed": (
        "无法在 {address} 上监听：{why}", "cannot listen on {address}: {why}"
    ),
    "sync.peer-refused": (
        "{address} 拒绝了同步：{why}", "{address} refused the sync: {why}"
    ),
    "sync.unreachable": ("无法与 {address} 同步：{why}", "could not sync with {address}: {why}"),
    "sync.why.timeout": ("等不到回答", "no answer in time"),
    "sync.why.connection-refused": (
        "连接被拒绝（对方是否在运行 `vledger serve`？）",
        "connection refused (is `vledger serve` running there?)",
    ),
    "sync.why.kept-changing": ("对方的文档一直在变", "the peer's documents kept changing"),
    "sync.changes-refused": (
        "{address}：有 {count} 个修改被拒收，{stuck} 个文档仍不一致（见 `vledger status`）：",
        "{address}: {count} {count:change was|changes were} refused, so {stuck} "
        "{stuck:document stays|documents stay} apart (see `vledger status`):",
    ),
    "sync.clock": (
        "这台电脑的时钟是 {now}：请先把日期和时间调对（每处修改都记下时间；同步照常进行）",
        "this computer's clock says {now}: set the right date and time (edits are recorded "
        "with it; syncing still works)",
    ),
    "sync.damaged-copy": (
        "这里没有办公室，但有一份被移开的损坏数据库：{file}",
        "this home holds no office, but a damaged database was set aside here: {file}",
    ),
    "sync.recover-first": (
        "在这个目录运行 `vledger recover`，取回损坏文件里还能读出的内容，再和乡镇同步一次",
        "run `vledger recover` in this home to take back what the damaged file still holds, "
        "then sync with the township",
    ),
    "sync.recover.nothing": (
        "{home} 里没有被移开的损坏数据库可取回；请用 --from FILE 指明一个",
        "{home} holds no damaged database to recover from (nothing was set aside); name one "
        "with --from FILE",
    ),
    "sync.recover.missing": ("{file}：找不到这个文件", "{file}: no such file"),
    "sync.recover.unreadable": (
        "{file}：里面什么也读不出来（{why}）", "{file}: nothing in it can be read ({why})"
    ),
    "sync.recover.instead": (
        "和乡镇同步一次，就能取回乡镇有的全部修改；村里的目录若连自己是谁都丢了，"
        "请乡镇重新发邀请文件，在这里运行 `vledger join FILE`",
        "sync with the township to get back every change it holds; a village whose home "
        "lost who it is asks the township for a new invitation and runs `vledger join FILE` "
        "here",
    ),
    "sync.recover.other-office": (
        "{file} 是办公室 {office} 的，可这个目录现在是办公室 {here}：请取回到一个空目录（--home）",
        "{file} is office {office}'s, but this home is now office {here}: recover it into "
        "an empty home (--home)",
    ),
    "sync.recover.part-lost": (
        "{doc}：有一部分读不回来", "{doc}: part of it could not be read back"
    ),
    "sync.file.unwritable": ("{file}：写不了这个文件（{why}）", "{file}: cannot write it ({why})"),
    "sync.file.unreadable": ("{file}：读不了这个文件（{why}）", "{file}: cannot read it ({why})"),
    "sync.bundle.refused": (
        "{file}：不能导入，什么也没改：{why}", "{file}: refused, nothing changed: {why}"
    ),
    # -- progress of a sync from the UI
    "sync.progress.connecting": ("正在连接 {address}", "connecting to {address}"),
    "sync.progress.retrying": (
        "正在连接 {address}（第 {attempt} 次）", "connecting to {address} (try {attempt})"
    ),
    "sync.progress.exchanging": (
        "正在和 {address} 交换：第 {frames} 帧，{bytes} 字节",
        "exchanging with {address}: frame {frames}, {bytes} bytes",
    ),
    # -- the office's sync, as the home screen says it
    "sync.state.never": ("从未同步", "never synced"),
    "sync.state.last": (
        "上次同步：{office}，{at}；还有 {count} 处修改没同步出去",
        "last sync with {office} at {at}; {count} {count:edit|edits} not synced yet",
    ),
}
