"""The one thread that uses the office: the UI never waits on it.

Everything the UI asks of the office (an edit and its fsync, a ranking, the home screen's
counts, a history read) runs as a job on one dedicated thread, in the order asked, and
its result or refusal comes back to the event loop as a callback message. The event loop
never takes the store's locks and never calls into automerge, so a key is answered while
a job runs or another process holds the store's write lock. (Work that holds the GIL for
long stretches does not belong even on this thread: syncing and serving run as child
processes, tui/children.py.)

A job's outcome goes to the screen (or widget) that asked, if it is still on the app:
`then(result)`; a refusal (`VledgerError`) to `failed(error)`, or, without one, to the
app's one place that shows refusals. Anything else is a bug and is raised on the event
loop, where it ends the app with Textual's report, like a bug in a key's action.
Outcomes come back in the order the jobs ran (all through the app's message queue), so a
screen that applies a read and then the answer to a later write sees them in that order.

The worker also holds what screens show of the office without asking it (`facts`: who
this office is, the programs, the villages), and looks once a second whether the store
moved (`look`): the cheap change signal first (the sync service's `data_version()`),
then which offices' documents moved, so only the screens showing them read again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from vledger.errors import VledgerError
from vledger.messages import localize

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

    from vledger.domain.program import Program
    from vledger.domain.villages import Village
    from vledger.sync.services.context import Me
    from vledger.sync.services.office import Office
    from vledger.sync.services.roster import Identity

T = TypeVar("T")
LOOK_SECONDS = 1.0  # how often the store's change signal is looked at
QUIET_SECONDS = 1.0  # a pause in typing long enough for work that holds keys


class WorkerClosed(VledgerError):
    """A read asked for while the app closes: it is not run (writes still are)."""


@dataclass(frozen=True)
class OfficeFacts:
    """What the screens show of the office without asking it; read on the worker, and
    read again whenever the township's document moves."""

    me: Me
    identity: Identity
    programs: tuple[Program, ...]
    villages: tuple[Village, ...]
    years: tuple[int, ...] = ()  # the year shown first, then the others, newest first
    year_villages: dict[int, tuple[Village, ...]] = field(default_factory=dict)

    @classmethod
    def read(cls, office: Office) -> OfficeFacts:
        years = tuple(office.programs.years())
        return cls(office.me, office.roster.whoami(), tuple(office.programs.all()),
                   tuple(office.roster.villages()), years,
                   {year: tuple(office.roster.villages(year)) for year in years})

    def programs_of(self, year: int) -> tuple[Program, ...]:
        return tuple(p for p in self.programs if p.year == year)

    def villages_of(self, year: int) -> tuple[Village, ...]:
        """The villages taking part in `year` (its sheets, rankings and ledgers)."""
        return self.year_villages.get(year, self.villages)

    def program_ids(self) -> list[str]:
        return [p.id for p in self.programs]

    def program(self, program_id: str) -> Program:
        """The published program; a Refusal when there is none with this id."""
        for program in self.programs:
            if program.id == program_id:
                return program
        from vledger.sync.services.office import Refusal

        known = ", ".join(self.program_ids()) or "none yet"
        raise Refusal(f"no program {program_id} (published: {known})")

    def village_name(self, village: str) -> str:
        return next((v.name for v in self.villages if v.id == village), village)

    def office_name(self, office: str) -> str:
        """What a clerk calls an office: the township's or a village's name (of any year
        held), else its id."""
        identity = self.identity
        if identity is not None and office == identity.township:
            return identity.township_name or office
        for villages in (self.villages, *self.year_villages.values()):
            for village in villages:
                if village.id == office:
                    return village.name or office
        return office


@dataclass(frozen=True)
class StoreChange:
    """What moved in the store since the screens last heard: the offices whose documents
    changed (the township's own document under the township's id), and whether a sync
    ended (what peers have confirmed may have moved, with no document changing)."""

    offices: frozenset[str] = frozenset()
    synced: bool = False

    def __or__(self, other: StoreChange) -> StoreChange:
        return StoreChange(self.offices | other.offices, self.synced or other.synced)

    def __bool__(self) -> bool:
        return bool(self.offices) or self.synced

    def touches(self, *offices: str | None) -> bool:
        return any(o in self.offices for o in offices if o is not None)


@dataclass
class _Seen:
    """What the last look saw (worker thread only)."""

    version: str | None = None
    versions: dict[str, str] = field(default_factory=dict)


class OfficeWorker:
    """One thread that owns an office (see the module docstring)."""

    def __init__(self, open_office: Callable[[], Office]) -> None:
        self._open = open_office
        self._office: Office | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vledger-office")
        self._closing = False
        self._closed = threading.Event()
        self._seen = _Seen()
        self._looking = False
        self._unanswered = 0  # jobs asked whose answer has not been handed over yet
        self._count_lock = threading.Lock()
        self.facts: OfficeFacts | None = None
        self.office: Office | None = None  # set once open, for the screens' constructors

    @classmethod
    def over(cls, office: Office) -> OfficeWorker:
        """A worker for an office already open, its facts read (a short wait: for a host
        that hands the UI an open office, as tests do)."""
        worker = cls(lambda: office)
        worker.facts = worker.start().result()
        return worker

    @classmethod
    def read_here(cls, office: Office) -> OfficeWorker:
        """A worker for an office opened on this thread, its facts read here and now: for
        a host that opens the office before anything else runs (`VLedgerApp.open_early`),
        so nothing waits for a thread to start and answer. The worker's thread uses the
        office from then on."""
        worker = cls(lambda: office)
        worker.facts = worker._first_look(office)
        worker._office = worker.office = office
        return worker

    def _first_look(self, office: Office) -> OfficeFacts:
        """What the store looks like now (to hear what moves from here) and the facts."""
        self._seen = _Seen(office.sync.data_version(), office.sync.versions())
        return OfficeFacts.read(office)

    # -- jobs ----------------------------------------------------------------------------

    def start(self) -> Future[OfficeFacts]:
        """Open the office on the worker and read its facts (and the store's version)."""
        future = self.submit(self._first_look)
        future.add_done_callback(self._opened)
        return future

    def _opened(self, future: Future[OfficeFacts]) -> None:
        if not future.cancelled() and future.exception() is None:
            self.office = self._office

    def submit(self, job: Callable[[Office], T], *, write: bool = False) -> Future[T]:
        """Run `job(office)` on the worker, after every job asked before it."""
        future = self._submit(job, write)
        future.add_done_callback(lambda _done: self._answered())
        return future

    def _submit(self, job: Callable[[Office], T], write: bool) -> Future[T]:

        def run() -> T:
            if self._closing and not write:
                raise WorkerClosed("the app is closing")
            if self._office is None:
                self._office = self._open()
            return job(self._office)

        with self._count_lock:
            self._unanswered += 1
        return self._pool.submit(run)

    def _answered(self) -> None:
        with self._count_lock:
            self._unanswered -= 1

    @property
    def idle(self) -> bool:
        """Nothing asked is still running or waiting (tests wait for this)."""
        return self._unanswered == 0 and not self._looking

    async def call(self, owner: MessagePump, job: Callable[[Office], T], *,
                   write: bool = False) -> T:
        """`run`, awaited on the event loop (which keeps running meanwhile): its result,
        or its refusal raised. It comes back in the same order as every other answer."""
        answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def then(result: T) -> None:
            if not answer.done():
                answer.set_result(result)

        def failed(error: VledgerError) -> None:
            if not answer.done():
                answer.set_exception(error)

        self.run(owner, job, then, failed=failed, write=write)
        return await answer

    def run(
        self, owner: MessagePump, job: Callable[[Office], T],
        then: Callable[[T], None] | None = None, *,
        failed: Callable[[VledgerError], None] | None = None, write: bool = False,
    ) -> Future[T]:
        """Run `job` and hand its outcome to `owner` on the event loop (module docstring):
        `then(result)` while `owner` is on the app, `failed(error)` for a refusal."""
        app = owner.app
        future = self._submit(job, write)

        def deliver(done: Future[T]) -> None:
            self._answered()
            if done.cancelled():
                return
            error = done.exception()
            if error is None:
                if then is not None and owner.is_attached:
                    then(done.result())
                return
            if isinstance(error, WorkerClosed):
                return
            if isinstance(error, VledgerError):
                if failed is not None and owner.is_attached:
                    failed(error)
                else:
                    report(app, error)
                return
            raise error  # a bug: fails loudly, like one in a key's action

        def hand_over(done: Future[T]) -> None:
            if not app.call_later(deliver, done):  # the app is gone: nobody to answer
                self._answered()

        future.add_done_callback(hand_over)
        return future

    # -- what moved --------------------------------------------------------------------

    def look(self, owner: MessagePump, heard: Callable[[StoreChange], None], *,
             tidy: bool = False) -> None:
        """Look whether the store moved (one look at a time); `heard(change)` on the
        event loop when it did, with `facts` read again first if the township's
        document moved. With `tidy` (the clerk paused) the documents that grew are
        compacted first."""
        if self._looking or self._closing:
            return
        self._looking = True

        def job(office: Office) -> tuple[StoreChange, OfficeFacts | None]:
            if tidy:
                office.tidy()
            version = office.sync.data_version()
            if version == self._seen.version:
                return StoreChange(), None
            versions = office.sync.versions()
            before = self._seen.versions
            moved = frozenset(o for o in versions.keys() | before.keys()
                              if versions.get(o) != before.get(o))
            self._seen = _Seen(version, versions)
            facts = OfficeFacts.read(office) if office.me.township in moved else None
            return StoreChange(moved), facts

        def seen(found: tuple[StoreChange, OfficeFacts | None]) -> None:
            self._looking = False
            change, facts = found
            if facts is not None:
                self.facts = facts
            if change:
                heard(change)

        def refused(error: VledgerError) -> None:
            self._looking = False
            report(owner.app, error)

        future = self.run(owner, job, seen, failed=refused)
        future.add_done_callback(lambda _done: self._looked())

    def _looked(self) -> None:
        # Runs on the worker once the look is done, so a look whose answer is dropped
        # (its owner left) does not stop the next one.
        self._looking = False

    # -- closing -------------------------------------------------------------------------

    def close(self, *, close_office: bool = True) -> None:
        """Finish the writes asked for (reads not started are dropped), close the office
        (unless the host keeps it) and join the thread."""
        if self._closed.is_set():
            return
        self._closing = True
        if close_office:
            self._pool.submit(self._close_office)
        self._pool.shutdown(wait=True)
        self._closed.set()

    def _close_office(self) -> None:
        if self._office is not None:
            self._office.close()
            self._office = None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


def report(app: App[Any], error: VledgerError) -> None:
    """Show a refusal where the app shows them (VLedgerApp.report_error), else as a
    notification."""
    shown = getattr(app, "report_error", None)
    if shown is not None:
        shown(error)
        return
    lang = getattr(app, "lang", "en")
    app.notify("\n".join(localize(p, lang) for p in error.problems) or type(error).__name__,
               severity="error", timeout=10)


_WORKERS: dict[int, OfficeWorker] = {}  # by id(office): the worker that owns each office


def register(office: Office, worker: OfficeWorker) -> None:
    _WORKERS[id(office)] = worker


def unregister(office: Office) -> None:
    _WORKERS.pop(id(office), None)


def worker_of(office: Office) -> OfficeWorker | None:
    """The worker that owns `office`, if one does."""
    found = _WORKERS.get(id(office))
    return found if found is not None and not found.closed else None
