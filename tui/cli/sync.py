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
from typing import Any

DEFAULT_LISTEN = "127.0.0.1:7420"


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve this office's replica to peers until stopped")
    serve.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
                       help=f"address to listen on (default {DEFAULT_LISTEN}; port 0 picks one)")
    serve.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                       help="longest wait for a peer's next frame")
    serve.set_defaults(run=run_serve)

    sync = sub.add_parser("sync", help="exchange changes with a peer until both hold the same")
    sync.add_argument("peer", metavar="HOST:PORT")
    sync.add_argument("--watch", action="store_true",
                      help="keep the link up: push and pull edits as they happen, reconnect")
    sync.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                      help="longest wait for any one connect or answer (default 15)")
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


def _address(text: str) -> tuple[str, int]:
    from vledger.sync.link.transport import parse_address
    from vledger.tui.cli.main import Refused

    try:
        return parse_address(text)
    except ValueError as problem:
        raise Refused(str(problem)) from None


def _store(home: Path) -> Any:
    """The home's store, refusing (not creating) a home that does not exist."""
    from vledger.sync.documents.replicas import Replicas
    from vledger.sync.store.database import DB_FILE, StoreBusy
    from vledger.tui.cli.main import Refused

    if not (home / DB_FILE).exists():
        raise Refused(f"{home}: no vledger home here (run `vledger init` or join a township)")
    try:
        return Replicas.open(home, scan=False)
    except StoreBusy as problem:
        raise Refused(str(problem)) from None


def _gate(home: Path) -> Any:
    """A HomeGate after checking the home has an office (refusal otherwise)."""
    from vledger.sync.link.session import Identity, NoOffice
    from vledger.sync.link.transport import HomeGate
    from vledger.tui.cli.main import Refused

    store = _store(home)
    try:
        Identity.of(store)
    except NoOffice as problem:
        raise Refused(str(problem)) from None
    finally:
        store.close()
    return HomeGate(home)


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

    from vledger.sync.link.transport import DEFAULT_TIMEOUT, Server
    from vledger.tui.cli.main import Refused

    host, port = _address(args.listen)
    _gate(args.home).close()
    server = Server(args.home, timeout=args.timeout or DEFAULT_TIMEOUT)

    async def main() -> None:
        stop = asyncio.Event()
        _install_stop(asyncio.get_running_loop(), stop)
        try:
            bound_host, bound_port = await server.start(host, port)
        except OSError as problem:
            why = problem.strerror or problem
            raise Refused(f"cannot listen on {args.listen}: {why}") from None
        me = server._me
        assert me is not None
        print(f"serving {me.township} as {me.office} on {bound_host}:{bound_port}", flush=True)
        try:
            await stop.wait()
        finally:
            await server.stop()
        print("stopped", flush=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


# -- sync --------------------------------------------------------------------------------


def run_sync(args: argparse.Namespace) -> int:
    import asyncio

    from vledger.sync.link.session import PeerRefused
    from vledger.sync.link.transport import DEFAULT_TIMEOUT, Unreachable, sync_once, watch
    from vledger.sync.store.database import StoreBusy
    from vledger.tui.cli.main import EXIT_UNREACHABLE, Refused

    host, port = _address(args.peer)
    gate = _gate(args.home)
    timeout = args.timeout or DEFAULT_TIMEOUT

    def say(line: str) -> None:
        print(line, flush=True)

    async def main() -> int:
        if args.watch:
            stop = asyncio.Event()
            _install_stop(asyncio.get_running_loop(), stop)
            await watch(gate, host, port, stop, timeout=timeout, report=say)
            return 0
        outcome = await sync_once(gate, host, port, timeout=timeout)
        if outcome.refused:
            raise Refused(
                f"{host}:{port}: {len(outcome.refused)} change(s) were refused, so "
                f"{len(outcome.stuck)} document(s) stay apart (see `vledger status`):",
                *(f"  {line}" for line in outcome.refused[:10]),
            )
        say(f"in sync with {outcome.peer_office} at {host}:{port}: {outcome.documents} "
            f"document(s), sent {outcome.sent} and received {outcome.received} change(s)")
        return 0

    try:
        return asyncio.run(main())
    except Unreachable as problem:
        raise Refused(str(problem), exit_code=EXIT_UNREACHABLE) from None
    except PeerRefused as problem:
        raise Refused(f"{host}:{port} refused the sync: {problem.message}") from None
    except StoreBusy as problem:
        raise Refused(str(problem)) from None
    except KeyboardInterrupt:
        return 0
    finally:
        gate.close()


# -- status ------------------------------------------------------------------------------


def status_of(store: Any) -> dict[str, Any]:
    """Documents held and, per known peer, its last sync and the changes it has not confirmed
    (the facade's; `vledger status` and the sync screen say the same)."""
    from vledger.sync.services.sync import status_of as facade_status

    return facade_status(store)


def run_status(args: argparse.Namespace) -> int:
    from vledger.sync.link.session import NoOffice
    from vledger.sync.trust.signatures import refusal_log
    from vledger.tui.cli.main import Refused

    store = _store(args.home)
    try:
        report = status_of(store)
        report["refused"] = [r.to_json_dict() for r in refusal_log(store, 50)]
    except NoOffice as problem:
        raise Refused(str(problem)) from None
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"{report['office']} of {report['township']} (device {report['device']})")
    print(f"{len(report['documents'])} document(s):")
    for doc in report["documents"]:
        print(f"  {doc['id']}: {doc['changes']} change(s)")
    if not report["peers"]:
        print("no peer has synced with this office yet")
    for peer in report["peers"]:
        print(f"peer {peer['office']} (device {peer['device']}): last sync {peer['last_sync']}, "
              f"{peer['unconfirmed']} change(s) not confirmed")
    if report["refused"]:
        print(f"{len(report['refused'])} received change(s) refused (never applied):")
    for item in report["refused"]:
        who = f"device {item['device']} ({item['office'] or 'unknown'})" if item["device"] \
            else "no device"
        print(f"  {item['last_at']} {item['doc']} change {item['change'][:12]} by {who} "
              f"from {item['origin']}: {item['reason']}"
              + (f" (seen {item['times']} times)" if item["times"] > 1 else ""))
    return 0


# -- bundles -----------------------------------------------------------------------------


def run_bundle_export(args: argparse.Namespace) -> int:
    from vledger.sync.link.bundle import BundleRefused, export_bundle
    from vledger.sync.link.session import NoOffice
    from vledger.tui.cli.main import Refused

    store = _store(args.home)
    try:
        summary = export_bundle(store, args.file, args.for_office)
    except (NoOffice, BundleRefused) as problem:
        raise Refused(f"{args.file}: {problem}") from None
    except OSError as problem:
        raise Refused(f"{args.file}: cannot write it ({problem.strerror or problem})") from None
    finally:
        store.close()
    whom = f" for {args.for_office}" if args.for_office else ""
    print(f"wrote {args.file}{whom}: {summary.documents} document(s), {summary.changes} change(s)")
    return 0


def run_bundle_import(args: argparse.Namespace) -> int:
    from vledger.sync.link.bundle import BundleRefused, import_bundle
    from vledger.sync.link.session import NoOffice
    from vledger.tui.cli.main import Refused

    store = _store(args.home)
    try:
        summary = import_bundle(store, args.file)
    except (NoOffice, BundleRefused) as problem:
        raise Refused(f"{args.file}: refused: {problem}") from None
    finally:
        store.close()
    print(f"imported {args.file} from {summary.office}: {summary.changes} new change(s) in "
          f"{summary.documents} document(s)")
    if summary.refused:
        raise Refused(f"{args.file}: {len(summary.refused)} change(s) refused (never applied; "
                      "see `vledger status`):", *(f"  {line}" for line in summary.refused[:10]))
    return 0
