"""A village's indicator measures, cached in the store by the village document's heads.

The township ranks sixty villages for every period of every program; measuring means
reading every ledger row, and an open village document costs megabytes (design.md,
Store). So measures are kept in the store's `measures` table keyed by the document's
heads (read without opening it) and the program's text: a village whose ledger has not
changed since it was last measured is never opened, and one opened only to be measured
is closed again. Measuring reads the ledger map only: opening a document builds no
journal index (sync/document.py), so no journal entry is decoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from vledger.domain.indicators import VillageMeasures, measure
from vledger.domain.program import Program
from vledger.sync.store.database import Store


def program_version(program: Program) -> str:
    """Changes whenever the program file does (its columns, indicators or periods may have)."""
    return hashlib.sha256(program.source.encode("utf-8")).hexdigest()


def villages_measures(
    store: Store, program: Program, documents: Sequence[str]
) -> dict[str, VillageMeasures]:
    """The measures of `program` over each village document's rows (empty for a document
    not held), by document.

    The cache rows of the villages measured afresh are written together in one
    transaction at the end: one fsync for a cold township instead of one per
    village, and no store lock held while ledgers are read.
    """
    version = program_version(program)
    found: dict[str, VillageMeasures] = {}
    fresh: list[tuple[str, list[bytes], VillageMeasures]] = []
    for document in documents:
        if not store.has_document(document):
            found[document] = measure(program, [])
            continue
        heads = store.heads(document)
        cached = _cached(store, program, document, heads, version)
        if cached is None:
            cached = _measure(store, program, document)
            fresh.append((document, heads, cached))
        found[document] = cached
    if fresh:
        with store.transaction():
            for document, heads, measured in fresh:
                store.cache_measures(document, program.id, heads, measured.to_plain(), version)
    return found


def _cached(
    store: Store, program: Program, document: str, heads: list[bytes], version: str
) -> VillageMeasures | None:
    plain = store.cached_measures(document, program.id, heads, version)
    if plain is None:
        return None
    try:
        found = VillageMeasures.from_plain(plain)
    except ValueError:
        return None  # a stale or damaged cache row: measure again
    return found if found.program == program.id else None


def _measure(store: Store, program: Program, document: str) -> VillageMeasures:
    was_open = store.is_open(document)
    try:
        return measure(program, store.village(document).rows(program.id, include_deleted=True))
    finally:
        if not was_open:
            store.close_document(document)
