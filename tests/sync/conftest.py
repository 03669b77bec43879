"""Shared helpers for the sync tests: a store in a temporary home and a clerk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest

from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import doc_id
from vledger.sync.documents.replicas import Replicas

VILLAGE_DOC = doc_id("t1", "v01", 2026)
TOWNSHIP_DOC = doc_id("t1", "t1", 2026)
PROGRAM = "safety-2026"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Replicas]:
    opened = Replicas.open(home)
    yield opened
    opened.close()


@pytest.fixture
def who(store: Replicas) -> Who:
    return Who("v01", store.device_id(), "clerk")


class PersistWith:
    """A replica's Writer that hands each write to `persist` (no store, no transaction)."""

    def __init__(self, persist: Callable[[list[bytes], str, list[bytes]], None]) -> None:
        self._persist = persist

    def write_transaction(self, doc_id: str) -> AbstractContextManager[None]:
        return nullcontext()

    def refresh(self) -> None:
        return None

    def persist(self, doc_id: str, changes: list[bytes], origin: str,
                heads: list[bytes]) -> None:
        self._persist(changes, origin, heads)
