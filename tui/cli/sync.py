"""`vledger serve`, `sync`, `status` and `bundle` (shared/spec/cli.md, "Sync").

Exit codes: 0 done (for `sync`: both sides hold the same heads for every
document), 1 refused (no office here, another township, a device the roster does
not trust, changes one side refused, a bad bundle), 3 the peer could not be
reached in time after retries.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vledger.sync.services.brought import Brought

DEFAULT_LISTEN = "127.0.0.1:7420"


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve this office's replica to peers until stopped")
    serve.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
                       help=f"address to listen on (default {DEFAULT_LISTEN}; port 0 picks one)")
    serve.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                       help="longest wait for a peer's next frame")
    serve.set_defaults(run=run_serve)

    sync = sub.add_parser("sync", help="exchange changes with a peer until both hold the same")
    sync.add_argument("peer", metavar="HOST:PORT", nargs="?", default=None,
                      help="the peer (default: the last address that worked, else the "
                      "invitation's)")
    sync.add_argument("--watch", action="store_true",
                      help="keep the link up: push and pull edits as they happen, reconnect")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="longest wait for any one connect or answer (default 15)")
    sync.add_argument("--json", action="store_true",
                      help="print what went each way and who moved as one JSON document")
    sync.set_defaults(run=run_sync)

    status = sub.add_parser("status", help="documents held and what each known peer has seen")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    status.set_defaults(run=run_status)

    bundle = sub.add_parser("bundle", help="changes in a file, for a USB stick")
    actions = bundle.add_subparsers(dest="bundle_command", metavar="ACTION")
    bundle.set_defaults(run=_usage(bundle))
    export = actions.add_parser("export", help="write what a peer may lack to FILE")
    export.add_argument("file", metavar="FILE", type=Path)
    export.add_argument("--for", dest="for_office", metavar="OFFICE",
                        help="only what OFFICE has not confirmed (default: everything)")
    export.set_defaults(run=run_bundle_export)
    load = actions.add_parser("import", help="apply a bundle (twice changes nothing)")
    load.add_argument("file", metavar="FILE", type=Path)
    load.set_defaults(run=run_bundle_import)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError("seconds must be more than 0 and at most 3600")
    return seconds


def _usage(parser: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return usage


def _say_clock(args: argparse.Namespace) -> None:
    """A clock obviously wrong (TLS and every recorded edit depend on it) is said first."""
    from vledger.messages import say
    from vledger.sync.services.sync import clock_problem

    problem = clock_problem()
    if problem is not None:
        print(say(args.lang, "cli.warning", text=problem.text(args.lang)), file=sys.stderr)


def _install_stop(loop: Any, stop: Any) -> None:
    import signal

    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C arrives as KeyboardInterrupt
            pass


# -- serve -------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    import asyncio

    from vledger.sync.services import home_sync

    def ready(serving: home_sync.Serving) -> None:
        print(f"serving {serving.township} as {serving.office} on "
              f"{serving.host}:{serving.port}", flush=True)

    _say_clock(args)

    def told(brought: Brought) -> None:  # one line per link, when it ends
        print(brought.line(args.lang), flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        _install_stop(asyncio.get_running_loop(), stop)
        await home_sync.serve(args.home, args.listen, stop, ready, timeout=args.timeout,
                              told=told)
        print("stopped", flush=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


# -- sync --------------------------------------------------------------------------------


def run_sync(args: argparse.Namespace) -> int:
    import asyncio

    from vledger.sync.services import home_sync
    from vledger.sync.services.brought import Brought

    def say(line: str) -> None:
        print(line, flush=True)

    _say_clock(args)

    async def main() -> None:
        if args.watch:
            stop = asyncio.Event()
            _install_stop(asyncio.get_running_loop(), stop)
            await home_sync.watch(args.home, args.peer, stop, say, timeout=args.timeout)
            return
        done = await home_sync.sync_once(args.home, args.peer, timeout=args.timeout)
        if args.json:
            brought = done.brought or Brought(done.peer_office, done.documents)
            print(json.dumps(brought.to_json_dict(), ensure_ascii=False, indent=1))
            return
        say(f"in sync with {done.peer_office} at {done.address}: {done.documents} "
            f"document(s), sent {done.sent} and received {done.received} change(s)")
        if done.brought is not None:
            for line in done.brought.lines(args.lang):
                say(line)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


# -- status ------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    from vledger.messages import say
    from vledger.sync.services import home_sync
    from vledger.tui.cli.offices import neutral

    report = home_sync.status(args.home)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    lang = args.lang
    print(say(lang, "cli.status.office", office=report["office"], township=report["township"],
              device=report["device"]))
    print(say(lang, "cli.status.documents", count=len(report["documents"])))
    for doc in report["documents"]:
        print(say(lang, "cli.status.document", doc=doc["id"], changes=doc["changes"]))
    if not report["peers"]:
        print(say(lang, "cli.status.no-peer"))
    for peer in report["peers"]:
        print(say(lang, "cli.status.peer", office=peer["office"], device=peer["device"],
                  at=peer["last_sync"], count=peer["unconfirmed"]))
    if report["refused"]:
        print(say(lang, "cli.status.refused", count=len(report["refused"])))
    for item in report["refused"]:
        who = (say(lang, "cli.status.by-device", device=item["device"],
                   office=item["office"] or "?") if item["device"]
               else say(lang, "cli.status.no-device"))
        seen = say(lang, "cli.status.seen", times=item["times"]) if item["times"] > 1 else ""
        print(neutral(say(lang, "cli.status.refused-change", at=item["last_at"],
                          doc=item["doc"], change=item["change"][:12], who=who,
                          origin=item["origin"], reason=item["reason"], seen=seen)))
    if report["damage"]:
        print(say(lang, "cli.status.damage", count=len(report["damage"])))
        for line in report["damage"]:
            print(f"  {neutral(line)}")
        print(say(lang, "cli.status.damage-how"))
    if report["set_aside"]:
        print(say(lang, "cli.status.set-aside", count=len(report["set_aside"])))
        for item in report["set_aside"]:
            print(neutral(say(lang, "cli.status.set-aside-change", at=item["at"], doc=item["doc"],
                              change=item["change"][:12], device=item["device"] or "?",
                              reason=item["reason"])))
    return 0


# -- bundles -----------------------------------------------------------------------------


def run_bundle_export(args: argparse.Namespace) -> int:
    from vledger.sync.services import home_sync

    summary = home_sync.export_bundle(args.home, args.file, args.for_office)
    whom = f" for {args.for_office}" if args.for_office else ""
    print(f"wrote {args.file}{whom}: {summary.documents} document(s), {summary.changes} change(s)")
    return 0


def run_bundle_import(args: argparse.Namespace) -> int:
    from vledger.errors import VledgerError
    from vledger.sync.services import home_sync

    summary = home_sync.import_bundle(args.home, args.file)
    print(f"imported {args.file} from {summary.office}: {summary.changes} new change(s) in "
          f"{summary.documents} document(s)")
    if summary.refused:
        raise VledgerError(f"{args.file}: {len(summary.refused)} change(s) refused (never "
                           "applied; see `vledger status`):",
                           *(f"  {line}" for line in summary.refused[:10]))
    return 0
