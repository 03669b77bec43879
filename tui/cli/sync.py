"""`vledger serve`, `sync`, `status` and `bundle` (shared/spec/cli.md, "Sync").

Exit codes: 0 done (for `sync`: both sides hold the same heads for every
document), 1 refused (no office here, another township, a device the roster does
not trust, changes one side refused, a bad bundle), 3 the peer could not be
reached in time after retries.

`serve --json-log` and `sync --json-log` print one JSON object per line per event
instead of sentences, for a program that runs them as its child (the UI serves and
syncs this way, so that their heavy work never shares a process with the screen).
Every line has "event" and "at" (ISO 8601 with offset); docs/cli.md lists the events
and their fields. More fields may be added to any event; a reader ignores what it does
not know.
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
    serve.add_argument("--json-log", action="store_true",
                       help="print one JSON object per line per event (see docs/cli.md)")
    serve.add_argument("--stop-with-stdin", action="store_true",
                       help="stop when standard input closes (a program that starts serve "
                            "as its child: the server ends with it)")
    serve.set_defaults(run=run_serve)

    sync = sub.add_parser("sync", help="exchange changes with a peer until both hold the same")
    sync.add_argument("peer", metavar="HOST:PORT", nargs="?", default=None,
                      help="the peer (default: the last address that worked, else the "
                      "invitation's)")
    sync.add_argument("--watch", action="store_true",
                      help="keep the link up: push and pull edits as they happen, reconnect")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="longest wait for any one connect or answer (default 15)")
    sync.add_argument("--json-log", action="store_true",
                      help="print one JSON object per line per event (see docs/cli.md)")
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
    export.add_argument("--json-log", action="store_true",
                        help="say what was done as one JSON object (see docs/cli.md)")
    export.set_defaults(run=run_bundle_export)
    load = actions.add_parser("import", help="apply a bundle (twice changes nothing)")
    load.add_argument("file", metavar="FILE", type=Path)
    load.add_argument("--json-log", action="store_true",
                      help="say what was done as one JSON object (see docs/cli.md)")
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


# -- machine-readable log lines -------------------------------------------------------


def log_line(event: str, **fields: Any) -> None:
    """One JSON object on one line: the event, when, and what it says."""
    from vledger.clock import now_iso

    print(json.dumps({"event": event, "at": now_iso(), **fields}, ensure_ascii=False),
          flush=True)


def _stop_when_stdin_closes(loop: Any, stop: Any) -> None:
    """Set `stop` once standard input reaches its end (the parent that started us left)."""
    import threading

    def wait() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait, name="vledger-stdin", daemon=True).start()


# -- serve -------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    import asyncio

    from vledger.messages import say
    from vledger.sync.services import home_sync
    from vledger.sync.services.office import Office

    def ready(serving: home_sync.Serving) -> None:
        address = f"{serving.host}:{serving.port}"
        if args.json_log:
            log_line("serving", township=serving.township, office=serving.office,
                     township_name=who.township_name, office_name=who.office_name,
                     address=address)
        elif serving.office == serving.township:
            print(say(args.lang, "sync.serving", township=township, address=address),
                  flush=True)
        else:
            print(say(args.lang, "sync.serving-as", township=township, office=office_said,
                      address=address), flush=True)

    def watch(step: home_sync.LinkStep) -> None:
        log_line(**step)

    _say_clock(args)
    with Office.open(args.home, lang=args.lang) as office:  # names, as the clerk knows them
        who = office.roster.whoami()
    township = _named(args.lang, who.township_name, who.township)
    office_said = _named(args.lang, who.office_name, who.office)

    def told(brought: Brought) -> None:  # what each link brought, when it ends
        if args.json_log:
            log_line("brought", **brought.to_json_dict())
        else:
            print(brought.line(args.lang), flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        _install_stop(loop, stop)
        if args.stop_with_stdin:
            _stop_when_stdin_closes(loop, stop)
        await home_sync.serve(args.home, args.listen, stop, ready, timeout=args.timeout,
                              watch=watch if args.json_log else None, told=told)
        if args.json_log:
            log_line("stopped")
        else:
            print("stopped", flush=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # the reader of the log left: so does the server
        pass
    return 0


# -- sync --------------------------------------------------------------------------------


def run_sync(args: argparse.Namespace) -> int:
    import asyncio

    from vledger.errors import VledgerError
    from vledger.messages import localize
    from vledger.sync.services import home_sync
    from vledger.sync.services.brought import Brought

    def say(line: str) -> None:
        if args.json_log:
            log_line("note", text=line)
        else:
            print(line, flush=True)

    _say_clock(args)

    async def main() -> None:
        if args.watch:
            stop = asyncio.Event()
            _install_stop(asyncio.get_running_loop(), stop)
            await home_sync.watch(args.home, args.peer, stop, say, timeout=args.timeout)
            return
        if args.json_log:
            log_line("connecting", address=args.peer)
        done = await home_sync.sync_once(args.home, args.peer, timeout=args.timeout)
        brought = done.brought or Brought(done.peer_office, done.documents)
        if args.json_log:
            log_line("synced", peer_office=done.peer_office, address=done.address,
                     documents=done.documents, sent=done.sent, received=done.received,
                     brought=brought.to_json_dict())
        if args.json:
            print(json.dumps(brought.to_json_dict(), ensure_ascii=False, indent=1))
        if args.json_log or args.json:
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
    except VledgerError as problem:
        if args.json_log:  # the same lines go to stderr as always (tui/cli/main.py)
            log_line("failed", exit=problem.exit_code,
                     problems=[localize(p, args.lang) for p in problem.problems])
        raise
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
    office = _named(lang, report["office_name"], report["office"])
    township = _named(lang, report["township_name"], report["township"])
    if report["office"] == report["township"]:
        print(say(lang, "cli.status.township", township=township, device=report["device"]))
    else:
        print(say(lang, "cli.status.office", office=office, township=township,
                  device=report["device"]))
    print(say(lang, "cli.status.documents", count=len(report["documents"])))
    changes = {doc["id"]: doc["changes"] for doc in report["documents"]}
    for year, documents in report["years"].items():
        print(say(lang, "cli.status.year", year=year))
        for doc in documents:
            print("  " + say(lang, "cli.status.document", doc=doc, changes=changes[doc]))
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


def _named(lang: str, name: str | None, ident: str) -> str:
    """An office as clerks know it, with the id commands take, in the language's
    own brackets."""
    from vledger.messages import say

    return say(lang, "cli.status.named", name=name or ident, id=ident)


def _failures_logged(args: argparse.Namespace, act: Any) -> int:
    """Run `act()`; with --json-log a refusal is also said as a "failed" line (stderr and
    the exit code stay as always, tui/cli/main.py)."""
    from vledger.errors import VledgerError
    from vledger.messages import localize

    try:
        return int(act())
    except VledgerError as problem:
        if getattr(args, "json_log", False):
            log_line("failed", exit=problem.exit_code,
                     problems=[localize(p, args.lang) for p in problem.problems])
        raise


def run_bundle_export(args: argparse.Namespace) -> int:
    from vledger.sync.services import home_sync

    def act() -> int:
        summary = home_sync.export_bundle(args.home, args.file, args.for_office)
        if args.json_log:
            log_line("exported", file=str(args.file), documents=summary.documents,
                     changes=summary.changes, size=args.file.stat().st_size)
            return 0
        whom = f" for {args.for_office}" if args.for_office else ""
        print(f"wrote {args.file}{whom}: {summary.documents} document(s), "
              f"{summary.changes} change(s)")
        return 0

    return _failures_logged(args, act)


def run_bundle_import(args: argparse.Namespace) -> int:
    from vledger.errors import VledgerError
    from vledger.sync.services import home_sync

    def act() -> int:
        summary = home_sync.import_bundle(args.home, args.file)
        if args.json_log:
            log_line("imported", file=str(args.file), office=summary.office,
                     documents=summary.documents, changes=summary.changes,
                     refused=list(summary.refused))
        else:
            print(f"imported {args.file} from {summary.office}: {summary.changes} new "
                  f"change(s) in {summary.documents} document(s)")
        if summary.refused:
            raise VledgerError(f"{args.file}: {len(summary.refused)} change(s) refused "
                               "(never applied; see `vledger status`):",
                               *(f"  {line}" for line in summary.refused[:10]))
        return 0

    return _failures_logged(args, act)
