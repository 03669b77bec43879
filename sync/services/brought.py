"""What a sync brought (cli.md, What a sync brought): what went each way, per program and
village (rows added, cells changed, publications), and, for each program whose current
period's ranking moved here, every village whose rank changed (`v03 3 → 5`).

A sync's `Outcome` (link/session.py) keeps the heads both sides held when the link began
and the heads they held in common at its end. Received: the journal entries the peer held
at the start and this home did not; sent: those the peer holds at the end and did not
hold at the start (journal_diff.py). Other links a server answers at the same time are
not counted as this one's. The moves are the current period's sheet now against the
sheet with the documents this link brought changes to as they were before it
(ranking.sheet_at, measures kept by heads).

`Brought` is plain data with a JSON form, so `vledger sync` prints it, `sync --json`
and `serve`'s log line carry it, and the UI (which may run sync as a child process and
read its JSON back) shows the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from vledger.domain.history import JournalEntry
from vledger.domain.program import Program
from vledger.domain.ranking import RankingSheet
from vledger.errors import VledgerError
from vledger.messages import say
from vledger.sync.documents.replica import parse_doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.journal_diff import entries_between
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.ranking import Abandoned, frozen, sheet_at

Heads = Mapping[str, Sequence[bytes]]
ROW_ADDED = "add"
PUBLICATION_ROW = "publication"


@dataclass(frozen=True)
class Flow:
    """Edits of one program and village that went one way ("" village: the township's
    own records of the program, its publications)."""

    program: str
    village: str
    rows_added: int = 0
    cells_changed: int = 0
    publications: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return {"program": self.program, "village": self.village,
                "rows_added": self.rows_added, "cells_changed": self.cells_changed,
                "publications": self.publications}

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Flow:
        return cls(str(data["program"]), str(data["village"]), int(data["rows_added"]),
                   int(data["cells_changed"]), int(data.get("publications") or 0))


@dataclass(frozen=True)
class Move:
    """A village whose rank in a program's current period moved here (None: not ranked)."""

    program: str
    period: str
    village: str
    before: int | None
    after: int | None

    def to_json_dict(self) -> dict[str, Any]:
        return {"program": self.program, "period": self.period, "village": self.village,
                "from": self.before, "to": self.after}

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Move:
        def rank(value: object) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(str(data["program"]), str(data["period"]), str(data["village"]),
                   rank(data.get("from")), rank(data.get("to")))

    def text(self) -> str:
        return f"{self.village} {_rank(self.before)} → {_rank(self.after)}"


def _rank(value: int | None) -> str:
    return "—" if value is None else str(value)


@dataclass(frozen=True)
class Brought:
    """What one sync did, each way (see the module docstring)."""

    peer: str
    documents: int = 0
    sent: tuple[Flow, ...] = ()
    received: tuple[Flow, ...] = ()
    moves: tuple[Move, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.sent or self.received or self.moves)

    def to_json_dict(self) -> dict[str, Any]:
        """`vledger sync --json` (cli.md)."""
        return {"peer": self.peer, "documents": self.documents,
                "sent": [f.to_json_dict() for f in self.sent],
                "received": [f.to_json_dict() for f in self.received],
                "moves": [m.to_json_dict() for m in self.moves]}

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Brought:
        return cls(
            peer=str(data.get("peer") or ""), documents=int(data.get("documents") or 0),
            sent=tuple(Flow.from_json_dict(f) for f in data.get("sent") or ()),
            received=tuple(Flow.from_json_dict(f) for f in data.get("received") or ()),
            moves=tuple(Move.from_json_dict(m) for m in data.get("moves") or ()),
        )

    def lines(self, lang: str) -> list[str]:
        """What went each way and who moved, a line per program and village."""
        if self.empty:
            return [say(lang, "brought.nothing")]
        out: list[str] = []
        for key, flows in (("brought.sent", self.sent), ("brought.received", self.received)):
            for flow in flows:
                out.append(say(lang, key, what=_flow_text(flow, lang)))
        for (program, period), moves in _by_sheet(self.moves).items():
            out.append(say(lang, "brought.moved", program=program, period=period,
                           moves=[m.text() for m in moves]))
        return out

    def line(self, lang: str) -> str:
        """All of it on one line (serve's log, the home screen's notice)."""
        sent = [_flow_text(f, lang) for f in self.sent]
        received = [_flow_text(f, lang) for f in self.received]
        moves = [say(lang, "brought.moved", program=program, period=period,
                     moves=[m.text() for m in group])
                 for (program, period), group in _by_sheet(self.moves).items()]
        return say(lang, "brought.line", peer=self.peer,
                   sent=sent or [say(lang, "brought.none")],
                   received=received or [say(lang, "brought.none")],
                   moves="" if not moves else say(lang, "brought.line-moves", moves=moves))


def _flow_text(flow: Flow, lang: str) -> str:
    parts = []
    if flow.rows_added:
        parts.append(say(lang, "brought.rows", count=flow.rows_added))
    if flow.cells_changed:
        parts.append(say(lang, "brought.cells", count=flow.cells_changed))
    if flow.publications:
        parts.append(say(lang, "brought.publications", count=flow.publications))
    where = " ".join(p for p in (flow.program, flow.village) if p)
    return say(lang, "brought.flow", where=where, what=parts)


def _by_sheet(moves: Iterable[Move]) -> dict[tuple[str, str], list[Move]]:
    found: dict[tuple[str, str], list[Move]] = {}
    for move in moves:
        found.setdefault((move.program, move.period), []).append(move)
    return found


# -- computing it ----------------------------------------------------------------------------


def flows(entries: Iterable[JournalEntry]) -> tuple[Flow, ...]:
    """Edits counted per program and village: rows added, other cells changed, and
    publications; records of no program (the roster, the township's name) are left out."""
    rows: dict[tuple[str, str], set[str]] = {}
    cells: dict[tuple[str, str], int] = {}
    published: dict[tuple[str, str], int] = {}
    for entry in entries:
        if not entry.program:
            continue
        key = (entry.program, entry.village)
        if entry.row == PUBLICATION_ROW and not entry.village:
            published[key] = published.get(key, 0) + 1
        elif entry.op == ROW_ADDED:
            rows.setdefault(key, set()).add(entry.row)
        else:
            cells[key] = cells.get(key, 0) + 1
    keys = sorted(set(rows) | set(cells) | set(published))
    return tuple(Flow(p, v, len(rows.get((p, v), ())), cells.get((p, v), 0),
                      published.get((p, v), 0)) for p, v in keys)


class Exchanged(Protocol):
    """What a link keeps of its exchange (link/session.py: an Initiator's `Outcome`, a
    server's `Responder`)."""

    @property
    def began_here(self) -> Heads: ...

    @property
    def began_there(self) -> Heads: ...

    @property
    def ended(self) -> Heads: ...


Abandon = Callable[[], bool]  # asked between documents: True gives the work up


def link_brought(store: Replicas, township: str, peer: str, link: Exchanged,
                 abandon: Abandon | None = None) -> Brought:
    """What one link brought, from the heads its exchange began and ended with;
    Abandoned as soon as `abandon()` says so."""
    return brought(store, township, peer, here=link.began_here, there=link.began_there,
                   end=link.ended or None, abandon=abandon)


def brought(
    store: Replicas, township: str, peer: str, *, here: Heads, there: Heads,
    end: Heads | None = None, today: date | None = None, abandon: Abandon | None = None,
) -> Brought:
    """What a sync with `peer` did: `here` and `there` are the heads this home and the peer
    held when it began, `end` the heads both held when it ended (default: this home's now)."""
    now = {d: store.heads(d) for d in store.document_ids() if d.startswith(f"{township}/")}
    finish = {d: list(end[d]) if end is not None and d in end else now.get(d, [])
              for d in set(now) | set(end or {})}
    received: dict[str, list[JournalEntry]] = {}
    sent: list[JournalEntry] = []
    for document in sorted(finish):
        _check(abandon)
        if not store.has_document(document):
            continue
        last = finish[document]
        began_here, began_there = here.get(document), there.get(document)
        new_here = began_here is None or sorted(began_here) != sorted(last)
        new_there = began_there is None or sorted(began_there) != sorted(last)
        if new_here or new_there:
            doc = store.document(document)
            # What the peer had at the start and this home did not came from it; what it
            # has at the end and did not have at the start went to it (with what other
            # links brought here meanwhile: this home sent that too).
            if new_here and began_there is not None:
                received[document] = entries_between(doc, began_here, began_there)
            if new_there:
                sent += entries_between(doc, began_there, last)
    came = [e for entries in received.values() for e in entries]
    return Brought(peer, len(finish), flows(sent), flows(came),
                   tuple(_moves(store, here, now, received, today, abandon)))


def _check(abandon: Abandon | None) -> None:
    if abandon is not None and abandon():
        raise Abandoned


def _moves(store: Replicas, here: Heads, now: Heads,
           received: Mapping[str, list[JournalEntry]], today: date | None,
           abandon: Abandon | None = None) -> list[Move]:
    """Villages whose rank in the current period of a program this sync brought edits of
    moved: the sheet now against the sheet with the documents this sync changed as they
    were before it (what other links or processes changed meanwhile is not this sync's)."""
    changed = {d for d, entries in received.items() if entries}
    programs = {e.program for d in changed for e in received[d] if e.program}
    if not programs or any(d not in here for d in changed):
        return []  # nothing of a program came, or a document is new here: nothing to compare
    before = {d: list(here[d]) if d in changed else list(heads) for d, heads in now.items()}
    found: list[Move] = []
    for document in sorted(now):
        town, office, year = parse_doc_id(document)
        if office != town or not any(parse_doc_id(d)[2] == year for d in changed):
            continue  # not a township document, or none of its year's documents changed
        for program in _programs(store, document, now[document]):
            if program.id not in programs:
                continue
            period = ProgramService.current_period(program, today)
            _check(abandon)
            try:
                then = sheet_at(store, document, program.id, period, before, abandon=abandon)
                after = sheet_at(store, document, program.id, period, now, abandon=abandon)
            except VledgerError:
                continue  # not rankable then or now (ledgers not all here): nothing to say
            found += _rank_moves(program.id, period, then, after)
    return found


def _programs(store: Replicas, document: str, heads: Sequence[bytes]) -> list[Program]:
    from vledger.domain.program_file import ProgramError
    from vledger.sync.documents.township import TownshipDoc

    replica = frozen(store, document, heads)
    if replica is None:
        return []
    township = TownshipDoc(replica)
    found = []
    for program_id in township.program_ids():
        try:
            found.append(township.program(program_id))
        except (KeyError, ProgramError):
            continue
    return found


def _rank_moves(program: str, period: str, before: RankingSheet,
                after: RankingSheet) -> list[Move]:
    old = {r.village: r.rank for r in before.rows}
    new = {r.village: r.rank for r in after.rows}
    order = [*new, *(v for v in old if v not in new)]
    return [Move(program, period, v, old.get(v), new.get(v)) for v in order
            if old.get(v) != new.get(v)]
