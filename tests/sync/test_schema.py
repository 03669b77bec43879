"""Migrating a home's database: an older home opens, keeps everything it held and keeps
working; a migration cut short leaves the older version whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from vledger.sync.store import schema
from vledger.sync.store.database import DB_FILE, Database

DOC = "t1/v01/2026"
A, B, C, D = (bytes([n]) * 32 for n in (1, 2, 3, 4))


def home_at_version_3(home: Path) -> None:
    """A home as vledger with schema 3 left it: one vouched row per change."""
    home.mkdir()
    conn = sqlite3.connect(home / DB_FILE, isolation_level=None)
    try:
        for version in (1, 2, 3):
            for statement in schema.statements(version):
                conn.execute(statement)
        conn.execute("INSERT INTO meta(key, value) VALUES ('schema', '3'), ('store', 'old')")
        for number, device in ((1, "aaaa"), (2, "bbbb")):
            conn.execute("INSERT INTO vouchers(id, doc_id, digest, device, data, origin, at) "
                         "VALUES (?, ?, ?, ?, ?, 'peer', 'then')",
                         (number, DOC, bytes([number]) * 32, device, f"voucher{number}".encode()))
        conn.executemany("INSERT INTO vouched(doc_id, change, voucher) VALUES (?, ?, ?)",
                         [(DOC, A, 1), (DOC, B, 1), (DOC, C, 2)])
        conn.executemany("INSERT INTO own_changes(doc_id, change) VALUES (?, ?)",
                         [(DOC, A), (DOC, D)])
    finally:
        conn.close()


def version_of(home: Path) -> str:
    conn = sqlite3.connect(home / DB_FILE)
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0])
    finally:
        conn.close()


def test_a_home_of_schema_3_keeps_what_its_vouchers_cover(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_at_version_3(home)
    db = Database.open(home)
    try:
        assert version_of(home) == str(schema.VERSION) == "4"
        assert db.vouchers.covering(DOC, [A, B, C, D]) == {
            A: b"voucher1", B: b"voucher1", C: b"voucher2"}
        assert db.vouchers.by_device("aaaa") == {DOC: {A, B}}
        assert db.vouchers.by_device("bbbb") == {DOC: {C}}
        assert db.own_changes.unvouched(DOC) == [D]
        # and new batches go in beside the rows carried over, one row each
        db.vouchers.add(DOC, b"\x05" * 32, "cccc", b"voucher5", "peer", [D, A])
        assert db.vouchers.covering(DOC, [C, D]) == {C: b"voucher2", D: b"voucher5"}
        assert db.vouchers.covering(DOC, [A])[A] in (b"voucher1", b"voucher5")  # both vouch
        assert db.vouchers.by_device("cccc") == {DOC: {D}}  # A stays its first device's
        assert db.own_changes.unvouched(DOC) == []
        rows = db.sql.execute("SELECT count(*) FROM vouched").fetchone()[0]
        assert rows == 4
    finally:
        db.close()


class PowerCut(BaseException):
    pass


def test_a_migration_cut_short_leaves_the_home_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home_at_version_3(home)
    whole = schema.statements

    def cut_after_the_drop(version: int) -> Iterator[str]:
        for statement in whole(version):
            yield statement
            if statement.startswith("DROP TABLE vouched"):
                raise PowerCut

    monkeypatch.setattr(schema, "statements", cut_after_the_drop)
    with pytest.raises(PowerCut):
        Database.open(home)
    assert version_of(home) == "3"
    conn = sqlite3.connect(home / DB_FILE)
    try:
        assert conn.execute("SELECT change, voucher FROM vouched ORDER BY rowid").fetchall() == [
            (A, 1), (B, 1), (C, 2)]
    finally:
        conn.close()
    monkeypatch.setattr(schema, "statements", whole)
    db = Database.open(home)
    try:
        assert db.vouchers.covering(DOC, [A, B, C]) == {
            A: b"voucher1", B: b"voucher1", C: b"voucher2"}
    finally:
        db.close()
