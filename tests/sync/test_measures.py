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
    opened: list[int] = []
    real = Replicas.transaction

    @contextmanager
    def counting(self: Replicas) -> Iterator[None]:
        opened.append(1)
        with real(self):
            yield

    monkeypatch.setattr(Replicas, "transaction", counting)
    try:
        found = villages_measures(store, program, [*documents, absent])
        assert len(opened) == 1
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
