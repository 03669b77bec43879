"""`vledger invite`, `join`, `device list|enroll|revoke` (shared/spec/cli.md, Offices).

    vledger invite ID --out FILE [--address HOST:PORT]   township: the file a village joins with
    vledger join FILE                                    new home: become that village's office;
                                                         writes FILE.reply for the township
    vledger device list [--json]                         any: devices on the signed roster
    vledger device enroll FILE.reply                     township: trust a joined village's device
    vledger device revoke DEVICE                         township: refuse that device's new changes

The work is done by the office's devices service (sync/services/devices.py) and
sync/services/homes.py (join); this module only parses and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vledger.tui.cli.offices import open_office, print_json, table


def register(sub: Any) -> None:
    invite = sub.add_parser(
        "invite", help="write the file a village needs to join (township only)",
        description="Write the invitation file a village office joins with: the township's "
                    "key, a one-time secret and the documents it needs to work offline.",
    )
    invite.add_argument("id", metavar="ID", help="the village's id, like v01")
    invite.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="where to write the invitation (carry it by hand)")
    invite.add_argument("--address", metavar="HOST:PORT",
                        help="where the township serves, written into the invitation")
    invite.set_defaults(run=run_invite)

    join = sub.add_parser(
        "join", help="make this home the invited village's office",
        description="Make this home the village office an invitation names; writes "
                    "FILE.reply, which the township enrolls with `vledger device enroll`.",
    )
    join.add_argument("file", type=Path, metavar="FILE", help="the invitation file")
    join.set_defaults(run=run_join)

    device = sub.add_parser("device", help="the devices on the signed roster")
    device.set_defaults(run=_usage(device))
    actions = device.add_subparsers(dest="device_command", metavar="ACTION")
    listing = actions.add_parser("list", help="devices: id, office, kind, state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_device_list)
    enroll = actions.add_parser("enroll", help="enroll a joined device from FILE.reply "
                                "(township only)")
    enroll.add_argument("file", type=Path, metavar="FILE", help="the join reply (FILE.reply)")
    enroll.set_defaults(run=run_device_enroll)
    revoke = actions.add_parser("revoke", help="stop accepting a device's new changes "
                                "(township only)")
    revoke.add_argument("device", metavar="DEVICE", help="a device id (or its first letters)")
    revoke.set_defaults(run=run_device_revoke)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        import sys

        from vledger.errors import EXIT_USAGE

        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return usage


def _zh(args: argparse.Namespace) -> bool:
    return getattr(args, "lang", "en") == "zh"


def run_invite(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        path = office.devices.invite(args.id, args.out, args.address)
    print(f"已写入邀请文件 {path}" if _zh(args) else f"invitation written to {path}")
    return 0


def run_join(args: argparse.Namespace) -> int:
    from vledger.sync.services.homes import join

    office, reply = join(args.home, args.file, lang=args.lang)
    with office:
        me = office.roster.whoami()
    if _zh(args):
        print(f"本目录现为 {me.township_name} 的 {me.office} {me.office_name}；设备 {me.device}")
        print(f"请把 {reply} 交回乡镇（vledger device enroll），或直接同步")
    else:
        print(f"this home is now office {me.office} {me.office_name} of {me.township_name}; "
              f"device {me.device}")
        print(f"take {reply} back to the township (vledger device enroll), or just sync")
    return 0


def run_device_list(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        records, problems = office.devices.all()
    if args.json:
        print_json({"devices": [r.to_json_dict() for r in records], "problems": problems})
        return 0
    zh = _zh(args)
    header = ("设备", "办公室", "类别", "状态", "") if zh else ("device", "office", "kind",
                                                            "state", "")
    states = {"active": "有效", "revoked": "已吊销"} if zh else {}
    kinds = {"township": "乡镇", "village": "村"} if zh else {}
    rows = [
        (r.id, r.office, kinds.get(r.kind, r.kind),
         states.get(r.state, r.state) + (f" {r.revoked_at}" if r.revoked_at else ""),
         ("本机" if zh else "this device") if r.this else "")
        for r in records
    ]
    for line in table(header, rows):
        print(line)
    for problem in problems:
        print(("警告：" if zh else "warning: ") + problem)
    return 0


def run_device_enroll(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        done = office.devices.enroll(args.file)
    if _zh(args):
        print(f"设备 {done.device} 已{'是' if done.already else '登记为'} {done.office} 的设备")
    else:
        state = "was already" if done.already else "is now"
        print(f"device {done.device} {state} a device of {done.office}")
    return 0


def run_device_revoke(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        record = office.devices.revoke(args.device)
    if _zh(args):
        print(f"已吊销 {record.office} 的设备 {record.id}：之后的修改一律拒收")
    else:
        print(f"device {record.id} of {record.office} revoked: its new changes are refused")
    return 0
