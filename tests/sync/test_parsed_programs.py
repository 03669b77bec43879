"""Programs parsed at an earlier start are kept in the store (sync/documents/
parsed_programs.py): used only for exactly the same text and parser, checked before use,
parsed again whenever anything differs."""

from __future__ import annotations

import hashlib
import pickle
import tomllib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township, township_doc_id
from vledger.domain import program_file
from vledger.domain.program import Program
from vledger.sync.documents import parsed_programs
from vledger.sync.documents.parsed_programs import KEPT
from vledger.sync.services.office import Office

PROGRAM = "safety-2026"
SOURCE = (EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    office = create_township(tmp_path / "t", "青石乡", "qs", year=2026, user="李")
    office.programs.add(SOURCE, "safety-2026.toml")
    office.close()
    return tmp_path / "t"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The programs parsed from their text from here on (their ids), whoever parses them."""
    parsed: list[str] = []
    loads = tomllib.loads

    def counted(text: str, **kwargs: Any) -> dict[str, Any]:
        document = loads(text, **kwargs)
        parsed.append(str(document.get("id")))
        return document

    monkeypatch.setattr(program_file.tomllib, "loads", counted)
    yield parsed


def program_at_start(home: Path) -> Program:
    """The program as a new start of vledger reads it (a new office, nothing in memory)."""
    office = Office.open(home)
    try:
        return office.programs.get(PROGRAM)
    finally:
        office.close()


def kept_row(home: Path) -> tuple[str, bytes]:
    office = Office.open(home)
    try:
        row = office.store.db.sql.execute(
            "SELECT key, plain FROM measures WHERE doc_id = ? AND program = ?",
            (township_doc_id(office), KEPT + PROGRAM)).fetchone()
    finally:
        office.close()
    assert row is not None
    return row[0], row[1]


def replace_row(home: Path, data: bytes) -> None:
    office = Office.open(home)
    try:
        with office.store.db.transaction():
            office.store.db.sql.execute(
                "UPDATE measures SET plain = ? WHERE doc_id = ? AND program = ?",
                (data, township_doc_id(office), KEPT + PROGRAM))
    finally:
        office.close()


def test_a_published_program_is_not_parsed_again_at_the_next_start(
    home: Path, parses: list[str],
) -> None:
    program = program_at_start(home)
    assert parses == []
    fresh = program_file.load_program(SOURCE, "safety-2026.toml")
    assert program == fresh
    # (the columns' year is not part of their equality, and is kept all the same)
    assert [c.year for c in program.columns] == [c.year for c in fresh.columns] != []


def test_a_changed_program_is_parsed_again_and_kept_for_the_start_after(
    home: Path, parses: list[str],
) -> None:
    changed = SOURCE.replace('title = "', 'title = "新 ', 1)
    assert changed != SOURCE
    office = Office.open(home)
    try:
        office.programs.add(changed, "safety-2026.toml")
    finally:
        office.close()
    parses.clear()
    program = program_at_start(home)
    assert program.source == changed and program.title.startswith("新 ")
    assert parses == []  # kept when published


def test_a_program_another_process_published_is_parsed_once(
    home: Path, parses: list[str],
) -> None:
    replace_row(home, b"")  # as if nothing were kept (a row of another vledger, say)
    program_at_start(home)
    assert parses == [PROGRAM]
    program_at_start(home)
    assert parses == [PROGRAM]


def test_a_damaged_row_is_parsed_again_and_replaced(home: Path, parses: list[str]) -> None:
    key, data = kept_row(home)
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x01
    replace_row(home, bytes(damaged))
    program = program_at_start(home)
    assert parses == [PROGRAM]
    assert program == program_file.load_program(SOURCE, "x.toml")
    assert kept_row(home) == (key, data)


def test_a_row_holding_anything_but_a_program_is_never_loaded(
    home: Path, parses: list[str],
) -> None:
    foreign = pickle.dumps(OrderedDict(a=1))  # a class a program never holds
    replace_row(home, hashlib.sha256(foreign).digest() + foreign)
    assert program_at_start(home).id == PROGRAM
    assert parses == [PROGRAM]


def test_another_parser_parses_again(
    home: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parsed_programs, "_parser_digest", lambda: b"another vledger")
    program_at_start(home)
    assert parses == [PROGRAM]
