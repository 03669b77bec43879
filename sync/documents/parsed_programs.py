"""Parsed programs kept in the store: a start does not parse every program file again.

Parsing a program file (domain/program_file.py: the TOML, then every check) takes a few
milliseconds per program, and every start of the UI reads every published program before
its first screen. The parsed program is kept in the store's measures, under its township
document and id, for a key made of its text and of the code that parses it (the domain
modules a parse depends on, and Python's version): a changed program, or a vledger whose
parser changed, parses the text again and keeps the new result in place of the old.

A kept row is checked before it is used: a digest of its bytes must match, it may hold
only the program's own classes (and Decimal, date), and what it holds must be the program
asked for. A damaged or foreign row is parsed again and replaced, never trusted.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import vledger.domain
from vledger.domain import program as program_module
from vledger.domain.program import Program

if TYPE_CHECKING:
    from vledger.sync.store.repositories import Caches

KEPT = "program:"  # measures' names of kept programs: KEPT + the program's id
# The domain modules whose code decides what a program file parses into.
PARSER_MODULES = ("program", "program_file", "toml_lines", "values", "decimals", "pinyin")
_DIGEST = 32  # bytes of sha256, at the start of a kept row


def parsed_program(caches: Caches, doc_id: str, program_id: str, source: str) -> Program:
    """The program `source` (published as `program_id` in `doc_id`) parses into: the one
    kept for exactly this text and parser, else parsed now and kept. A ProgramError when
    the text is not a program this version can read (nothing is kept then)."""
    key = _key(source)
    if key is not None:
        found = _unpacked(caches.kept(doc_id, KEPT + program_id, key))
        if found is not None and found.id == program_id and found.source == source:
            return found
    from vledger.domain.program_file import load_program

    program = load_program(source, f"{program_id}.toml")
    keep_program(caches, doc_id, program_id, program)
    return program


def keep_program(caches: Caches, doc_id: str, program_id: str, program: Program) -> None:
    """Keep `program` (parsed from its `source`) for the next start. Not kept when the
    store is busy with another process's write: it is only parsed again next time."""
    from vledger.sync.store.sqlite import StoreBusy

    key = _key(program.source)
    if key is None:
        return
    data = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        caches.keep(doc_id, KEPT + program_id, key, hashlib.sha256(data).digest() + data)
    except StoreBusy:
        pass


@cache
def _parser_digest() -> bytes | None:
    """What the parser is: its modules' code and Python's version (None: some module's
    source is not there to read, so nothing is kept or trusted)."""
    digest = hashlib.sha256(sys.version.encode())
    folder = Path(vledger.domain.__file__).parent
    for name in PARSER_MODULES:
        try:
            digest.update(name.encode() + b"\0" + (folder / f"{name}.py").read_bytes())
        except OSError:
            return None
    return digest.digest()


def _key(source: str) -> str | None:
    parser = _parser_digest()
    if parser is None:
        return None
    return hashlib.sha256(parser + source.encode()).hexdigest()


def _unpacked(row: bytes | None) -> Program | None:
    """The program a kept row holds; None when the row is damaged or holds anything else."""
    if row is None or len(row) <= _DIGEST:
        return None
    digest, data = row[:_DIGEST], row[_DIGEST:]
    if hashlib.sha256(data).digest() != digest:
        return None
    try:
        found = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # damaged, or made by another shape of the classes: parse again
        return None
    return found if isinstance(found, Program) else None


def _allowed() -> frozenset[tuple[str, str]]:
    own = {(program_module.__name__, name) for name, value in vars(program_module).items()
           if isinstance(value, type) and value.__module__ == program_module.__name__}
    return frozenset(own | {("decimal", "Decimal"), ("datetime", "date")})


class _Unpickler(pickle.Unpickler):
    """Loads only the program's classes (and Decimal, date): a row holding anything else
    is refused before anything in it is made."""

    ALLOWED = _allowed()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a program")
        return super().find_class(module, name)
