"""Shared helpers for the sync tests: a store in a temporary home and a clerk."""

from __future__ import annotations

from collections.abc import Iterator
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
