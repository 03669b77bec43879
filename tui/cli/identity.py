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

from vledger.messages import say
from vledger.tui.cli.offices import office_kinds, open_office, print_json, table


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


def run_invite(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        path = office.devices.invite(args.id, args.out, args.address)
    print(say(args.lang, "cli.invite.written", path=path))
    return 0


def run_join(args: argparse.Namespace) -> int:
    from vledger.sync.services.homes import join

    office, reply = join(args.home, args.file, lang=args.lang)
    with office:
        me = office.roster.whoami()
    print(say(args.lang, "cli.join.done", township=me.township_name, office=me.office,
              name=me.office_name, device=me.device))
    print(say(args.lang, "cli.join.reply", reply=reply))
    return 0


def run_device_list(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        records, problems = office.devices.all()
    if args.json:
        print_json({"devices": [r.to_json_dict() for r in records], "problems": problems})
        return 0
    lang = args.lang
    header = (
        *(say(lang, key) for key in ("cli.head.device", "cli.head.office", "cli.head.kind",
                                     "cli.head.state")),
        "",
    )
    states = {"active": say(lang, "cli.device.active"), "revoked": say(lang, "cli.device.revoked")}
    kinds = office_kinds(lang)
    rows = [
        (r.id, r.office, kinds.get(r.kind, r.kind),
         states.get(r.state, r.state) + (f" {r.revoked_at}" if r.revoked_at else ""),
         say(lang, "cli.device.this") if r.this else "")
        for r in records
    ]
    for line in table(header, rows):
        print(line)
    for problem in problems:
        print(say(lang, "cli.warning", text=problem))
    return 0


def run_device_enroll(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        done = office.devices.enroll(args.file)
    key = "cli.device.already-enrolled" if done.already else "cli.device.enrolled"
    print(say(args.lang, key, device=done.device, office=done.office))
    return 0


def run_device_revoke(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        record = office.devices.revoke(args.device)
    print(say(args.lang, "cli.device.revoke-done", office=record.office, device=record.id))
    return 0
