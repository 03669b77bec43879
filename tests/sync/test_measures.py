"""Measuring several villages: cached by heads, and the fresh cache rows stored together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.sync.conftest import PROGRAM
from vledger.domain.indicators import measure
from vledger.domain.program import Program
from vledger.domain.program_file import load_program
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import VILLAGE, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.ranking import program_version, villages_measures

A = Who("v01", "dev-a", "王")


def program_of_fixtures() -> Program:
    from vledger.fixtures.township import program_paths, program_stem

    source = next(p for p in program_paths() if program_stem(p) == PROGRAM)
    return load_program(source.read_text(encoding="utf-8"), str(source))


def test_fresh_measures_are_cached_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = program_of_fixtures()
    store = Replicas.open(tmp_path / "home")
    documents = [doc_id("t1", f"v0{n}", 2026) for n in (1, 2, 3)]
    for n, document in enumerate(documents, start=1):
        store.create_document(document, VILLAGE)
        store.village(document).add_rows(A, PROGRAM, [
            {"date": "2026-02-01", "kind": "安全宣传", "participants": n * 10},
        ] * n)
        store.close_document(document)
    absent = doc_id("t1", "v09", 2026)
    opened: list[bool] = []  # each transaction's durability
    real = Replicas.transaction

    @contextmanager
    def counting(self: Replicas, *, durable: bool = True) -> Iterator[None]:
        opened.append(durable)
        with real(self, durable=durable):
            yield

    monkeypatch.setattr(Replicas, "transaction", counting)
    try:
        found = villages_measures(store, program, [*documents, absent])
        assert opened == [False]  # one commit, and a cache's: it waits for no disk
        version = program_version(program)
        for n, document in enumerate(documents, start=1):
            expected = measure(program, store.village(document).rows(PROGRAM))
            assert found[document] == expected
            assert found[document].values[("audience", "year")].total == n * n * 10
            cached = store.db.caches.get(document, PROGRAM, store.heads(document), version)
            assert cached == expected.to_plain()
        assert found[absent] == measure(program, [])
        opened.clear()
        first = documents[0]
        assert villages_measures(store, program, [first])[first] == found[first]
        assert opened == []  # all from the cache: nothing to store
    finally:
        store.close()


def _eleven_villages(home: Path) -> list[str]:
    documents = [doc_id("t1", f"v{n:02}", 2026) for n in range(1, 12)]
    with Replicas.open(home) as store:
        for n, document in enumerate(documents, start=1):
            store.create_document(document, VILLAGE)
            store.village(document).add_rows(A, PROGRAM, [
                {"date": "2026-03-01", "kind": "安全宣传", "participants": n},
            ] * n)
            store.close_document(document)
    return documents


def test_helpers_measure_what_this_process_would(tmp_path: Path) -> None:
    """Helper processes take documents from the end; what one cannot read comes back and
    is measured here, and every result equals measuring here alone."""
    from vledger.sync.services.measuring import measure_all

    program = program_of_fixtures()
    home = tmp_path / "home"
    documents = _eleven_villages(home)
    absent = doc_id("t1", "v99", 2026)  # last: the first document a helper takes
    wanted = [*documents, absent]
    with Replicas.open(home) as store:
        here: list[str] = []

        def measure_here(document: str) -> tuple[list[bytes], object]:
            here.append(document)
            if not store.has_document(document):
                return [], measure(program, [])
            return (store.heads(document),
                    measure(program, store.village(document).rows(PROGRAM)))

        alone = {d: measure_here(d) for d in wanted}
        here.clear()
        shared = measure_all(home, program, wanted, measure_here, helpers=1, stored_bytes=1,
                             parallel_from=1)
        assert shared == alone
        assert list(shared) == wanted
        assert absent in here  # the helper could not read it: measured here
        assert documents[-1] not in here  # asked of the helper along with it


def test_a_helper_goes_on_while_this_process_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper is asked for its next document as soon as it answers, not when this
    process is done with its own: here one document takes as long as the helper needs
    for five of them."""
    import threading

    from vledger.sync.services import measuring

    program = program_of_fixtures()
    home = tmp_path / "home"
    documents = _eleven_villages(home)
    by_helper: list[str] = []
    five = threading.Event()
    real_take = measuring._Helper._take

    def take(helper: measuring._Helper, document: str, message: object) -> None:
        real_take(helper, document, message)
        by_helper.append(document)
        if len(by_helper) >= 5:
            five.set()

    monkeypatch.setattr(measuring._Helper, "_take", take)
    with Replicas.open(home) as store:
        here: list[str] = []

        def measure_here(document: str) -> tuple[list[bytes], object]:
            if not here:
                assert five.wait(timeout=120), f"the helper stopped at {by_helper}"
            here.append(document)
            return (store.heads(document),
                    measure(program, store.village(document).rows(PROGRAM)))

        shared = measuring.measure_all(home, program, documents, measure_here, helpers=1,
                                       stored_bytes=1, parallel_from=1)
        assert here[0] == documents[0]
        assert by_helper[:5] == documents[::-1][:5]
        assert shared == {d: (store.heads(d), measure(program, store.village(d).rows(PROGRAM)))
                          for d in documents}


def test_a_helper_with_nothing_left_to_do_ends_before_this_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its input is closed as soon as the documents run out, so it has ended (and costs
    no wait at the end) while this process still measures its own last one."""
    import subprocess

    from vledger.sync.services import measuring

    program = program_of_fixtures()
    home = tmp_path / "home"
    documents = _eleven_villages(home)
    helpers: list[measuring._Helper] = []
    real_start = measuring._Helper.start

    def start(home: Path, program: Program, work: measuring._Work) -> measuring._Helper | None:
        helper = real_start(home, program, work)
        assert helper is not None
        helpers.append(helper)
        return helper

    monkeypatch.setattr(measuring._Helper, "start", start)
    ended: list[int | None] = []
    with Replicas.open(home) as store:

        def measure_here(document: str) -> tuple[list[bytes], object]:
            if not ended:  # the first document: the helper takes all the others meanwhile
                assert helpers[0].finished.wait(timeout=120)
                try:
                    ended.append(helpers[0]._process.wait(timeout=30))
                except subprocess.TimeoutExpired:
                    ended.append(None)
            return (store.heads(document),
                    measure(program, store.village(document).rows(PROGRAM)))

        measuring.measure_all(home, program, documents, measure_here, helpers=1,
                              stored_bytes=1, parallel_from=1)
    assert ended == [0]


def test_what_a_helper_that_dies_was_asked_is_measured_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that ends without answering (here: one that reads a little and exits)
    leaves nothing unmeasured: every document it was asked for is measured here."""
    import subprocess
    import sys

    from vledger.sync.services import measuring

    program = program_of_fixtures()
    home = tmp_path / "home"
    documents = _eleven_villages(home)
    real_popen = subprocess.Popen

    def dying(args: object, **options: object) -> subprocess.Popen[bytes]:
        return real_popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(64)"],
                          **options)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(measuring.subprocess, "Popen", dying)
    with Replicas.open(home) as store:
        here: list[str] = []

        def measure_here(document: str) -> tuple[list[bytes], object]:
            here.append(document)
            return (store.heads(document),
                    measure(program, store.village(document).rows(PROGRAM)))

        shared = measuring.measure_all(home, program, documents, measure_here, helpers=1,
                                       stored_bytes=1, parallel_from=1)
        assert sorted(here) == sorted(documents)
        assert list(shared) == documents
        assert shared == {d: (store.heads(d), measure(program, store.village(d).rows(PROGRAM)))
                          for d in documents}


def _ten_villages(home: Path) -> list[str]:
    documents = [doc_id("t1", f"v{n:02}", 2026) for n in range(1, 11)]
    with Replicas.open(home) as store:
        for n, document in enumerate(documents, start=1):
            store.create_document(document, VILLAGE)
            store.village(document).add_rows(A, PROGRAM, [
                {"date": "2026-05-01", "kind": "安全宣传", "participants": n * 3},
            ] * n)
            store.close_document(document)
    return documents


def _measured_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from vledger.sync.services import ranking

    here: list[str] = []
    real = ranking._measure

    def recording(store: Replicas, program: Program, document: str) -> ranking.Measured:
        here.append(document)
        return real(store, program, document)

    monkeypatch.setattr(ranking, "_measure", recording)
    return here


def test_ranking_measures_with_helpers_match_measures_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vledger.sync.services import measuring

    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
    here = _measured_here(monkeypatch)
    with Replicas.open(tmp_path / "home") as store:
        with_helpers = villages_measures(store, program, documents, helpers=1)
        assert documents[-1] not in here  # the helper's first document
        version = program_version(program)
        for document in documents:
            assert not store.is_open(document)
            cached = store.db.caches.get(document, PROGRAM, store.heads(document), version)
            assert cached == with_helpers[document].to_plain()
        alone = {d: measure(program, store.village(d).rows(PROGRAM)) for d in documents}
        assert with_helpers == alone


def test_no_helpers_inside_a_transaction_or_below_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Helpers would not see what an open transaction wrote; and small homes are not
    worth a helper's start."""
    from vledger.sync.services import measuring

    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    here = _measured_here(monkeypatch)
    with Replicas.open(tmp_path / "home") as store:
        villages_measures(store, program, documents, helpers=1)
        assert here == documents  # ten small ledgers: below the threshold
        here.clear()
        monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
        with store.transaction():
            store.village(documents[0]).add_rows(A, PROGRAM, [
                {"date": "2026-06-01", "kind": "安全宣传", "participants": 99},
            ])
            store.close_document(documents[0])
            store.db.sql.execute("DELETE FROM measures")
            found = villages_measures(store, program, documents, helpers=1)
        assert here == documents  # every one here, the changed one as written
        assert found[documents[0]].values[("audience", "year")].total == 3 + 99


def test_a_helper_measures_without_the_program_parser_or_the_catalogue(tmp_path: Path) -> None:
    """The parent hands its helpers the program as it parsed it: a helper's start loads
    neither the program file's parser nor the message catalogue, and its measures are
    the ones measured here."""
    import pickle
    import subprocess
    import sys

    from vledger.domain.indicators import VillageMeasures
    from vledger.sync.services import measuring

    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    requests = tmp_path / "requests"
    with requests.open("wb") as out:
        measuring._write_frame(out, {"home": str(tmp_path / "home"),
                                     "program": pickle.dumps(program)})
        measuring._write_frame(out, {"documents": documents[2:4]})
    code = (
        "import sys\n"
        "from vledger.sync.services.measuring import serve\n"
        "with open(sys.argv[1], 'rb') as source, open(sys.argv[2], 'wb') as sink:\n"
        "    serve(source, sink)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    answers = tmp_path / "answers"
    loaded = subprocess.run([sys.executable, "-c", code, str(requests), str(answers)],
                            capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert "vledger.sync.documents.ledger" in loaded
    assert not {"vledger.domain.program_file", "vledger.messages", "tomllib"} & set(loaded)
    with answers.open("rb") as source:
        found = measuring._read_frame(source)
    assert isinstance(found, list) and len(found) == 2
    with Replicas.open(tmp_path / "home") as store:
        for document, (heads, plain) in zip(documents[2:4], found, strict=True):
            assert [bytes(h) for h in heads] == store.heads(document)
            assert VillageMeasures.from_plain(plain) == measure(
                program, store.village(document).rows(PROGRAM))


def test_helpers_are_forked_when_this_process_runs_no_other_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No interpreter to start: a forked helper has the program and the stored documents
    in its memory at once; it opens no database, and measures what measuring here would."""
    import subprocess

    from vledger.sync.services import measuring

    def no_popen(*args: object, **options: object) -> None:
        raise AssertionError("a helper was started afresh")

    monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
    monkeypatch.setattr(subprocess, "Popen", no_popen)
    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    here = _measured_here(monkeypatch)
    with Replicas.open(tmp_path / "home") as store:
        assert measuring._can_fork()
        with_helpers = villages_measures(store, program, documents, helpers=1)
        assert documents[-1] not in here  # the helper's first document
        alone = {d: measure(program, store.village(d).rows(PROGRAM)) for d in documents}
        assert with_helpers == alone


def test_helpers_start_afresh_while_another_thread_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread could hold a lock at the fork that the child would then wait on forever
    (the UI measures in its worker thread): helpers are then new interpreters."""
    import threading

    from vledger.sync.services import measuring

    started: list[object] = []
    real_start = measuring._Helper.start

    def start(home: Path, program: Program, work: measuring._Work) -> measuring._Helper | None:
        started.append(home)
        return real_start(home, program, work)

    monkeypatch.setattr(measuring._Helper, "start", start)
    monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Replicas.open(tmp_path / "home") as store:
            assert not measuring._can_fork()
            with_helpers = villages_measures(store, program, documents, helpers=1)
            alone = {d: measure(program, store.village(d).rows(PROGRAM)) for d in documents}
    finally:
        stop.set()
        other.join()
    assert started == [tmp_path / "home"]
    assert with_helpers == alone


def test_a_forked_helper_that_fails_never_returns_into_its_parents_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a forked helper raises, it exits there: its documents are measured here,
    and nothing after the measuring runs in any process but this one."""
    import os

    from vledger.sync.services import measuring

    def failing(*args: object) -> None:
        raise SystemExit("the helper gives up")

    monkeypatch.setattr(measuring, "_serve_forked", failing)
    monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    here = _measured_here(monkeypatch)
    after = tmp_path / "after"
    with Replicas.open(tmp_path / "home") as store:
        with_helpers = villages_measures(store, program, documents, helpers=1)
        with after.open("a") as out:  # a child that came back here would write too
            out.write(f"{os.getpid()}\n")
        alone = {d: measure(program, store.village(d).rows(PROGRAM)) for d in documents}
    assert after.read_text().split() == [str(os.getpid())]
    assert sorted(here) == sorted(documents)
    assert with_helpers == alone


def test_forking_helpers_leaves_the_collectors_frozen_heap_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork freezes the heap for the children's sake only: nothing stays frozen that
    was not, and a heap frozen before (the UI settles so) stays frozen."""
    import gc

    from vledger.sync.services import measuring

    monkeypatch.setattr(measuring, "PARALLEL_FROM_BYTES", 1)
    program = program_of_fixtures()
    documents = _ten_villages(tmp_path / "home")
    with Replicas.open(tmp_path / "home") as store:
        assert measuring._can_fork()
        gc.unfreeze()
        villages_measures(store, program, documents, helpers=1)
        assert gc.get_freeze_count() == 0
        store.db.sql.execute("DELETE FROM measures")
        gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            villages_measures(store, program, documents, helpers=1)
            assert gc.get_freeze_count() > frozen // 2  # still frozen (less what was freed)
        finally:
            gc.unfreeze()
